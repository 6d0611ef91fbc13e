package io.align4j.model.io;

import io.align4j.safetensors.SafeTensors;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.ParameterLayout;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;
    NDManager manager;

    @BeforeEach
    void open() { manager = NDManager.newBaseManager(); }

    @AfterEach
    void close() { manager.close(); }

    private static void assertSameValues(Map<String, NDArray> expected, Map<String, NDArray> actual,
                                         UnaryOperator<Float> rounding) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (String name : expected.keySet()) {
            assertEquals(expected.get(name).getShape(), actual.get(name).getShape(), name);
            float[] want = expected.get(name).toFloatArray();
            for (int i = 0; i < want.length; i++) want[i] = rounding.apply(want[i]);
            assertArrayEquals(want, actual.get(name).toFloatArray(), name);
        }
    }

    @Test
    void tinyLlamaAndGpt2RoundTripBitwiseInFloat32() {
        for (ModelConfig config : List.of(Fixtures.TINY_LLAMA, Fixtures.TINY_GPT2)) {
            Map<String, NDArray> params = Fixtures.randomParameters(config, manager, 42);
            Path folder = dir.resolve(config.family());
            HfCheckpoint.write(folder, config, params, DataType.FLOAT32);
            assertEquals(config, HfCheckpoint.readConfig(folder));
            LoadedWeights back = HfCheckpoint.read(folder, manager, DataType.FLOAT32);
            assertEquals(config, back.config());
            assertSameValues(params, back.parameters(), x -> x);
            assertTrue(Files.exists(folder.resolve("model.safetensors")));
            assertFalse(Files.exists(folder.resolve("model.safetensors.index.json")));
        }
    }

    @Test
    void halfPrecisionStorageMatchesReferenceRounding() {
        Map<String, NDArray> params = Fixtures.randomParameters(Fixtures.TINY_LLAMA, manager, 3);
        HfCheckpoint.write(dir.resolve("f16"), Fixtures.TINY_LLAMA, params, DataType.FLOAT16);
        HfCheckpoint.write(dir.resolve("bf16"), Fixtures.TINY_LLAMA, params, DataType.BFLOAT16);
        assertSameValues(params, HfCheckpoint.read(dir.resolve("f16"), manager, DataType.FLOAT32).parameters(),
                Fixtures::roundToHalf);
        assertSameValues(params, HfCheckpoint.read(dir.resolve("bf16"), manager, DataType.FLOAT32).parameters(),
                Fixtures::roundToBfloat16);
        LoadedWeights asHalf = HfCheckpoint.read(dir.resolve("f16"), manager, DataType.FLOAT16);
        assertEquals(DataType.FLOAT16, asHalf.parameters().get("lm_head.weight").getDataType());
    }

    @Test
    void shardedWriteReadsBackLikeSingleFile() throws IOException {
        ModelConfig config = Fixtures.TINY_LLAMA;
        Map<String, NDArray> params = Fixtures.randomParameters(config, manager, 5);
        Path folder = dir.resolve("sharded");
        // embedding and head are 37*16*4 = 2368 bytes each, a layer 16*16*4*2 + 16*8*4*2 + 40*16*4*3 + 128 = 10880
        HfCheckpoint.write(folder, config, params, DataType.FLOAT32, 6000);
        JsonNode index = JSON.readTree(folder.resolve("model.safetensors.index.json").toFile());
        long total = ParameterLayout.of(config).values().stream().mapToLong(s -> s.size() * 4).sum();
        assertEquals(total, index.get("metadata").get("total_size").asLong());
        assertEquals(ParameterLayout.of(config).size(), index.get("weight_map").size());
        try (Stream<Path> files = Files.list(folder)) {
            long shards = files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
            assertTrue(shards > 2, "shards: " + shards);
            assertEquals(String.format("model-00001-of-%05d.safetensors", shards),
                    index.get("weight_map").get("model.embed_tokens.weight").asText());
        }
        assertFalse(Files.exists(folder.resolve("model.safetensors")));

        HfCheckpoint.write(dir.resolve("single"), config, params, DataType.FLOAT32);
        assertSameValues(HfCheckpoint.read(dir.resolve("single"), manager, DataType.FLOAT32).parameters(),
                HfCheckpoint.read(folder, manager, DataType.FLOAT32).parameters(), x -> x);
    }

    @Test
    void writtenConfigCarriesTheTransformersFields() throws IOException {
        Map<String, NDArray> params = Fixtures.randomParameters(Fixtures.TINY_LLAMA, manager, 1);
        Path folder = dir.resolve("cfg");
        HfCheckpoint.write(folder, Fixtures.TINY_LLAMA, params, DataType.BFLOAT16);
        JsonNode c = JSON.readTree(folder.resolve("config.json").toFile());
        assertEquals("LlamaForCausalLM", c.get("architectures").get(0).asText());
        assertEquals("llama", c.get("model_type").asText());
        assertEquals("bfloat16", c.get("torch_dtype").asText());
        assertEquals(16, c.get("hidden_size").asInt());
        assertEquals(40, c.get("intermediate_size").asInt());
        assertEquals(2, c.get("num_key_value_heads").asInt());
        assertEquals(1e-5, c.get("rms_norm_eps").asDouble());
        assertFalse(c.get("tie_word_embeddings").asBoolean());
        JsonNode g = JSON.readTree(folder.resolve("generation_config.json").toFile());
        assertEquals(1, g.get("bos_token_id").asInt());
        assertEquals(2, g.get("eos_token_id").asInt());

        HfCheckpoint.write(dir.resolve("gpt"), Fixtures.TINY_GPT2,
                Fixtures.randomParameters(Fixtures.TINY_GPT2, manager, 1), DataType.FLOAT32);
        JsonNode gc = JSON.readTree(dir.resolve("gpt/config.json").toFile());
        assertEquals("GPT2LMHeadModel", gc.get("architectures").get(0).asText());
        assertEquals(48, gc.get("n_inner").asInt());
        assertEquals(16, gc.get("n_positions").asInt());
        assertEquals("float32", gc.get("torch_dtype").asText());
    }

    @Test
    void parsesTinyLlamaConfig() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("tinyllama"));
        Files.writeString(folder.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
                 "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 2048,
                 "initializer_range": 0.02, "intermediate_size": 5632, "max_position_embeddings": 2048,
                 "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 22,
                 "num_key_value_heads": 4, "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null,
                 "rope_theta": 10000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
                 "transformers_version": "4.35.0", "use_cache": true, "vocab_size": 32000}
                """);
        assertEquals(ModelConfig.llama(2048, 5632, 22, 32, 4, 32000, 2048, 1e-5, 10000.0,
                false, 1, 2), HfCheckpoint.readConfig(folder));
    }

    @Test
    void llamaConfigDefaultsKvHeadsRopeThetaAndTying() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("minimal"));
        Files.writeString(folder.resolve("config.json"), """
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512,
                 "rms_norm_eps": 1e-06, "eos_token_id": [7, 9]}
                """);
        assertEquals(ModelConfig.llama(64, 172, 5, 8, 8, 512, 512, 1e-6, 10000.0,
                false, -1, 7), HfCheckpoint.readConfig(folder));
    }

    @Test
    void parsesOpenAiGpt2Config() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("gpt2"));
        Files.writeString(folder.resolve("config.json"), """
                {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
                 "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
                 "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
                 "n_inner": null, "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1,
                 "summary_activation": null, "summary_first_dropout": 0.1, "summary_proj_to_labels": true,
                 "summary_type": "cls_index", "summary_use_proj": true,
                 "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
                 "vocab_size": 50257}
                """);
        assertEquals(ModelConfig.gpt2(768, 3072, 12, 12, 50257, 1024, 1e-5, 50256, 50256), HfCheckpoint.readConfig(folder));
    }

    @Test
    void configErrorsNameFileAndField() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": 64}");
        String m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(folder)).getMessage();
        assertTrue(m.contains("config.json") && m.contains("num_attention_heads"), m);
        Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"mamba\"}");
        m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(folder)).getMessage();
        assertTrue(m.contains("config.json") && m.contains("mamba") && m.contains("qwen2"), m);
        Files.writeString(folder.resolve("config.json"), """
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512,
                 "rms_norm_eps": 1e-06, "rope_scaling": {"rope_type": "yarn", "factor": 8.0}}
                """);
        m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(folder)).getMessage();
        assertTrue(m.contains("config.json") && m.contains("rope_scaling") && m.contains("yarn"), m);
        Files.writeString(folder.resolve("config.json"), """
                {"model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,
                 "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512,
                 "rms_norm_eps": 1e-06, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}}
                """);
        m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(folder)).getMessage();
        assertTrue(m.contains("config.json") && m.contains("rope_scaling") && m.contains("low_freq_factor"), m);
    }

    /** A GPT-2 folder as {@code GPT2Model} and older transformers save it: no prefix, mask buffers, tied head. */
    @Test
    void acceptsUnprefixedGpt2NamesAndIgnoresBuffersAndTiedHead() throws IOException {
        ModelConfig config = Fixtures.TINY_GPT2;
        Map<String, NDArray> params = Fixtures.randomParameters(config, manager, 9);
        Path folder = dir.resolve("gpt2-legacy");
        HfCheckpoint.write(folder, config, params, DataType.FLOAT32);
        Map<String, NDArray> legacy = new LinkedHashMap<>();
        params.forEach((name, a) -> legacy.put(name.substring("transformer.".length()), a));
        legacy.put("h.0.attn.bias", manager.ones(new ai.djl.ndarray.types.Shape(1, 1, 16, 16)));
        legacy.put("h.1.attn.masked_bias", manager.create(new float[] {-1e4f}, new ai.djl.ndarray.types.Shape()));
        legacy.put("lm_head.weight", params.get("transformer.wte.weight"));
        SafeTensors.write(folder.resolve("model.safetensors"), legacy);
        assertSameValues(params, HfCheckpoint.read(folder, manager, DataType.FLOAT32).parameters(), x -> x);
    }

    private String readError(Map<String, NDArray> weights) {
        Path folder = dir.resolve("broken");
        HfCheckpoint.write(folder, Fixtures.TINY_LLAMA, Fixtures.randomParameters(Fixtures.TINY_LLAMA, manager, 2),
                DataType.FLOAT32);
        SafeTensors.write(folder.resolve("model.safetensors"), weights);
        return assertThrows(UserError.class, () -> HfCheckpoint.read(folder, manager, DataType.FLOAT32)).getMessage();
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsNameFileAndTensor() {
        Map<String, NDArray> params = Fixtures.randomParameters(Fixtures.TINY_LLAMA, manager, 4);

        Map<String, NDArray> missing = new LinkedHashMap<>(params);
        missing.remove("model.layers.1.mlp.up_proj.weight");
        String m = readError(missing);
        assertTrue(m.contains("model.safetensors") && m.contains("missing tensor 'model.layers.1.mlp.up_proj.weight'"), m);

        Map<String, NDArray> unexpected = new LinkedHashMap<>(params);
        unexpected.put("model.layers.2.input_layernorm.weight", params.get("model.norm.weight"));
        m = readError(unexpected);
        assertTrue(m.contains("model.safetensors") && m.contains("unexpected tensor 'model.layers.2.input_layernorm.weight'"), m);

        Map<String, NDArray> misshapen = new LinkedHashMap<>(params);
        misshapen.put("model.layers.0.self_attn.k_proj.weight", params.get("model.layers.0.self_attn.q_proj.weight"));
        m = readError(misshapen);
        assertTrue(m.contains("model.safetensors") && m.contains("'model.layers.0.self_attn.k_proj.weight'")
                && m.contains("(16, 16)") && m.contains("(8, 16)"), m);
    }

    @Test
    void missingTensorOfShardedCheckpointNamesTheIndex() throws IOException {
        ModelConfig config = Fixtures.TINY_LLAMA;
        Path folder = dir.resolve("sharded-broken");
        HfCheckpoint.write(folder, config, Fixtures.randomParameters(config, manager, 6), DataType.FLOAT32, 6000);
        String lastShard = JSON.readTree(folder.resolve("model.safetensors.index.json").toFile())
                .get("weight_map").get("lm_head.weight").asText();
        Map<String, NDArray> shard = SafeTensors.read(folder.resolve(lastShard), manager);
        shard.remove("lm_head.weight");
        SafeTensors.write(folder.resolve(lastShard), shard);
        String m = assertThrows(UserError.class, () -> HfCheckpoint.read(folder, manager, DataType.FLOAT32)).getMessage();
        assertTrue(m.contains("model.safetensors.index.json") && m.contains("lm_head.weight"), m);
    }

    @Test
    void copiesTokenizerFilesAndReplacesAnOldCheckpointWhole() throws IOException {
        Path tokJson = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"}}");
        Path tokBin = Files.write(dir.resolve("tok512.bin"), new byte[] {7, 0, 0, 0, 1, 2, 3});
        ModelConfig config = Fixtures.TINY_GPT2;
        Path folder = dir.resolve("out");
        HfCheckpoint.write(folder, config, Fixtures.randomParameters(config, manager, 1), DataType.FLOAT32, 3000,
                tokJson, tokBin);
        assertTrue(Files.exists(folder.resolve("model.safetensors.index.json")));
        assertEquals(Files.readString(tokJson), Files.readString(folder.resolve("tokenizer.json")));
        assertArrayEquals(Files.readAllBytes(tokBin), Files.readAllBytes(folder.resolve("tokenizer.bin")));

        Map<String, NDArray> second = Fixtures.randomParameters(config, manager, 2);
        HfCheckpoint.write(folder, config, second, DataType.FLOAT32);
        try (Stream<Path> entries = Files.list(folder)) {
            assertEquals(List.of("config.json", "generation_config.json", "model.safetensors"),
                    entries.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of("out", "tok512.bin", "tokenizer.json"),
                    siblings.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertSameValues(second, HfCheckpoint.read(folder, manager, DataType.FLOAT32).parameters(), x -> x);

        Path unrelated = Files.createDirectories(dir.resolve("notes"));
        Files.writeString(unrelated.resolve("todo.txt"), "keep me");
        String m = assertThrows(UserError.class,
                () -> HfCheckpoint.write(unrelated, config, second, DataType.FLOAT32)).getMessage();
        assertTrue(m.contains("notes") && m.contains("config.json"), m);
        assertEquals("keep me", Files.readString(unrelated.resolve("todo.txt")));
    }
}
