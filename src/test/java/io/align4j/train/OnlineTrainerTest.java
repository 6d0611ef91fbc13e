package io.align4j.train;

import io.align4j.config.OnlineConfig;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.generate.Sampler;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.KvCache;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Models;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.ModelLoader;
import io.align4j.safetensors.SafeTensors;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.objective.ShapedReward;
import io.align4j.testing.SharedData;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Online methods on stories260K with the gold happiness judge: sampling cost, exact resume, first-update ratio, each objective's step. */
class OnlineTrainerTest {
    static final String[] OPENINGS = {"Once upon a time, there was a little girl named Lily.", "One day, Tom went to the park.",
            "Sam had a red ball.", "The cat sat in the sun.", "Mia and Ben found a box.", "There was a big tree.",
            "One day, a bird flew to the garden.", "Lily wanted to play outside.", "The dog was very small.",
            "Tim saw a boat on the lake.", "Sue had a new toy.", "The sun was bright and warm."};
    @TempDir Path dir;
    Path prompts;

    @BeforeEach
    void writePrompts() throws IOException {
        prompts = writeOpenings(dir);
    }

    /** The openings as a prompt file in {@code dir} (stories260K must be there to continue them). */
    static Path writeOpenings(Path dir) throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        List<String> lines = new ArrayList<>();
        for (String o : OPENINGS) lines.add("{\"prompt\": \"" + o + "\"}");
        Path file = dir.resolve("prompts.jsonl");
        Files.write(file, lines);
        return file;
    }

    OnlineConfig config(String objective, String output) {
        OnlineConfig c = smallOnlineRun(objective, prompts, dir.resolve(output));
        c.rewardModel = OnlineTrainer.GOLD;
        return c;
    }

    /** A few fast steps: 4 prompts × 2 samples of exactly 12 tokens, 2 × 2 updates per rollout, no held-out split. */
    static OnlineConfig smallOnlineRun(String objective, Path prompts, Path output) {
        OnlineConfig c = new OnlineConfig();
        c.objective = objective;
        c.prompts = prompts.toString();
        c.output = output.toString();
        c.evalFraction = 0;
        c.batchSize = 4;
        c.samplesPerPrompt = 2;
        c.maxNewTokens = 12;
        c.fixedLength = true;
        c.innerEpochs = 2;
        c.miniBatches = 2;
        c.maxSteps = 4;
        c.learningRate = 3e-3;
        c.schedule = "constant";
        c.logEvery = 1;
        return c;
    }

    /**
     * 64 prompts × 48 new tokens through the rollout: the policy sees one forward over the
     * prompts and then one single-token forward per further token (48 calls in all, 64 rows then
     * 1 column each), where recomputing every prefix would feed Σ (prompt + t) columns.
     */
    @Test
    void rolloutCallsTheModelOncePerNewToken() {
        String previous = System.getProperty(Sampler.PATH_PROPERTY);
        System.setProperty(Sampler.PATH_PROPERTY, "engine"); // the Java decoder would bypass forward() altogether
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, manager)) {
            TextTokenizer tok = start.tokenizer();
            Counting counting = new Counting(start.model());
            List<int[]> promptIds = new ArrayList<>();
            for (int i = 0; i < 64; i++) promptIds.add(tok.encode(OPENINGS[i % OPENINGS.length], true, false));
            int longest = promptIds.stream().mapToInt(p -> p.length).max().orElseThrow();
            OnlineConfig c = config("rlhf", "unused");
            PolicyGradientTask task = new PolicyGradientTask(counting, Models.frozenCopy(start.model(), manager), gold(tok, manager),
                    ShapedReward.rlhf(0.05), PolicyGradientTask.Estimator.RLOO, null, false, promptIds, List.of(), tok.padId(),
                    new int[0], new int[] {tok.bosId(), tok.eosId()}, c);
            try (NDManager m = manager.newSubManager()) {
                Rollout r = task.rollout(m, promptIds, 1, new SamplingConfig(1, 0, 1, 48, new int[0],
                        new int[] {tok.bosId(), tok.eosId()}, 7), false);
                assertEquals(64, r.responses().size());
                r.responses().forEach(a -> assertEquals(48, a.length));
            }
            assertEquals(48, counting.calls);
            assertEquals(64L * longest + 47L * 64, counting.columns, "one new column per row and token after the prompt pass");
        } finally {
            if (previous == null) System.clearProperty(Sampler.PATH_PROPERTY);
            else System.setProperty(Sampler.PATH_PROPERTY, previous);
        }
    }

    /** PPO run of 4 rollouts straight, and 2 + resume + 2: policy and value head bit for bit equal, metrics identical. */
    @Test
    void onlineResumeIsBitwiseExact() throws IOException {
        OnlineConfig straight = config("rlhf", "straight");
        OnlineTrainer.run(straight, s -> {});
        OnlineConfig halves = config("rlhf", "halves");
        halves.stopAfterSteps = 2;
        assertEquals(2, OnlineTrainer.run(halves, s -> {}).steps());
        halves.stopAfterSteps = 0;
        halves.resume = true;
        assertEquals(4, OnlineTrainer.run(halves, s -> {}).steps());

        Path a = dir.resolve("straight/checkpoint-4"), b = dir.resolve("halves/checkpoint-4");
        try (NDManager m = NDManager.newBaseManager()) {
            assertTensorsEqual(HfCheckpoint.read(a, m, DataType.FLOAT32).parameters(), HfCheckpoint.read(b, m, DataType.FLOAT32).parameters());
            Map<String, NDArray> headA = TrainingLoop.readAuxiliary(a, m), headB = TrainingLoop.readAuxiliary(b, m);
            assertEquals(java.util.Set.of(ValueHead.WEIGHT, ValueHead.BIAS), headA.keySet());
            assertTensorsEqual(headA, headB);
            assertNotEquals(0f, headA.get(ValueHead.WEIGHT).abs().sum().getFloat(), "the value head was trained");
            assertTensorsEqual(SafeTensors.read(a.resolve(TrainingLoop.OPTIMIZER_STATE), m),
                    SafeTensors.read(b.resolve(TrainingLoop.OPTIMIZER_STATE), m));
        }
        assertEquals(MetricsLog.read(dir.resolve("straight/metrics.jsonl")), MetricsLog.read(dir.resolve("halves/metrics.jsonl")));
    }

    /**
     * At the first update of a rollout the policy is the sampling policy: every token's ratio is 1
     * up to float32 round-off between the sampler's and the training forward's log-probs, so
     * nothing is clipped and the approximate KL is ~0.
     */
    @Test
    void ppoFirstUpdateHasRatioOneAndNoClipping() {
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, manager)) {
            TextTokenizer tok = start.tokenizer();
            List<int[]> promptIds = promptIds(tok);
            OnlineConfig c = config("rlhf", "unused");
            c.maxNewTokens = 24;
            c.miniBatches = 1;
            CausalLM policy = Models.trainable(start.model());
            PolicyGradientTask task = new PolicyGradientTask(policy, Models.frozenCopy(policy, manager), gold(tok, manager),
                    ShapedReward.rlhf(0.05), PolicyGradientTask.Estimator.PPO, ValueHead.zeros(policy.config().dim(), manager), true,
                    promptIds, List.of(), tok.padId(), new int[0], new int[] {tok.bosId(), tok.eosId()}, c);
            try (NDManager m = manager.newSubManager()) {
                int[] all = java.util.stream.IntStream.range(0, OPENINGS.length).toArray();
                Map<String, Double> rollout = task.beginStep(m, all, 11);
                // a fresh head (w = 0) starts at the rollout's mean return; with R̂ the gold reward in (−1, 1)
                // and the per-token KL zero at the start, that is the mean score
                assertEquals(rollout.get("rewards/mean"), rollout.get("val/calibrated_bias"), 1e-6);
                assertEquals(rollout.get("val/calibrated_bias"), rollout.get("val/mean"), 1e-6);
                ObjectiveOutput first = task.loss(m, all, 11, 0);
                assertEquals(0.0, first.value("clipfrac"));
                assertTrue(first.value("ratio/max_deviation") < 1e-4, "max |ρ − 1| = " + first.value("ratio/max_deviation"));
                assertTrue(Math.abs(first.value("approx_kl")) < 1e-7, "approx_kl = " + first.value("approx_kl"));
                assertTrue(Double.isFinite(first.value("loss/value")) && first.value("loss/value") > 0);
            }
        }
    }

    /** The openings' ids (BOS first). */
    static List<int[]> promptIds(TextTokenizer tok) {
        List<int[]> ids = new ArrayList<>();
        for (String o : OPENINGS) ids.add(tok.encode(o, true, false));
        return ids;
    }

    @Test
    void meanReturnToGoAveragesTheRemainingRewardOverResponseTokens() {
        double[][] rewards = {{0.5, -1.0, 2.0}, {1.0, 3.0, 9.0}}, mask = {{1, 1, 1}, {1, 1, 0}};
        // row 0: 1.5, 1.0, 2.0; row 1: 4.0, 3.0 (the padded 9.0 is ignored)
        assertEquals((1.5 + 1.0 + 2.0 + 4.0 + 3.0) / 5, PolicyGradientTask.meanReturnToGo(rewards, mask), 1e-12);
    }

    /** A few steps of each objective: every metric finite, the sampled reward changes and so does the policy. */
    @Test
    void eachObjectiveTrainsWithTheGoldJudge() throws IOException {
        String[][] runs = {{"pd", "ppo"}, {"rebel", "ppo"}, {"rlhf", "ppo"}, {"rkl", "ppo"}, {"rlhf", "rloo"}};
        for (String[] run : runs) {
            OnlineConfig c = config(run[0], run[0] + "-" + run[1]);
            c.estimator = run[1];
            c.maxSteps = 3;
            TrainingLoop.Result r = OnlineTrainer.run(c, s -> {});
            List<Map<String, Object>> rows = MetricsLog.read(Path.of(c.output, "metrics.jsonl"));
            assertEquals(3, rows.size(), run[0]);
            for (Map<String, Object> row : rows)
                row.forEach((k, v) -> assertTrue(Double.isFinite(((Number) v).doubleValue()), run[0] + " " + k + " = " + v));
            double firstReward = ((Number) rows.get(0).get("rewards/mean")).doubleValue();
            double lastReward = ((Number) rows.get(2).get("rewards/mean")).doubleValue();
            assertNotEquals(firstReward, lastReward, run[0] + ": the sampled reward should move");
            for (String k : run[0].equals("pd") || run[0].equals("rebel")
                    ? List.of("loss", "rewards/chosen", "rewards/margins", "objective/kl", "objective/entropy")
                    : List.of("loss", "loss/policy", "clipfrac", "approx_kl", "objective/kl", "objective/entropy", "entropy"))
                assertTrue(r.lastMetrics().containsKey(k), run[0] + " logs " + k);
            try (NDManager m = NDManager.newBaseManager()) {
                Map<String, NDArray> trained = HfCheckpoint.read(r.output(), m, DataType.FLOAT32).parameters();
                CausalLM start = ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, m).model();
                String w = "model.layers.0.mlp.down_proj.weight";
                assertTrue(trained.get(w).sub(start.parameters().get(w)).abs().max().getFloat() > 0, run[0] + " moved the policy");
            }
        }
    }

    /** The gold judge as {@code --reward gold} names it. */
    static RewardSource gold(TextTokenizer tok, NDManager manager) {
        return new RewardSpec(OnlineTrainer.GOLD, null, null, null, null, 60).build(tok, manager);
    }

    static void assertTensorsEqual(Map<String, NDArray> x, Map<String, NDArray> y) {
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, k);
    }

    /** Counts forward calls and the token columns fed, delegating everything to the wrapped model. */
    static final class Counting implements CausalLM {
        private final CausalLM inner;
        int calls;
        long columns;

        Counting(CausalLM inner) { this.inner = inner; }

        @Override public ModelConfig config() { return inner.config(); }
        @Override public Map<String, NDArray> parameters() { return inner.parameters(); }
        @Override public NDManager manager() { return inner.manager(); }
        @Override public KvCache newCache() { return inner.newCache(); }
        @Override public NDArray classifier(NDArray hidden) { return inner.classifier(hidden); }
        @Override public void close() { inner.close(); }

        @Override
        public NDArray forward(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
            calls++;
            columns += ids.getShape().size();
            return inner.forward(ids, positions, attentionMask, cache);
        }

        @Override
        public NDArray hidden(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
            return inner.hidden(ids, positions, attentionMask, cache);
        }
    }
}
