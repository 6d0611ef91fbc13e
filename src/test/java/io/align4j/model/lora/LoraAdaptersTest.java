package io.align4j.model.lora;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.generate.JavaDecoder;
import io.align4j.generate.Sampler;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.testing.SharedData;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Low-rank adapters: the seam, merging, the decoder, gradients and PEFT's file layout, both ways. */
class LoraAdaptersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] IDS = {1, 17, 300, 42, 9, 250, 3, 77, 128, 5, 64, 31, 200, 8, 99, 2, 45, 23, 310, 6};

    @TempDir
    Path dir;

    private static CausalLM fixture(String family, NDManager m) {
        Path folder = SharedData.require("fixtures/architectures/" + family);
        var w = HfCheckpoint.read(folder, m, DataType.FLOAT32);
        return Models.create(w.config(), w.parameters(), m);
    }

    private static int[] ids(CausalLM model) {
        return java.util.Arrays.stream(IDS).map(i -> i % model.config().vocabSize()).toArray();
    }

    private static float[] logits(CausalLM model, NDManager m) {
        int[] in = ids(model);
        try (NDManager s = m.newSubManager()) {
            return model.forward(s.create(in, new ai.djl.ndarray.types.Shape(1, in.length)), null, null, null).toFloatArray();
        }
    }

    /** B drawn from N(0, 0.05²) so the adapters change the outputs (fresh ones start at B = 0). */
    private static void randomiseB(LoraAdapters adapters, long seed) {
        Random r = new Random(seed);
        adapters.tensors().forEach((name, a) -> {
            if (!name.endsWith("lora_B.weight")) return;
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (0.05 * r.nextGaussian());
            a.set(v);
        });
    }

    private static double maxDifference(float[] x, float[] y) {
        double worst = 0;
        for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
        return worst;
    }

    @Test
    void freshAdaptersLeaveTheBaseAndMergingEqualsTheAdaptedForward() {
        for (String family : List.of("llama", "qwen2", "phi3", "gpt_neox", "gpt2", "gemma2")) {
            try (NDManager m = NDManager.newBaseManager(); CausalLM base = fixture(family, m)) {
                LoraAdapters adapters = LoraAdapters.init(base, new LoraConfig(4, 8, 0, List.of("all-linear")), 7, m);
                CausalLM adapted = adapters.applyTo(base);
                float[] before = logits(base, m);
                assertArrayEquals(before, logits(adapted, m), family + ": B = 0 leaves the outputs");
                randomiseB(adapters, 3);
                float[] after = logits(adapted, m);
                assertTrue(maxDifference(before, after) > 1e-3, family + ": the adapters change the outputs");
                assertArrayEquals(before, logits(base, m), family + ": the base (the reference) is untouched");
                CausalLM merged = Models.create(base.config(), adapters.merged(base, m), m);
                double largest = 1;
                for (float v : after) largest = Math.max(largest, Math.abs(v));
                assertTrue(maxDifference(after, logits(merged, m)) <= 1e-5 * largest, family + ": merged weights give the adapted logits");
            }
        }
    }

    /** Dropout acts in training only (while gradients are recorded), seeded by the engine's generator. */
    @Test
    void dropoutActsOnlyWhileTrainingAndFollowsTheEngineSeed() {
        try (NDManager m = NDManager.newBaseManager(); CausalLM base = fixture("llama", m)) {
            LoraAdapters adapters = LoraAdapters.init(base, new LoraConfig(4, 8, 0.5, List.of("q_proj", "v_proj")), 7, m);
            randomiseB(adapters, 3);
            LoraAdapters plain = LoraAdapters.read(writeAndRead(adapters, base), base, m);
            CausalLM withDropout = adapters.applyTo(base);
            float[] inference = logits(withDropout, m);
            assertEquals(0, maxDifference(inference, logits(plain.applyTo(base), m)), "no dropout outside training");
            float[][] trained = new float[3][];
            for (int run = 0; run < 3; run++) {
                Engine.getInstance().setRandomSeed(run == 2 ? 11 : 10);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    trained[run] = logits(withDropout, m);
                }
            }
            assertTrue(maxDifference(inference, trained[0]) > 1e-3, "dropout changes the training forward");
            assertArrayEquals(trained[0], trained[1], "the same seed draws the same masks");
            assertTrue(maxDifference(trained[0], trained[2]) > 1e-4, "another seed draws other masks");
        }
    }

    /** The adapters with dropout 0, through PEFT's files (what inference reads). */
    private Path writeAndRead(LoraAdapters adapters, CausalLM base) {
        try {
            Path folder = Files.createDirectories(dir.resolve("no-dropout"));
            adapters.writeInto(folder, base, "base");
            Path config = folder.resolve(LoraAdapters.CONFIG);
            ObjectNode c = (ObjectNode) JSON.readTree(config.toFile());
            c.put("lora_dropout", 0.0);
            JSON.writeValue(config.toFile(), c);
            return folder;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theJavaDecoderSamplesTheAdaptedModelAsTheEngineDoes() {
        try (NDManager m = NDManager.newBaseManager(); CausalLM base = fixture("qwen2", m)) {
            LoraAdapters adapters = LoraAdapters.init(base, new LoraConfig(8, 16, 0, List.of("q_proj", "v_proj", "down_proj")), 1, m);
            randomiseB(adapters, 5);
            CausalLM adapted = adapters.applyTo(base);
            assertTrue(JavaDecoder.supports(adapted));
            List<int[]> prompts = List.of(new int[] {447, 3, 9}, new int[] {447}, new int[] {447, 100, 200, 300, 4});
            SamplingConfig sampling = new SamplingConfig(1.0, 0, 0.9, 20, new int[0], new int[0], 4);
            var engine = Sampler.generateOnEngine(adapted, prompts, sampling);
            var onJava = JavaDecoder.of(adapted).generate(prompts, sampling);
            var plain = JavaDecoder.of(base).generate(prompts, sampling);
            boolean differs = false;
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(engine.get(i).tokens(), onJava.get(i).tokens(), "row " + i);
                assertArrayEquals(engine.get(i).logProbs(), onJava.get(i).logProbs(), 1e-4, "row " + i);
                differs |= !java.util.Arrays.equals(plain.get(i).tokens(), onJava.get(i).tokens());
            }
            assertTrue(differs, "the adapters change what is sampled");
        }
    }

    /** Autograd reaches A and B (float64, central differences) and nothing of the frozen base. */
    @Test
    void adapterGradientsMatchFiniteDifferencesAndTheBaseGetsNone() {
        try (NDManager m = NDManager.newBaseManager()) {
            var w = HfCheckpoint.read(SharedData.require("fixtures/architectures/llama"), m, DataType.FLOAT64);
            CausalLM base = Models.create(w.config(), w.parameters(), m);
            LoraAdapters adapters = LoraAdapters.init(base, new LoraConfig(2, 4, 0, List.of("q_proj", "up_proj")), 9, m);
            randomiseB(adapters, 8);
            CausalLM adapted = adapters.applyTo(base);
            List<int[]> prompts = List.of(new int[] {1, 5, 7}, new int[] {1, 40});
            List<int[]> responses = List.of(new int[] {8, 2, 30}, new int[] {3, 11});
            Map<String, NDArray> trained = adapters.tensors();
            trained.values().forEach(a -> a.setRequiresGradient(true));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(SequenceScorer.score(adapted, ResponseBatch.rightPadded(m, prompts, responses, 0)).sequenceLogProbs().sum());
            }
            for (NDArray p : base.parameters().values()) assertFalse(p.hasGradient(), "frozen base weights hold no gradient");
            int checked = 0;
            for (Map.Entry<String, NDArray> e : trained.entrySet()) {
                NDArray a = e.getValue();
                double[] grad = a.getGradient().toDoubleArray();
                double[] values = a.toDoubleArray();
                for (int i : new int[] {0, values.length / 2, values.length - 1}) {
                    double saved = values[i], h = 1e-6;
                    values[i] = saved + h;
                    a.set(values);
                    double plus = score(adapted, prompts, responses, m);
                    values[i] = saved - h;
                    a.set(values);
                    double minus = score(adapted, prompts, responses, m);
                    values[i] = saved;
                    a.set(values);
                    double numeric = (plus - minus) / (2 * h), scale = Math.max(Math.abs(numeric), Math.abs(grad[i]));
                    if (scale < 1e-8) continue;
                    assertEquals(0, Math.abs(numeric - grad[i]) / scale, 1e-4, e.getKey() + "[" + i + "]");
                    checked++;
                }
            }
            assertTrue(checked >= trained.size(), "checked " + checked);
        }
    }

    private static double score(CausalLM model, List<int[]> prompts, List<int[]> responses, NDManager m) {
        try (NDManager s = m.newSubManager()) {
            return SequenceScorer.score(model, ResponseBatch.rightPadded(s, prompts, responses, 0)).sequenceLogProbs().sum().getDouble();
        }
    }

    @Test
    void adaptersRoundTripThroughPeftFilesAndBadFilesNameTheKey() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); CausalLM base = fixture("gpt_neox", m)) {
            LoraAdapters adapters = LoraAdapters.init(base, new LoraConfig(4, 16, 0.1, List.of("query_key_value", "dense_4h_to_h")), 2, m);
            randomiseB(adapters, 6);
            Path folder = Files.createDirectories(dir.resolve("adapter"));
            adapters.writeInto(folder, base, "base");
            var config = JSON.readTree(folder.resolve(LoraAdapters.CONFIG).toFile());
            assertEquals("LORA", config.get("peft_type").asText());
            assertEquals(4, config.get("r").asInt());
            assertTrue(adapters.tensors().containsKey("base_model.model.gpt_neox.layers.0.attention.query_key_value.lora_A.weight"));
            LoraAdapters read = LoraAdapters.read(folder, base, m);
            assertEquals(adapters.modules(), read.modules());
            assertEquals(adapters.config(), read.config());
            assertArrayEquals(logits(adapters.applyTo(base), m), logits(read.applyTo(base), m));

            try (NDManager other = NDManager.newBaseManager(); CausalLM llama = fixture("llama", other)) {
                String e = assertThrows(UserError.class, () -> LoraAdapters.read(folder, llama, other)).getMessage();
                assertTrue(e.contains(LoraAdapters.WEIGHTS) && e.contains("gpt_neox.layers") && e.contains("not a linear layer"), e);
            }
            ObjectNode dora = (ObjectNode) config;
            dora.put("use_dora", true);
            JSON.writeValue(folder.resolve(LoraAdapters.CONFIG).toFile(), dora);
            String e = assertThrows(UserError.class, () -> LoraAdapters.read(folder, base, m)).getMessage();
            assertTrue(e.contains("use_dora") && e.contains(LoraAdapters.CONFIG), e);
            e = assertThrows(UserError.class, () -> LoraAdapters.init(base, new LoraConfig(4, 8, 0, List.of("q_proj")), 1, m)).getMessage();
            assertTrue(e.contains("q_proj") && e.contains("query_key_value"), e);
        }
    }

    /**
     * The real client, both ways: PEFT loads adapters Align4j wrote onto the base Align4j saved and
     * gives Align4j's logits; Align4j loads adapters PEFT wrote ({@code get_peft_model(...)
     * .save_pretrained}), and PEFT, loading the same files, gives the logits Align4j computes with
     * them. Runs where the bench's Python environment exists; skips with a message elsewhere.
     */
    @Test
    void peftReadsAlign4jAdaptersAndAlign4jReadsPefts() throws Exception {
        Path python = io.align4j.model.TransformersInteropTest.benchPython();
        ArrayNode cases = JSON.createArrayNode();
        Map<String, List<String>> families = new java.util.TreeMap<>(Map.of(
                "llama", List.of("q_proj", "v_proj", "gate_proj"), "qwen2", List.of("q_proj", "k_proj", "o_proj"),
                "gpt_neox", List.of("query_key_value", "dense"), "phi3", List.of("qkv_proj", "gate_up_proj"),
                "gpt2", List.of("c_attn", "c_fc"), "gemma2", List.of("q_proj", "down_proj")));
        for (var entry : families.entrySet()) {
            String family = entry.getKey();
            try (NDManager m = NDManager.newBaseManager(); CausalLM base = fixture(family, m)) {
                Path baseDir = dir.resolve(family + "-base"), ours = Files.createDirectories(dir.resolve(family + "-ours"));
                HfCheckpoint.write(baseDir, base.config(), base.parameters(), DataType.FLOAT32);
                LoraAdapters adapters = LoraAdapters.init(base, new LoraConfig(4, 8, 0, entry.getValue()), 11, m);
                randomiseB(adapters, 12);
                adapters.writeInto(ours, base, baseDir.toString());
                cases.add(interopCase(family + " (Align4j's adapter in PEFT)", baseDir, ours, logits(adapters.applyTo(base), m), base));

                Path theirs = dir.resolve(family + "-peft");
                run(python, "write", baseDir.toString(), theirs.toString(), "4", String.join(",", entry.getValue()), "13");
                LoraAdapters fromPeft = LoraAdapters.read(theirs, base, m);
                cases.add(interopCase(family + " (PEFT's adapter in Align4j)", baseDir, theirs, logits(fromPeft.applyTo(base), m), base));
            }
        }
        Path file = dir.resolve("cases.json");
        JSON.writeValue(file.toFile(), cases);
        String out = run(python, "load", file.toString());
        System.out.println(out);
        assertTrue(out.contains(cases.size() + " passed, 0 failed"), out);
    }

    private static ObjectNode interopCase(String name, Path base, Path adapter, float[] logits, CausalLM model) {
        ObjectNode c = JSON.createObjectNode();
        c.put("name", name);
        c.put("base", base.toString());
        c.put("adapter", adapter.toString());
        ArrayNode input = c.putArray("input_ids");
        for (int i : ids(model)) input.add(i);
        ArrayNode rows = c.putArray("logits");
        int vocab = model.config().vocabSize();
        for (int t = 0; t < IDS.length; t++) {
            ArrayNode row = rows.addArray();
            for (int v = 0; v < vocab; v++) row.add(logits[t * vocab + v]);
        }
        return c;
    }

    private static String run(Path python, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(python.toString(), Path.of("scripts/peft_interop_check.py").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), output);
        return output;
    }
}
