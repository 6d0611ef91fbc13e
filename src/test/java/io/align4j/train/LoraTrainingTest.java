package io.align4j.train;

import io.align4j.config.OfflineConfig;
import io.align4j.config.OnlineConfig;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.ModelLoader;
import io.align4j.safetensors.SafeTensors;
import io.align4j.model.lora.LoraAdapters;
import io.align4j.testing.CliRun;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DPO with LoRA adapters on stories260K: adapter-only checkpoints, exact resume, and the files' use. */
class LoraTrainingTest {
    @TempDir Path dir;
    Path data;

    @BeforeEach
    void writeData() throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        data = StoryPairs.write(dir);
    }

    private OfflineConfig config(String output, int loraR) {
        OfflineConfig c = new OfflineConfig();
        c.data = data.toString();
        c.output = dir.resolve(output).toString();
        c.referenceCache = dir.resolve("refcache").toString();
        c.maxSteps = 8;
        c.batchSize = 4;
        c.learningRate = 1e-2;
        c.logEvery = 1;
        c.evalFraction = 0.2;
        c.loraR = loraR;
        c.loraAlpha = 2.0 * loraR;
        c.loraDropout = 0.1;
        c.loraTarget = "q_proj,v_proj,down_proj";
        return c;
    }

    private static long folderBytes(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void loraCheckpointsHoldOnlyAdaptersAndResumeBitwiseWithDropout() throws IOException {
        OfflineConfig straight = config("straight", 4);
        TrainingLoop.Result r = PreferenceTrainer.run(straight, s -> {});
        Path last = r.output();
        assertTrue(Files.exists(last.resolve(LoraAdapters.CONFIG)) && Files.exists(last.resolve(LoraAdapters.WEIGHTS)));
        assertFalse(Files.exists(last.resolve(HfCheckpoint.WEIGHTS)), "no copy of the base weights");

        OfflineConfig halves = config("halves", 4);
        halves.stopAfterSteps = 3;
        PreferenceTrainer.run(halves, s -> {});
        halves.stopAfterSteps = 0;
        halves.resume = true;
        assertEquals(8, PreferenceTrainer.run(halves, s -> {}).steps());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> a = SafeTensors.read(last.resolve(LoraAdapters.WEIGHTS), m);
            Map<String, NDArray> b = SafeTensors.read(dir.resolve("halves/checkpoint-8").resolve(LoraAdapters.WEIGHTS), m);
            assertEquals(a.keySet(), b.keySet());
            boolean trained = false;
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
                if (k.endsWith("lora_B.weight")) trained |= a.get(k).abs().max().getFloat() > 0;
            }
            assertTrue(trained, "the adapters moved from B = 0");
        }
        assertEquals(MetricsLog.read(dir.resolve("straight/metrics.jsonl")), MetricsLog.read(dir.resolve("halves/metrics.jsonl")));

        OfflineConfig full = config("full", 0);
        full.maxSteps = 1;
        Path fullCheckpoint = PreferenceTrainer.run(full, s -> {}).output();
        double share = (double) folderBytes(last) / folderBytes(fullCheckpoint);
        assertTrue(share < 0.05, "a LoRA checkpoint is " + share + " of a full one");
    }

    /** PPO with LoRA: 4 rollouts straight, and 2 + resume + 2 give bitwise equal adapters, value head and metrics. */
    @Test
    void onlinePpoWithLoraResumesBitwise() throws IOException {
        Path prompts = OnlineTrainerTest.writeOpenings(dir);
        OnlineConfig straight = online(prompts, "ppo-straight");
        OnlineTrainer.run(straight, s -> {});
        OnlineConfig halves = online(prompts, "ppo-halves");
        halves.stopAfterSteps = 2;
        assertEquals(2, OnlineTrainer.run(halves, s -> {}).steps());
        halves.stopAfterSteps = 0;
        halves.resume = true;
        assertEquals(4, OnlineTrainer.run(halves, s -> {}).steps());
        Path a = dir.resolve("ppo-straight/checkpoint-4"), b = dir.resolve("ppo-halves/checkpoint-4");
        assertFalse(Files.exists(a.resolve(HfCheckpoint.WEIGHTS)), "adapters only");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> adaptersA = SafeTensors.read(a.resolve(LoraAdapters.WEIGHTS), m);
            OnlineTrainerTest.assertTensorsEqual(adaptersA, SafeTensors.read(b.resolve(LoraAdapters.WEIGHTS), m));
            OnlineTrainerTest.assertTensorsEqual(TrainingLoop.readAuxiliary(a, m), TrainingLoop.readAuxiliary(b, m));
            assertTrue(adaptersA.entrySet().stream().anyMatch(e -> e.getKey().endsWith("lora_B.weight")
                    && e.getValue().abs().max().getFloat() > 0), "the adapters moved from B = 0");
        }
        assertEquals(MetricsLog.read(dir.resolve("ppo-straight/metrics.jsonl")), MetricsLog.read(dir.resolve("ppo-halves/metrics.jsonl")));
    }

    private static OnlineConfig online(Path prompts, String output) {
        OnlineConfig c = OnlineTrainerTest.smallOnlineRun("rlhf", prompts, prompts.getParent().resolve(output));
        c.rewardModel = OnlineTrainer.GOLD;
        c.loraR = 4;
        c.loraAlpha = 8;
        c.loraDropout = 0.1;
        c.learningRate = 1e-2;
        return c;
    }

    @Test
    void anAdapterFolderLoadsAsAModelAndMergesToTheSameLogits() throws IOException {
        OfflineConfig c = config("run", 4);
        c.maxSteps = 3;
        Path adapter = PreferenceTrainer.run(c, s -> {}).output();
        String[] generated = CliRun.run("generate", "--model", adapter.toString(), "--max-new-tokens", "8", "--ids");
        assertEquals("0", generated[0], generated[2]);
        Path merged = dir.resolve("merged");
        String[] r = CliRun.run("merge", "--model", DataPaths.root().resolve(DataPaths.STORIES260K_MODEL).toString(),
                "--adapter", adapter.toString(), "--out", merged.toString());
        assertEquals("0", r[0], r[2]);
        assertEquals(generated[1], CliRun.run("generate", "--model", merged.toString(), "--max-new-tokens", "8", "--ids")[1],
                "the merged model samples what base + adapters sample");
        try (NDManager m = NDManager.newBaseManager();
             ModelLoader.LoadedModel a = ModelLoader.load(adapter, null, m);
             ModelLoader.LoadedModel b = ModelLoader.load(merged, null, m)) {
            int[] ids = {1, 403, 407, 261, 378, 1, 300};
            float[] x = a.model().forward(m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length)), null, null, null).toFloatArray();
            float[] y = b.model().forward(m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length)), null, null, null).toFloatArray();
            double largest = 1, worst = 0;
            for (int i = 0; i < x.length; i++) {
                largest = Math.max(largest, Math.abs(x[i]));
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
            assertTrue(worst <= 1e-5 * largest, "merged logits differ by " + worst);
        }
    }
}
