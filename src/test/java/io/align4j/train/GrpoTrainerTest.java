package io.align4j.train;

import io.align4j.config.OnlineConfig;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.safetensors.SafeTensors;
import io.align4j.reward.RewardFunction;
import io.align4j.testing.CliRun;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GRPO on stories260K: the three loss types train, resume is exact with dynamic sampling, and user rewards plug in and fail cleanly. */
class GrpoTrainerTest {
    @TempDir Path dir;
    Path prompts;

    @BeforeEach
    void writePrompts() throws IOException {
        prompts = OnlineTrainerTest.writeOpenings(dir);
    }

    /** GRPO's small run: 4 completions per prompt, a regex reward. */
    OnlineConfig config(String output) {
        OnlineConfig c = OnlineTrainerTest.smallOnlineRun("grpo", prompts, dir.resolve(output));
        c.rewardRegex = List.of("\\bthe\\b");
        c.samplesPerPrompt = 4;
        return c;
    }

    /** A reward written by a user: 1 when the completion says "the", plus 0.1 per "a". */
    public static final class SaysThe implements RewardFunction {
        @Override
        public double[] score(List<String> prompts, List<String> completions) {
            return completions.stream().mapToDouble(c -> (c.matches("(?s).*\\bthe\\b.*") ? 1 : 0) + 0.1 * c.split("\\ba\\b", -1).length - 0.1)
                    .toArray();
        }
    }

    /** Throws on its third batch (step 3 of a run). */
    public static final class FailsOnThirdBatch implements RewardFunction {
        static int calls;

        @Override
        public String name() { return "fails-on-third"; }

        @Override
        public double[] score(List<String> prompts, List<String> completions) {
            if (++calls >= 3) throw new IllegalStateException("verifier crashed");
            return new double[completions.size()];
        }
    }

    /** Never answers. */
    public static final class Hangs implements RewardFunction {
        @Override
        public double[] score(List<String> prompts, List<String> completions) throws InterruptedException {
            Thread.sleep(60_000);
            return new double[completions.size()];
        }
    }

