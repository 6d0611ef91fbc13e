package io.align4j.model;

import io.align4j.model.family.ParameterLayout;
import io.align4j.model.family.Models;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.generate.JavaDecoder;
import io.align4j.generate.Sampler;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.LoadedWeights;
import io.align4j.safetensors.SafeTensors;
import io.align4j.testing.CentralDifference;
import io.align4j.testing.CliRun;
import io.align4j.testing.SharedData;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** The families beyond their reference logits: gradients, bad input, other storage, the decoder's routing. */
class ModelFamiliesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Path fixture(String family) {
        return SharedData.require(ArchitectureFixturesTest.FOLDER + "/" + family);
    }

    /** Copies a fixture folder, with {@code edit} applied to its config.json. */
    private Path copyWithConfig(String family, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path from = fixture(family), to = Files.createTempDirectory(dir, family + "-edited-");
        Files.copy(from.resolve("model.safetensors"), to.resolve("model.safetensors"));
        ObjectNode config = (ObjectNode) JSON.readTree(from.resolve("config.json").toFile());
        edit.accept(config);
        JSON.writeValue(to.resolve("config.json").toFile(), config);
        return to;
    }

    // ------------------------------------------------------------------ gradients

    /** Float64 central differences against autograd on every layer-0 tensor, the first and the last, of every family. */
    @TestFactory
    Stream<DynamicTest> everyFamilysGradientsMatchFiniteDifferences() throws IOException {
        return ArchitectureFixturesTest.fixtures().stream().map(folder -> DynamicTest.dynamicTest(folder.getFileName().toString(), () -> {
            ModelConfig config = HfCheckpoint.readConfig(folder);
            List<String> layout = new ArrayList<>(ParameterLayout.of(config).keySet());
            List<String> names = new ArrayList<>(List.of(layout.get(0), layout.get(layout.size() - 1)));
            layout.stream().filter(n -> n.contains("layers.0.") || n.contains("h.0.")).forEach(names::add);
            GradientAndTrainingTest.checkGradients(config, names, 2);
        }));
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void missingRequiredKeyNamesFileAndKey() throws IOException {
        Path folder = copyWithConfig("qwen2", c -> c.remove("intermediate_size"));
        String m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(folder)).getMessage();
        assertTrue(m.contains(folder.resolve("config.json").toString()) && m.contains("intermediate_size"), m);
    }

    @Test
    void unsupportedFamilyValuesNameTheKey() throws IOException {
        Path phi = copyWithConfig("phi3", c -> c.putObject("rope_scaling").put("type", "longrope"));
        String m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(phi)).getMessage();
        assertTrue(m.contains("config.json") && m.contains("rope_scaling") && m.contains("longrope"), m);
        Path gemma = copyWithConfig("gemma2", c -> c.putArray("layer_types").add("chunked_attention").add("full_attention").add("full_attention"));
        m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(gemma)).getMessage();
        assertTrue(m.contains("layer_types") && m.contains("chunked_attention"), m);
        Path neox = copyWithConfig("gpt_neox", c -> c.put("hidden_act", "relu6"));
        m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(neox)).getMessage();
        assertTrue(m.contains("hidden_act") && m.contains("relu6"), m);
        Path odd = copyWithConfig("gpt_neox", c -> c.put("rotary_pct", 0.1).put("partial_rotary_factor", 0.1));
        m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(odd)).getMessage();
        assertTrue(m.contains("rotary") && m.contains("0.1"), m);
        Path conflicting = copyWithConfig("gpt_neox", c -> c.put("rotary_pct", 0.5));
        m = assertThrows(UserError.class, () -> HfCheckpoint.readConfig(conflicting)).getMessage();
        assertTrue(m.contains("rotary_pct = 0.5") && m.contains("partial_rotary_factor = 0.25"), m);
    }

    /** Rewrites a fixture's weights with one tensor changed (null drops it). */
    private Path withTensor(String family, String name, float[] values, Shape shape) throws IOException {
        Path from = fixture(family), to = Files.createDirectories(dir.resolve(family + "-without-" + name + (values == null ? "" : "-reshaped")));
        Files.copy(from.resolve("config.json"), to.resolve("config.json"));
        try (NDManager m = NDManager.newBaseManager(); SafeTensors st = SafeTensors.open(from.resolve("model.safetensors"))) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String t : st.tensors().keySet()) tensors.put(t, st.load(t, m, DataType.FLOAT32));
            if (values == null) tensors.remove(name);
            else tensors.put(name, m.create(values, shape));
            SafeTensors.write(to.resolve("model.safetensors"), tensors, DataType.FLOAT32);
        }
        return to;
    }

    @Test
    void tensorOfTheWrongShapeOrAMissingBiasNamesFileAndTensor() throws IOException {
        Path wrong = withTensor("qwen2", "model.layers.1.self_attn.q_proj.bias", new float[8], new Shape(8));
        Path missing = withTensor("qwen2", "model.layers.0.self_attn.k_proj.bias", null, null);
        try (NDManager m = NDManager.newBaseManager()) {
            String e = assertThrows(UserError.class, () -> HfCheckpoint.read(wrong, m, DataType.FLOAT32)).getMessage();
            assertTrue(e.contains("model.safetensors") && e.contains("model.layers.1.self_attn.q_proj.bias") && e.contains("(64)"), e);
            e = assertThrows(UserError.class, () -> HfCheckpoint.read(missing, m, DataType.FLOAT32)).getMessage();
            assertTrue(e.contains("model.safetensors") && e.contains("missing tensor 'model.layers.0.self_attn.k_proj.bias'"), e);
        }
    }

    @Test
    void theCliReportsBadCheckpointsInOneLineWithExitCode2() throws IOException {
        Path bad = copyWithConfig("gemma2", c -> c.remove("num_attention_heads"));
        String[] r = CliRun.run("generate", "--model", bad.toString(), "--prompt-ids", "2 5 9", "--ids", "--max-new-tokens", "3");
        assertEquals("2", r[0], r[2]);
        assertEquals(1, r[2].strip().lines().count(), r[2]);
        assertTrue(r[2].contains("num_attention_heads") && r[2].contains("config.json") && !r[2].contains("Exception"), r[2]);
    }

    // ------------------------------------------------------------------ folders without a tokenizer, other storage

    @Test
    void aFolderWithoutTokenizerRunsOnIdsAndSaysSoForText() throws IOException {
        Path qwen3 = fixture("qwen3");
        String[] r = CliRun.run("generate", "--model", qwen3.toString(), "--prompt-ids", "383 5 9", "--ids", "--max-new-tokens", "4");
        assertEquals("0", r[0], r[2]);
        assertEquals(4, r[1].strip().split(" ").length, r[1]);
        Path ids = Files.writeString(dir.resolve("ids.jsonl"), "{\"prompt\": [383, 5, 9], \"response\": [11, 12]}\n");
        r = CliRun.run("score", "--model", qwen3.toString(), "--data", ids.toString());
        assertEquals("0", r[0], r[2]);
        assertEquals(3, r[1].strip().split("\t").length, r[1]);
        r = CliRun.run("generate", "--model", qwen3.toString(), "--prompt", "Once upon a time");
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("has no tokenizer") && r[2].contains("--prompt-ids"), r[2]);
    }

    /** --device and --dtype reach the loaded weights; bad values are one line with exit code 2. */
    @Test
    void deviceAndDtypeAreSettings() throws IOException {
        Path qwen2 = fixture("qwen2");
        Path ids = Files.writeString(dir.resolve("score.jsonl"), "{\"prompt\": [447, 5, 9], \"response\": [11, 12, 40]}\n");
        String[] single = CliRun.run("score", "--model", qwen2.toString(), "--data", ids.toString());
        String[] twice = CliRun.run("score", "--model", qwen2.toString(), "--data", ids.toString(), "--dtype", "float64", "--device", "cpu");
        assertEquals("0", single[0], single[2]);
        assertEquals("0", twice[0], twice[2]);
        double f32 = Double.parseDouble(single[1].split("\t")[0]), f64 = Double.parseDouble(twice[1].split("\t")[0]);
        assertEquals(f32, f64, 1e-4, "float64 scores the same sequence as float32 up to float32 rounding");
        assertNotEquals(single[1], twice[1], "float64 is really used (the printed digits differ)");
        String[] bad = CliRun.run("score", "--model", qwen2.toString(), "--data", ids.toString(), "--dtype", "float16");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("dtype 'float16'") && bad[2].strip().lines().count() == 1, bad[2]);
        bad = CliRun.run("score", "--model", qwen2.toString(), "--data", ids.toString(), "--device", "tpu");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].contains("device 'tpu'"), bad[2]);
    }

    /** A sharded bf16 copy (with its index) gives the logits of the fp32 weights rounded to bf16. */
    @Test
    void shardedBfloat16CheckpointLoadsWithinBfloat16Rounding() throws IOException {
        Path folder = fixture("llama");
        int[] ids = {1, 17, 300, 42, 9, 250, 3};
        try (NDManager m = NDManager.newBaseManager()) {
            LoadedWeights w = HfCheckpoint.read(folder, m, DataType.FLOAT32);
            Path sharded = dir.resolve("llama-bf16");
            HfCheckpoint.write(sharded, w.config(), w.parameters(), DataType.BFLOAT16, 40_000);
            assertTrue(Files.exists(sharded.resolve(HfCheckpoint.WEIGHTS_INDEX)));
            try (Stream<Path> s = Files.list(sharded)) {
                assertTrue(s.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count() > 2);
            }
            Map<String, NDArray> rounded = new LinkedHashMap<>();
            w.parameters().forEach((name, a) -> rounded.put(name, m.create(roundedToBfloat16(a.toFloatArray()), a.getShape())));
            float[] expected = ArchitectureFixturesTest.logits(Models.create(w.config(), rounded, m), ids, m);
            float[] fp32 = ArchitectureFixturesTest.logits(ArchitectureFixturesTest.load(folder, m), ids, m);
            float[] actual = ArchitectureFixturesTest.logits(ArchitectureFixturesTest.load(sharded, m), ids, m);
            double worst = 0, drift = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                drift = Math.max(drift, Math.abs(fp32[i] - actual[i]));
            }
            assertTrue(worst <= 1e-5, "bf16 checkpoint against fp32 weights rounded to bf16: " + worst);
            assertTrue(drift > 1e-4 && drift < 0.05, "bf16 rounding moves these logits a little: " + drift);
        }
    }

    /** Each value rounded to the nearest bfloat16 (8 significant bits, ties to even), as float32. */
    private static float[] roundedToBfloat16(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            double ulp = Math.scalb(1.0, Math.max(Math.getExponent(values[i]), -126) - 7);
            out[i] = (float) (Math.rint(values[i] / ulp) * ulp);
        }
        return out;
    }

    // ------------------------------------------------------------------ config forms

    /** transformers 5.x writes rope_parameters; the same model reads the same config from either form. */
    @Test
    void ropeParametersOfTransformers5ReadAsTheLegacyKeys() throws IOException {
        Path legacy = copyWithConfig("llama", c -> c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 32));
        ModelConfig fromLegacy = HfCheckpoint.readConfig(legacy);
        Files.delete(legacy.resolve("config.json"));
        Path v5 = copyWithConfig("llama", c -> {
            c.remove("rope_theta");
            c.remove("rope_scaling");
            c.putObject("rope_parameters").put("rope_type", "llama3").put("rope_theta", 10000.0).put("factor", 8.0)
                    .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 32);
        });
        assertEquals(fromLegacy, HfCheckpoint.readConfig(v5));
        assertEquals(Rope.Scaling.Type.LLAMA3, fromLegacy.rope().scaling().type());
    }

    /**
     * Llama 3.1's frequency rule by hand for head_dim 8, θ 10000, factor 8, low 1, high 4, original
     * context 128: wavelengths 2π·10000^(i/4) are 6.28, 62.8, 628, 6283; the first is below
     * 128/4 = 32 (kept), the last two above 128 (divided by 8), the second is blended with
     * s = (128/62.8 − 1)/(4 − 1) = 0.346 → f·((1 − s)/8 + s).
     */
    @Test
    void llama3ScalingFollowsTheFrequencyBands() {
        Rope rope = new Rope(10000, 8, new Rope.Scaling(Rope.Scaling.Type.LLAMA3, 8, 1, 4, 128));
        double[] f = rope.inverseFrequencies(0);
        double f1 = Math.pow(10000, -0.25), s = (128 / (2 * Math.PI / f1) - 1) / 3;
        assertEquals(0.346, s, 1e-3);
        assertEquals(1.0, f[0], 1e-15);
        assertEquals(f1 * ((1 - s) / 8 + s), f[1], 1e-15);
        assertEquals(Math.pow(10000, -0.5) / 8, f[2], 1e-15);
        assertEquals(Math.pow(10000, -0.75) / 8, f[3], 1e-15);
        Rope linear = new Rope(10000, 8, new Rope.Scaling(Rope.Scaling.Type.LINEAR, 4, 0, 0, 32));
        assertEquals(Math.pow(10000, -0.5) / 4, linear.inverseFrequencies(0)[2], 1e-15);
        Rope dynamic = new Rope(10000, 8, new Rope.Scaling(Rope.Scaling.Type.DYNAMIC, 2, 0, 0, 32));
        assertEquals(Math.pow(10000, -0.5), dynamic.inverseFrequencies(31)[2], 1e-15, "within the original context nothing changes");
        double base = 10000 * Math.pow(2.0 * 64 / 32 - 1, 8 / 6.0);
        assertEquals(Math.pow(base, -0.5), dynamic.inverseFrequencies(63)[2], 1e-15);
    }

    // ------------------------------------------------------------------ the decoder's routing

    /** Families whose block the Java decoder computes sample the same tokens on both paths; the others are routed to the engine. */
    @Test
    void javaDecoderMatchesTheEngineWhereItAppliesAndRefusesTheRest() throws IOException {
        List<String> javaPath = new ArrayList<>(), enginePath = new ArrayList<>();
        for (Path folder : ArchitectureFixturesTest.fixtures()) {
            try (NDManager m = NDManager.newBaseManager(); CausalLM model = ArchitectureFixturesTest.load(folder, m)) {
                String name = folder.getFileName().toString();
                if (!JavaDecoder.supports(model)) {
                    enginePath.add(name);
                    assertFalse(Sampler.usesJavaDecoder(model), name);
                    assertThrows(IllegalArgumentException.class, () -> JavaDecoder.of(model));
                    continue;
                }
                javaPath.add(name);
                List<int[]> prompts = new ArrayList<>();
                Random random = new Random(3);
                for (int i = 0; i < 5; i++) {
                    int[] p = new int[1 + 4 * i];
                    for (int t = 0; t < p.length; t++) p[t] = random.nextInt(model.config().vocabSize());
                    prompts.add(p);
                }
                SamplingConfig sampling = new SamplingConfig(1.0, 0, 0.9, 24, new int[0], new int[0], 11);
                var engine = Sampler.generateOnEngine(model, prompts, sampling);
                var java = JavaDecoder.of(model).generate(prompts, sampling);
                for (int i = 0; i < prompts.size(); i++) {
                    assertArrayEquals(engine.get(i).tokens(), java.get(i).tokens(), name + " row " + i);
                    assertArrayEquals(engine.get(i).logProbs(), java.get(i).logProbs(), 1e-4, name + " row " + i);
                }
            }
        }
        assertEquals(List.of("gpt2", "llama", "llama-stories260k", "llama-tied", "phi3", "qwen2"), javaPath);
        assertEquals(List.of("gemma", "gemma2", "gpt_neox", "mistral", "qwen3"), enginePath);
    }
}
