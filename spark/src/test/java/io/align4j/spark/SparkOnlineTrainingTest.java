package io.align4j.spark;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.config.OnlineConfig;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.ModelLoader;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.train.LocalRollouts;
import io.align4j.train.MetricsLog;
import io.align4j.train.OnlineTrainer;
import io.align4j.train.RewardSource;
import io.align4j.train.RewardSpec;
import io.align4j.train.Rollout;
import io.align4j.train.RolloutRequest;
import io.align4j.train.RolloutWorkerSpec;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online training with its rollouts made by Spark executors (local mode, 2 executor threads) is
 * the same run as without Spark: rollouts, metrics and final weights bit for bit, including a
 * Spark run stopped and resumed from its checkpoint.
 */
class SparkOnlineTrainingTest {
    static final String[] OPENINGS = {"Once upon a time, there was a little girl named Lily.", "One day, Tom went to the park.",
            "Sam had a red ball.", "The cat sat in the sun.", "Mia and Ben found a box.", "There was a big tree.",
            "One day, a bird flew to the garden.", "Lily wanted to play outside."};
    static final String MASTER = "local[2]";

    @TempDir Path dir;

    static Path stories260K() {
        Path model = DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
        assumeTrue(Files.isRegularFile(model), "skipped: " + model + " is absent (the shared data folder, ../shared/data, or -Dalign4j.data)");
        return model;
    }

    static Path writePrompts(Path dir, int count) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) lines.add("{\"prompt\": \"" + OPENINGS[i % OPENINGS.length] + (i >= OPENINGS.length ? " " + i : "") + "\"}");
        return Files.write(dir.resolve("prompts.jsonl"), lines);
    }

    /** 3 steps of 4 prompts × 2 samples of exactly 12 tokens, in 2 rollout shards, 2 × 2 updates each; gold judge. */
    OnlineConfig config(String objective, String output, Path prompts) {
        OnlineConfig c = new OnlineConfig();
        c.objective = objective;
        c.prompts = prompts.toString();
        c.output = dir.resolve(output).toString();
        c.rewardModel = OnlineTrainer.GOLD;
        c.evalFraction = 0;
        c.batchSize = 4;
        c.samplesPerPrompt = 2;
        c.maxNewTokens = 12;
        c.fixedLength = true;
        c.innerEpochs = 2;
        c.miniBatches = 2;
        c.maxSteps = 3;
        c.learningRate = 3e-3;
        c.schedule = "constant";
        c.logEvery = 1;
        c.rolloutShards = 2;
        return c;
    }

    @Test
    void pdOnSparkIsTheRunWithoutSpark() throws IOException {
        stories260K();
        Path prompts = writePrompts(dir, 8);
        OnlineConfig here = config("pd", "here", prompts);
        OnlineTrainer.run(here, s -> {});
        OnlineConfig spark = config("pd", "spark", prompts);
        spark.sparkMaster = MASTER;
        List<String> log = new ArrayList<>();
        OnlineTrainer.run(spark, log::add);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("rollouts on Spark (local[2]): 2 tasks a rollout")), log.toString());
        assertSameRun(dir.resolve("here"), dir.resolve("spark"), 3);
    }

    /** RLHF with RLOO; the Spark run stops after 2 steps and resumes from its checkpoint for the third. */
    @Test
    void rlhfRlooOnSparkResumedIsTheRunWithoutSpark() throws IOException {
        stories260K();
        Path prompts = writePrompts(dir, 8);
        OnlineConfig here = config("rlhf", "here", prompts);
        here.estimator = "rloo";
        OnlineTrainer.run(here, s -> {});
        OnlineConfig spark = config("rlhf", "spark", prompts);
        spark.estimator = "rloo";
        spark.sparkMaster = MASTER;
        spark.stopAfterSteps = 2;
        assertEquals(2, OnlineTrainer.run(spark, s -> {}).steps());
        spark.stopAfterSteps = 0;
        spark.resume = true;
        assertEquals(3, OnlineTrainer.run(spark, s -> {}).steps());
        assertSameRun(dir.resolve("here"), dir.resolve("spark"), 3);
    }

    /** The rollouts themselves: every field of every row, from the executors and from this process. */
    @Test
    void sparkRolloutsAreTheLocalOnes() throws IOException {
        Path model = stories260K();
        RewardSpec gold = new RewardSpec(OnlineTrainer.GOLD, null, null, null, null, 60);
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(model, null, manager);
             RewardSource reward = gold.build(start.tokenizer(), manager)) {
            TextTokenizer tok = start.tokenizer();
            List<int[]> groups = new ArrayList<>();
            for (String o : OPENINGS) groups.add(tok.encode(o, true, false));
            RolloutRequest whole = new RolloutRequest(groups, 3, SamplingConfig.sampling(1.0, 16, 42, tok.stopIds()), 0, true);
            List<RolloutRequest> shards = whole.shards(3);
            List<Rollout> local = new LocalRollouts(start.model(), reward, tok.padId()).rollouts(start.model(), shards);
            var spec = new RolloutWorkerSpec(model.toAbsolutePath().toString(), null, null, "cpu", "float32", true, gold);
            List<Rollout> onSpark;
            try (SparkRollouts source = new SparkRollouts(SparkSessions.open(MASTER, "test"), spec, s -> {})) {
                onSpark = source.rollouts(start.model(), shards);
                assertEquals(start.model().parameters().values().stream().mapToLong(p -> p.getShape().size() * 4).sum(),
                        source.broadcastBytes(), "one broadcast of the float32 weights");
            }
            assertRolloutsEqual(Rollout.concat(local), Rollout.concat(onSpark));
        }
    }

    static void assertRolloutsEqual(Rollout a, Rollout b) {
        assertEquals(a.rows(), b.rows());
        assertEquals(a.groups(), b.groups());
        for (int r = 0; r < a.rows(); r++) {
            assertArrayEquals(a.prompts().get(r), b.prompts().get(r), "prompt " + r);
            assertArrayEquals(a.responses().get(r), b.responses().get(r), "response " + r);
            assertArrayEquals(a.tokenLogProbs()[r], b.tokenLogProbs()[r], 0, "token log-probs " + r);
            assertArrayEquals(a.refTokenLogProbs()[r], b.refTokenLogProbs()[r], 0, "reference token log-probs " + r);
            assertArrayEquals(a.referenceFeatures()[r], b.referenceFeatures()[r], 0, "reference features " + r);
        }
        assertArrayEquals(a.logProbs(), b.logProbs(), 0);
        assertArrayEquals(a.refLogProbs(), b.refLogProbs(), 0);
        assertArrayEquals(a.scores(), b.scores(), 0);
        assertEquals(a.rewardMetrics(), b.rewardMetrics());
    }

    static void assertSameRun(Path a, Path b, int steps) throws IOException {
        assertEquals(MetricsLog.read(a.resolve("metrics.jsonl")), MetricsLog.read(b.resolve("metrics.jsonl")), "metrics of every step");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> x = HfCheckpoint.read(a.resolve("checkpoint-" + steps), m, DataType.FLOAT32).parameters();
            Map<String, NDArray> y = HfCheckpoint.read(b.resolve("checkpoint-" + steps), m, DataType.FLOAT32).parameters();
            assertEquals(x.keySet(), y.keySet());
            for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, k);
        }
    }
}
