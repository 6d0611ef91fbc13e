package io.align4j.train;

import io.align4j.config.OnlineConfig;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.objective.ObjectiveOutput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The part every online method shares: each step samples {@code k} responses to each of its
 * prompts from the current policy (the batched KV-cache {@link io.align4j.generate.Sampler}, which also returns the
 * sampling policy's per-token log-probs, so π_t costs no extra forward), scores them with a
 * {@link RewardSource}, computes {@code ln π_0} with one reference forward, and then takes
 * {@code innerEpochs × miniBatches} optimiser updates on mini-batches of whole prompt groups.
 * The rollout is a {@link Rollout} value made by a {@link RolloutSource}: {@link LocalRollouts}
 * in this process, or a cluster's ({@code spark_master}), in {@code rollout_shards} shards.
 *
 * <p>All randomness comes from the step's seed: the samples (the sampler gives row r its own
 * stream of the seed) and the mini-batch order of inner epoch e (a shuffle by
 * {@code Random(seed, e)}), so a run resumed at a rollout boundary repeats the uninterrupted one.
 *
 * <p>Metrics of each rollout: {@code rewards/mean} (the reward source's mean score),
 * {@code objective/kl} (mean of {@code ln π_t(a) − ln π_0(a)} over the samples, the sequence KL
 * to the reference), {@code objective/entropy} (mean of {@code −ln π_t(a)}, the sequence
 * entropy), {@code response_length}. Held-out: the same on one sample of each of the first
 * {@code eval_prompts} held-out prompts, with a fixed seed.
 */
public abstract class OnlineTask implements TrainingLoop.Task {
    /** Rows per sampler call in the held-out evaluation. */
    private static final int EVAL_BATCH = 64;

    protected final CausalLM policy, reference;
    protected final RewardSource reward;
    private final List<int[]> train, eval;
    protected final int padId;
    private final SamplingConfig sampling;
    protected final int samplesPerPrompt;
    private final int innerEpochs, miniBatches, evalPrompts;
    private final long evalSeed;
    private final int rolloutShards;
    private RolloutSource rollouts;
    private Rollout current;

    protected OnlineTask(CausalLM policy, CausalLM reference, RewardSource reward, List<int[]> train, List<int[]> eval,
                         int padId, int[] stopIds, int[] suppressIds, int samplesPerPrompt, OnlineConfig c) {
        this.policy = policy;
        this.reference = reference;
        this.reward = reward;
        this.train = train;
        this.eval = eval;
        this.padId = padId;
        this.sampling = new SamplingConfig(c.samplingTemperature, 0, 1, c.maxNewTokens, stopIds, suppressIds, c.seed);
        this.samplesPerPrompt = samplesPerPrompt;
        this.innerEpochs = c.innerEpochs;
        this.miniBatches = c.miniBatches;
        this.evalPrompts = c.evalPrompts;
        this.evalSeed = c.seed ^ 0x5DEECE66DL;
        this.rolloutShards = c.rolloutShards;
        this.rollouts = new LocalRollouts(reference, reward, padId);
    }

    /**
     * Makes the rollouts with {@code source} (a cluster's) instead of in this process; the task
     * then sees the same rollouts, as each is a function of the weights and its request alone.
     */
    public OnlineTask useRollouts(RolloutSource source) {
        this.rollouts = source;
        return this;
    }

    @Override
    public int trainSize() { return train.size(); }

    @Override
    public int updatesPerStep() { return innerEpochs * miniBatches; }

    /** Samples, scores and prepares the rollout of the step's prompts. */
    @Override
    public Map<String, Double> beginStep(NDManager step, int[] examples, long seed) {
        List<int[]> prompts = new ArrayList<>(examples.length);
        for (int e : examples) prompts.add(train.get(e));
        Map<String, Double> metrics = new LinkedHashMap<>();
        current = sample(step, prompts, seed, metrics);
        metrics.putAll(rolloutMetrics(current));
        metrics.putAll(prepare(step, current));
        return metrics;
    }

    /** The loss of update {@code update} on its mini-batch of the current rollout. */
    @Override
    public ObjectiveOutput loss(NDManager m, int[] examples, long seed, int update) {
        if (current == null) throw new IllegalStateException("loss before beginStep");
        int epoch = update / miniBatches, part = update % miniBatches;
        List<Integer> order = new ArrayList<>(current.groups());
        for (int g = 0; g < current.groups(); g++) order.add(g);
        Collections.shuffle(order, new Random(seed * 7919L + 104_729L * (epoch + 1)));
        int from = part * current.groups() / miniBatches, to = (part + 1) * current.groups() / miniBatches;
        int[] rows = new int[(to - from) * samplesPerPrompt];
        for (int i = from, r = 0; i < to; i++)
            for (int j = 0; j < samplesPerPrompt; j++) rows[r++] = order.get(i) * samplesPerPrompt + j;
        return update(m, current, rows);
    }

    /** An online step has its own updates; the one-update form is update 0 of a fresh step. */
    @Override
    public ObjectiveOutput loss(NDManager step, int[] examples, long seed) {
        return loss(step, examples, seed, 0);
    }

    @Override
    public Map<String, Double> evaluate(NDManager manager) {
        int n = Math.min(evalPrompts, eval.size());
        if (n == 0) return Map.of();
        List<RolloutRequest> chunks = new ArrayList<>();
        for (int from = 0, chunk = 0; from < n; from += EVAL_BATCH, chunk++)
            chunks.add(new RolloutRequest(eval.subList(from, Math.min(n, from + EVAL_BATCH)), 1, sampling.withSeed(evalSeed + chunk), 0, false));
        Map<String, Double> sums = new LinkedHashMap<>();
        for (Rollout r : rollouts.rollouts(policy, chunks)) {
            double share = (double) r.rows() / n;
            rolloutMetrics(r).forEach((k, v) -> sums.merge(k, v * share, Double::sum));
        }
        return sums;
    }

    /**
     * The step's rollout of {@code prompts}, all randomness from {@code seed}: by default one
     * sampling of {@code samplesPerPrompt} responses each; GRPO's dynamic sampling overrides it
     * to drop and refill groups, adding its own metrics to {@code metrics}.
     */
    protected Rollout sample(NDManager step, List<int[]> prompts, long seed, Map<String, Double> metrics) {
        return rollout(step, prompts, samplesPerPrompt, sampling.withSeed(seed), needsReferenceFeatures());
    }

    /** The sampling settings with another seed (for a task that samples more than once per step). */
    protected SamplingConfig sampling(long seed) { return sampling.withSeed(seed); }

    /** The training prompts (ids), for a task that draws more prompts than the step's own. */
    protected List<int[]> trainPrompts() { return train; }

    /** Work on a fresh rollout before its updates (advantages, values); returns its metrics. */
    protected abstract Map<String, Double> prepare(NDManager step, Rollout rollout);

    /** Differentiable loss of the rollout's {@code rows} (whole prompt groups, in order). */
    protected abstract ObjectiveOutput update(NDManager m, Rollout rollout, int[] rows);

    /**
     * Responses sampled per prompt, scored, with their reference log-probs (and the reference's
     * hidden states when {@code keepFeatures}), made by the rollout source in {@code rollout_shards}
     * shards of whole prompt groups; no gradients recorded.
     */
    protected Rollout rollout(NDManager m, List<int[]> groupPrompts, int k, SamplingConfig config, boolean keepFeatures) {
        RolloutRequest whole = new RolloutRequest(groupPrompts, k, config, 0, keepFeatures);
        return Rollout.concat(rollouts.rollouts(policy, whole.shards(rolloutShards)));
    }

    /** Whether training rollouts keep the reference's hidden states ({@link Rollout#referenceFeatures()}): false unless overridden. */
    protected boolean needsReferenceFeatures() { return false; }

    private Map<String, Double> rolloutMetrics(Rollout r) {
        int n = r.scores().length;
        double score = 0, kl = 0, entropy = 0, length = 0;
        for (int i = 0; i < n; i++) {
            score += r.scores()[i];
            if (r.refLogProbs() != null) kl += r.logProbs()[i] - r.refLogProbs()[i];
            entropy -= r.logProbs()[i];
            length += r.responses().get(i).length;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("rewards/mean", score / n);
        if (r.refLogProbs() != null) m.put("objective/kl", kl / n);
        m.put("objective/entropy", entropy / n);
        m.put("response_length", length / n);
        m.putAll(r.rewardMetrics());
        return m;
    }

    /** Selects {@code rows} of a per-row grid. */
    protected static double[][] select(double[][] a, int[] rows) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) out[i] = a[rows[i]];
        return out;
    }

    /** A float32 [rows, cols] array of a rectangular grid. */
    protected static NDArray grid(NDManager m, double[][] a) {
        int cols = a.length == 0 ? 0 : a[0].length;
        float[] flat = new float[a.length * cols];
        for (int b = 0; b < a.length; b++) for (int j = 0; j < cols; j++) flat[b * cols + j] = (float) a[b][j];
        return m.create(flat, new Shape(a.length, cols));
    }

    /** int64 [B, width]: the column of the scorer's [B, T−1] arrays that holds response token j. */
    protected static NDArray responseIndex(NDManager m, ResponseBatch batch, int width) {
        int rows = batch.promptLengths().length;
        long last = batch.ids().getShape().get(1) - 2;
        long[] index = new long[rows * width];
        for (int b = 0; b < rows; b++)
            for (int j = 0; j < width; j++) index[b * width + j] = Math.min(batch.promptLengths()[b] - 1L + j, last);
        return m.create(index, new Shape(rows, width));
    }

    /** Selects {@code rows} of a per-row array. */
    protected static double[] pick(double[] values, int[] rows) {
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) out[i] = values[rows[i]];
        return out;
    }

    /** Selects {@code rows} of a per-row list. */
    protected static <T> List<T> pick(List<T> values, int[] rows) {
        List<T> out = new ArrayList<>(rows.length);
        for (int r : rows) out.add(values.get(r));
        return out;
    }
}