    @Test
    void eachLossTypeTrainsAndLogsTrlMetrics() throws IOException {
        for (String lossType : List.of("grpo", "dr_grpo", "dapo")) {
            OnlineConfig c = config(lossType);
            c.lossType = lossType;
            c.maxSteps = 3;
            if (lossType.equals("grpo")) c.beta = 0.04;
            if (lossType.equals("dapo")) c.epsilonHigh = 0.28;
            TrainingLoop.Result r = OnlineTrainer.run(c, s -> {});
            List<Map<String, Object>> rows = MetricsLog.read(Path.of(c.output, "metrics.jsonl"));
            assertEquals(3, rows.size());
            for (Map<String, Object> row : rows)
                row.forEach((k, v) -> assertTrue(Double.isFinite(((Number) v).doubleValue()), lossType + " " + k + " = " + v));
            for (String k : List.of("loss", "reward", "reward_std", "frac_reward_zero_std", "completions/mean_length",
                    "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean", "entropy", "rewards/regex:\\bthe\\b/mean"))
                assertTrue(r.lastMetrics().containsKey(k), lossType + " logs " + k + ": " + r.lastMetrics().keySet());
            assertEquals(lossType.equals("grpo"), r.lastMetrics().containsKey("kl"), "kl only with beta > 0");
            assertEquals(lossType.equals("grpo"), r.lastMetrics().containsKey("objective/kl"), "no reference model when beta = 0");
            assertEquals(12.0, r.lastMetrics().get("completions/mean_length"));
            try (NDManager m = NDManager.newBaseManager()) {
                Map<String, NDArray> trained = HfCheckpoint.read(r.output(), m, DataType.FLOAT32).parameters();
                String w = "model.layers.0.mlp.down_proj.weight";
                var original = io.align4j.model.io.ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, m).model();
                assertTrue(trained.get(w).sub(original.parameters().get(w)).abs().max().getFloat() > 0, lossType + " moved the policy");
            }
        }
    }

    /**
     * At a rollout's first update π_θ is the sampling policy and the reference: the training
     * forward's response log-probs agree with the sampler's (no token clipped, the ratio's
     * deviation only float32 round-off) and with the reference's (k3 KL ~ 0).
     */
    @Test
    void firstUpdateSeesTheSamplingPolicy() {
        try (NDManager manager = NDManager.newBaseManager();
             var start = io.align4j.model.io.ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, manager)) {
            var tok = start.tokenizer();
            List<int[]> promptIds = OnlineTrainerTest.promptIds(tok);
            OnlineConfig c = config("unused");
            c.beta = 0.1;
            c.miniBatches = 1;
            var policy = io.align4j.model.family.Models.trainable(start.model());
            GrpoTask task = new GrpoTask(policy, io.align4j.model.family.Models.frozenCopy(policy, manager), OnlineTrainerTest.gold(tok, manager),
                    OnlineTrainer.grpo(c), promptIds, List.of(), tok.padId(), new int[0], new int[] {tok.bosId(), tok.eosId()}, c);
            try (NDManager m = manager.newSubManager()) {
                int[] all = java.util.stream.IntStream.range(0, promptIds.size()).toArray();
                task.beginStep(m, all, 5);
                var first = task.loss(m, all, 5, 0);
                assertEquals(0.0, first.value("clip_ratio/region_mean"));
                assertTrue(Math.abs(first.value("kl")) < 1e-6, "kl = " + first.value("kl"));
                assertTrue(first.value("entropy") > 0.5 && first.value("entropy") < 6.3, "entropy = " + first.value("entropy"));
            }
        }
    }

    /** 4 steps straight and 2 + resume + 2 with dynamic sampling refilling groups: weights, moments and metrics identical. */
    @Test
    void resumeIsBitwiseExactWithDynamicSampling() throws IOException {
        OnlineConfig straight = config("straight");
        straight.dynamicSampling = true;
        OnlineTrainer.run(straight, s -> {});
        OnlineConfig halves = config("halves");
        halves.dynamicSampling = true;
        halves.stopAfterSteps = 2;
        assertEquals(2, OnlineTrainer.run(halves, s -> {}).steps());
        halves.stopAfterSteps = 0;
        halves.resume = true;
        assertEquals(4, OnlineTrainer.run(halves, s -> {}).steps());

        List<Map<String, Object>> rows = MetricsLog.read(dir.resolve("straight/metrics.jsonl"));
        assertEquals(rows, MetricsLog.read(dir.resolve("halves/metrics.jsonl")));
        double refillRounds = rows.stream().mapToDouble(r -> ((Number) r.get("dynamic_sampling/rounds")).doubleValue()).sum();
        assertTrue(refillRounds > 0, "some step refilled dropped groups: " + rows);
        Path a = dir.resolve("straight/checkpoint-4"), b = dir.resolve("halves/checkpoint-4");
        try (NDManager m = NDManager.newBaseManager()) {
            OnlineTrainerTest.assertTensorsEqual(HfCheckpoint.read(a, m, DataType.FLOAT32).parameters(), HfCheckpoint.read(b, m, DataType.FLOAT32).parameters());
            OnlineTrainerTest.assertTensorsEqual(SafeTensors.read(a.resolve(TrainingLoop.OPTIMIZER_STATE), m),
                    SafeTensors.read(b.resolve(TrainingLoop.OPTIMIZER_STATE), m));
        }
    }

    /** A Java plug-in named by class and a regex, weighted 1 and 0.5: the logged reward is the weighted sum of the parts' means. */
    @Test
    void javaPluginAndRegexTrainWithWeights() throws IOException {
        OnlineConfig c = config("plugin");
        c.rewardClass = List.of(SaysThe.class.getName());
        c.rewardRegex = List.of("\\bdog\\b");
        c.rewardWeights = List.of(1.0, 0.5);
        c.maxSteps = 2;
        TrainingLoop.Result r = OnlineTrainer.run(c, s -> {});
        Map<String, Double> m = r.lastMetrics();
        assertEquals(m.get("rewards/SaysThe/mean") + 0.5 * m.get("rewards/regex:\\bdog\\b/mean"), m.get("reward"), 1e-9);
        assertTrue(m.get("rewards/SaysThe/mean") > 0);
    }

    /** The external command scores every sample of 3 steps and is started exactly once (the script counts its starts). */
    @Test
    void externalCommandIsStartedOncePerRun() throws IOException {
        Path counter = dir.resolve("starts.txt");
        Path script = dir.resolve("reward.sh");
        Files.writeString(script, "echo started >> '" + counter + "'\n"
                + "while IFS= read -r line; do case \"$line\" in *'\"completion\"'*the*) echo 1;; *) echo 0;; esac; done\n");
        OnlineConfig c = config("command");
        c.rewardRegex = null;
        c.rewardCommand = List.of("sh '" + script + "'");
        c.maxSteps = 3;
        TrainingLoop.Result r = OnlineTrainer.run(c, s -> {});
        assertEquals(List.of("started"), Files.readAllLines(counter));
        assertTrue(r.lastMetrics().containsKey("rewards/command:sh '" + script + "'/mean"), r.lastMetrics().keySet().toString());
        List<Map<String, Object>> rows = MetricsLog.read(Path.of(c.output, "metrics.jsonl"));
        assertTrue(rows.stream().anyMatch(row -> ((Number) row.get("reward")).doubleValue() > 0), "the command's scores arrive: " + rows);
    }

    @Test
    void crashingJavaRewardNamesTheSampleAndKeepsTheLastCheckpoint() throws IOException {
        FailsOnThirdBatch.calls = 0;
        String out = dir.resolve("crash").toString();
        String[] result = CliRun.run("train", "--objective", "grpo", "--prompts", prompts.toString(), "--output", out,
                "--reward-class", FailsOnThirdBatch.class.getName(), "--batch-size", "4", "--num-generations", "2", "--max-steps", "5",
                "--set", "max_new_tokens=8", "--set", "fixed_length=true", "--set", "save_every=1", "--set", "eval_fraction=0",
                "--set", "inner_epochs=1", "--set", "mini_batches=1");
        assertEquals("2", result[0], result[2]);
        String line = lastLine(result[2]);
        assertTrue(line.startsWith("align4j train: step 3: reward 'fails-on-third' failed on sample 0 of 8 (prompt \""), line);
        assertTrue(line.contains("threw java.lang.IllegalStateException: verifier crashed; the last checkpoint is ")
                && line.endsWith("checkpoint-2"), line);
        assertFalse(result[2].contains("\tat "), "no stack trace");
        assertLoadableAndResumable(Path.of(out, "checkpoint-2"));
    }

    @Test
    void hangingOrNonNumericRewardsStopWithTheirNameAndSample() throws IOException {
        Path script = dir.resolve("slow.sh");
        Files.writeString(script, "read -r first; echo 0.5; sleep 30\n");
        String[][] cases = {{"--reward-command", "sh '" + script + "'", "no answer within 1.0 s"},
                {"--reward-command", "while read -r l; do echo nope; done", "answered 'nope', not a number"},
                {"--reward-class", Hangs.class.getName(), "did not answer within 1.0 s"}};
        for (String[] k : cases) {
            String[] result = CliRun.run("train", "--objective", "grpo", "--prompts", prompts.toString(), "--output",
                    dir.resolve("bad").toString(), k[0], k[1], "--batch-size", "2", "--num-generations", "2", "--max-steps", "2",
                    "--set", "max_new_tokens=4", "--set", "eval_fraction=0", "--set", "reward_timeout=1");
            assertEquals("2", result[0], result[2]);
            String line = lastLine(result[2]);
            String sample = k[0].equals("--reward-class") ? "on the batch of 4 samples" : k[2].startsWith("no answer") ? "on sample 1 of 4" : "on sample 0 of 4";
            assertTrue(line.contains("failed " + sample) && line.contains(k[2]) && line.endsWith("the last checkpoint is none"), line);
        }
    }

    /** The checkpoint reads as a model, and a run resumes from it (with a reward that works) to the next step. */
    private void assertLoadableAndResumable(Path checkpoint) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            assertFalse(HfCheckpoint.read(checkpoint, m, DataType.FLOAT32).parameters().isEmpty());
        }
        OnlineConfig c = config("unused");
        c.output = checkpoint.getParent().toString();
        c.resume = true;
        c.samplesPerPrompt = 2;
        c.maxNewTokens = 8;
        c.innerEpochs = 1;
        c.miniBatches = 1;
        c.maxSteps = 3;
        assertEquals(3, OnlineTrainer.run(c, s -> {}).steps());
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1];
    }
}
