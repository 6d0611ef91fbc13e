package io.align4j.train;

import io.align4j.config.OfflineConfig;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.safetensors.SafeTensors;
import io.align4j.model.lora.LoraAdapters;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offline preference training on stories260K with a small synthetic preference file. */
class PreferenceTrainerTest {
    @TempDir Path dir;
    Path data;

    @BeforeEach
    void writeData() throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        data = StoryPairs.write(dir);
    }

    OfflineConfig config(String output) {
        OfflineConfig c = new OfflineConfig();
        c.data = data.toString();
        c.output = dir.resolve(output).toString();
        c.referenceCache = dir.resolve("refcache").toString();
        c.maxSteps = 12;
        c.batchSize = 4;
        c.learningRate = 1e-3;
        c.logEvery = 1;
        c.evalFraction = 0.2;
        return c;
    }

    @Test
    void resumeIsBitwiseExact() throws IOException {
        OfflineConfig straight = config("straight");
        PreferenceTrainer.run(straight, s -> {});

        OfflineConfig halves = config("halves");
        halves.stopAfterSteps = 6;
        assertEquals(6, PreferenceTrainer.run(halves, s -> {}).steps());
        halves.stopAfterSteps = 0;
        halves.resume = true;
        assertEquals(12, PreferenceTrainer.run(halves, s -> {}).steps());

        assertBitwiseEqual(dir.resolve("straight/checkpoint-12"), dir.resolve("halves/checkpoint-12"));
        // the metrics file reads as if the run had never stopped
        assertEquals(MetricsLog.read(dir.resolve("straight/metrics.jsonl")), MetricsLog.read(dir.resolve("halves/metrics.jsonl")));
    }

    /** Activation checkpointing changes what is kept, not what is computed: the same losses and weights up to float round-off. */
    @Test
    void gradientCheckpointingTrainsTheSameModel() throws IOException {
        OfflineConfig plain = config("plain");
        plain.maxSteps = 4;
        PreferenceTrainer.run(plain, s -> {});
        OfflineConfig checkpointed = config("checkpointed");
        checkpointed.maxSteps = 4;
        checkpointed.gradientCheckpointing = true;
        PreferenceTrainer.run(checkpointed, s -> {});
        assertSameTraining(dir.resolve("plain"), dir.resolve("checkpointed"));
    }

    /**
     * Log-probs through the LM head in chunks of 7 positions (every batch splits into several, rows cut mid-response)
     * against all logits at once: the same losses and weights up to float round-off. The head is tied to the embedding,
     * so its gradient arrives in two parts, through the trunk and through the deferred head pass.
     */
    @Test
    void logitChunksTrainTheSameModel() throws IOException {
        OfflineConfig whole = config("whole");
        whole.maxSteps = 4;
        whole.logitChunkTokens = 0;
        PreferenceTrainer.run(whole, s -> {});
        OfflineConfig chunked = config("chunked");
        chunked.maxSteps = 4;
        chunked.logitChunkTokens = 7;
        PreferenceTrainer.run(chunked, s -> {});
        assertSameTraining(dir.resolve("whole"), dir.resolve("chunked"));
    }

    /** The same metrics (loss, gradient norm, held-out loss) at every step and the same weights at step 4, up to float round-off. */
    private static void assertSameTraining(Path a, Path b) throws IOException {
        List<Map<String, Object>> x = MetricsLog.read(a.resolve("metrics.jsonl")), y = MetricsLog.read(b.resolve("metrics.jsonl"));
        assertEquals(x.size(), y.size());
        for (int i = 0; i < x.size(); i++)
            for (String key : List.of("loss", "grad_norm", "eval/loss"))
                if (x.get(i).containsKey(key))
                    assertEquals(((Number) x.get(i).get(key)).doubleValue(), ((Number) y.get(i).get(key)).doubleValue(), 1e-5, key + " at row " + i);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> p = HfCheckpoint.read(a.resolve("checkpoint-4"), m, DataType.FLOAT32).parameters();
            Map<String, NDArray> q = HfCheckpoint.read(b.resolve("checkpoint-4"), m, DataType.FLOAT32).parameters();
            assertEquals(p.keySet(), q.keySet());
            for (String name : p.keySet())
                assertTrue(p.get(name).sub(q.get(name)).abs().max().getFloat() < 1e-5, name + " after 4 steps");
        }
    }

    /**
     * Every run here is its own process through the CLI, as users run them: an uninterrupted run,
     * a run killed (SIGKILL) in the middle of writing checkpoint 8, and its resume from
     * checkpoint 4. The resumed run ends bit for bit where the uninterrupted one does.
     */
    @Test
    void killedWhileWritingACheckpointResumesFromThePreviousOneAndEndsBitwiseEqual() throws Exception {
        Path straight = dir.resolve("straight");
        assertEquals(0, cli(straight, null, List.of()).waitFor());
        Path out = killAndResume();
        assertBitwiseEqual(straight.resolve("checkpoint-12"), out.resolve("checkpoint-12"));
    }

    /**
     * Regression test for garbage-collected autograd constants: DJL's {@code mul(Number)} and
     * kin keep the number in Java-owned memory that autograd reads in the backward pass, so a
     * collection between forward and backward corrupted gradients. A young generation of 2 MiB
     * collects every few operations; two such runs and a normal one must agree bit for bit.
     */
    @Test
    void runsUnderConstantGarbageCollectionAreIdentical() throws Exception {
        List<String> gcStress = List.of("-XX:+UseSerialGC", "-Xmn2m");
        Path normal = dir.resolve("normal"), first = dir.resolve("gc1"), second = dir.resolve("gc2");
        assertEquals(0, cli(normal, null, List.of()).waitFor());
        assertEquals(0, cli(first, dir.resolve("gc1.err"), gcStress).waitFor(), () -> tail(dir.resolve("gc1.err")));
        assertEquals(0, cli(second, dir.resolve("gc2.err"), gcStress).waitFor(), () -> tail(dir.resolve("gc2.err")));
        assertBitwiseEqual(normal.resolve("checkpoint-12"), first.resolve("checkpoint-12"));
        assertBitwiseEqual(normal.resolve("checkpoint-12"), second.resolve("checkpoint-12"));
    }

    /** The same with LoRA adapters (dropout on): the resumed run's adapters end bit for bit where the uninterrupted run's do. */
    @Test
    void loraRunKilledWhileWritingACheckpointResumesBitwise() throws Exception {
        String[] lora = {"--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0.1", "--lora-target", "q_proj,v_proj,down_proj"};
        Path straight = dir.resolve("straight-lora");
        assertEquals(0, cli(straight, null, List.of(), lora).waitFor());
        Path out = killAndResume(lora);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> x = SafeTensors.read(straight.resolve("checkpoint-12").resolve(LoraAdapters.WEIGHTS), m);
            Map<String, NDArray> y = SafeTensors.read(out.resolve("checkpoint-12").resolve(LoraAdapters.WEIGHTS), m);
            assertEquals(x.keySet(), y.keySet());
            for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, k);
        }
    }

    /** A run killed (SIGKILL) while writing checkpoint 8, then resumed; returns its output folder. */
    private Path killAndResume(String... trainOptions) throws Exception {
        Path out = dir.resolve("killed");
        Path childErr = dir.resolve("child.err");
        Process p = cli(out, childErr, List.of("-Dalign4j.test.pauseCheckpointStep=8"), trainOptions);
        try (BufferedReader out1 = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out1.readLine()) != null && !line.startsWith("WRITING_CHECKPOINT 8")) { /* wait */ }
            assertNotNull(line, () -> "the child never reached checkpoint 8; its stderr ends:\n" + tail(childErr));
            p.destroyForcibly(); // SIGKILL, in the middle of writing checkpoint 8
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(Files.isDirectory(out.resolve("checkpoint-4")));
        assertFalse(Files.exists(out.resolve("checkpoint-8")), "a half-written checkpoint must not carry a final name");

        List<String> resumeOptions = new ArrayList<>(List.of(trainOptions));
        resumeOptions.add("--resume");
        Process resumed = cli(out, dir.resolve("resume.err"), List.of(), resumeOptions.toArray(String[]::new));
        assertEquals(0, resumed.waitFor(), () -> tail(dir.resolve("resume.err")));
        assertTrue(Files.isDirectory(out.resolve("checkpoint-12")), "the resumed run reaches the last step");
        return out;
    }

    /** {@code align4j train} on the test data in a new JVM; stdout is readable from the process. */
    private Process cli(Path output, Path stderr, List<String> jvmOptions, String... trainOptions) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true",
                "-D" + DataPaths.PROPERTY + "=" + DataPaths.root()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("io.align4j.cli.Main", "train", "--data", data.toString(), "--output", output.toString(),
                "--max-steps", "12", "--batch-size", "4", "--learning-rate", "1e-3",
                "--set", "save_every=4", "--set", "eval_fraction=0.2", "--set", "log_every=1",
                "--set", "reference_cache=" + dir.resolve("refcache")));
        cmd.addAll(List.of(trainOptions));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(stderr == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(stderr.toFile()));
        if (stderr == null) pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }

    @Test
    void nonFiniteLossStopsNamingTheStepAndBatch() {
        OfflineConfig c = config("nan");
        c.beta = Double.NaN;
        TrainingLoop.DivergedError e = assertThrows(TrainingLoop.DivergedError.class, () -> PreferenceTrainer.run(c, s -> {}));
        assertTrue(e.getMessage().contains("step 1") && e.getMessage().contains("training examples ["), e.getMessage());
        assertFalse(Files.exists(dir.resolve("nan/checkpoint-1")));
    }

    @Test
    void metricsCarryTheChosenRewardCurveAndTheReferenceCacheIsReused() throws IOException {
        OfflineConfig c = config("curves");
        List<String> messages = new ArrayList<>();
        PreferenceTrainer.run(c, messages::add);
        List<Map<String, Object>> rows = MetricsLog.read(dir.resolve("curves/metrics.jsonl"));
        long trainRows = rows.stream().filter(r -> r.containsKey("rewards/chosen")).count();
        assertEquals(12, trainRows);
        assertTrue(rows.stream().anyMatch(r -> r.containsKey("eval/rewards/accuracies")));
        double firstMargin = ((Number) rows.get(0).get("rewards/margins")).doubleValue();
        double lastMargin = ((Number) rows.get(11).get("rewards/margins")).doubleValue();
        assertTrue(lastMargin > firstMargin + 1, "DPO widens the margin: " + firstMargin + " -> " + lastMargin);

        List<String> again = new ArrayList<>();
        PreferenceTrainer.run(config("curves2"), again::add);
        assertTrue(again.stream().anyMatch(m -> m.contains("from the cache")), again.toString());
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static void assertBitwiseEqual(Path a, Path b) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> x = HfCheckpoint.read(a, m, DataType.FLOAT32).parameters();
            Map<String, NDArray> y = HfCheckpoint.read(b, m, DataType.FLOAT32).parameters();
            assertEquals(x.keySet(), y.keySet());
            for (String k : x.keySet())
                assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, k);
        }
    }
}
