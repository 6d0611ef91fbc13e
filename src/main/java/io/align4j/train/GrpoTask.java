package io.align4j.train;

import io.align4j.config.OnlineConfig;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.generate.BatchSampling;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.objective.Grpo;
import io.align4j.objective.MaskedMean;
import io.align4j.objective.ObjectiveOutput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * GRPO ({@link Grpo}) on the online trainer: each step samples {@code samples_per_prompt}
 * completions (TRL's {@code num_generations}) for each of its prompts, scores them, and turns the
 * rewards into group-relative advantages; each update is the clipped per-token loss with
 * {@code ρ = π_θ/π_t} against the sampler's log-probs, aggregated as the loss type says. No
 * critic; the reference model is loaded only when β > 0 (then the k3 KL term per token).
 *
 * <p><b>Dynamic sampling</b> (DAPO, {@code dynamic_sampling}): groups whose rewards are all
 * equal are dropped and replaced by groups of fresh prompts, drawn uniformly from the training
 * prompts by {@code SplittableRandom(mix(seed, round))} and sampled with seed
 * {@code mix(seed, round)}, for at most {@code dynamic_sampling_rounds} rounds; then the step
 * trains on the groups kept (at most {@code batch_size}). Should fewer than {@code mini_batches}
 * remain, the first dropped groups fill up (advantage 0: they move nothing but the KL term), so
 * no update is empty. Everything is a function of the step's seed: nothing crosses steps, and a
 * resumed run repeats the uninterrupted one bit for bit.
 *
 * <p>Metrics, TRL's names: per step {@code reward}, {@code reward_std} (Bessel), {@code
 * frac_reward_zero_std}, {@code completions/mean_length}, {@code completions/min_length},
 * {@code completions/max_length} (all on the step's own prompts, before any dropping),
 * {@code dynamic_sampling/kept_groups} and {@code dynamic_sampling/rounds}; per update
 * {@code clip_ratio/low_mean}, {@code clip_ratio/high_mean}, {@code clip_ratio/region_mean},
 * {@code entropy} (mean next-token entropy of π_θ on the completions) and {@code kl} (β > 0).
 */
public final class GrpoTask extends OnlineTask {
    private final Grpo grpo;
    private final boolean dynamicSampling;
    private final int rounds, miniBatches;

    // the current rollout, response-aligned: column j of row b is response token j
    private int width;
    private double[][] mask, oldLogProbs, refLogProbs;
    private double[] advantages;
    private double dapoNormaliser;

    /** @param reference π_0; null when β = 0 */
    public GrpoTask(CausalLM policy, CausalLM reference, RewardSource reward, Grpo grpo, List<int[]> train, List<int[]> eval,
                    int padId, int[] stopIds, int[] suppressIds, OnlineConfig c) {
        super(policy, reference, reward, train, eval, padId, stopIds, suppressIds, c.samplesPerPrompt, c);
        if (grpo.beta() > 0 && reference == null) throw new IllegalArgumentException("beta > 0 needs a reference model");
        this.grpo = grpo;
        this.dynamicSampling = c.dynamicSampling;
        this.rounds = c.dynamicSamplingRounds;
        this.miniBatches = c.miniBatches;
    }

    @Override
    protected Rollout sample(NDManager step, List<int[]> prompts, long seed, Map<String, Double> metrics) {
        Rollout first = super.sample(step, prompts, seed, metrics);
        int k = samplesPerPrompt;
        Grpo.GroupAdvantages a = Grpo.advantages(first.scores(), k, grpo.lossType().scaleRewards());
        metrics.putAll(stepMetrics(first, a));
        if (!dynamicSampling) return first;

        List<Rollout> parts = new ArrayList<>(List.of(first));
        List<int[]> kept = new ArrayList<>(), dropped = new ArrayList<>();
        sort(0, a, kept, dropped);
        int wanted = prompts.size(), round = 0;
        List<int[]> train = trainPrompts();
        while (kept.size() < wanted && round < rounds) {
            round++;
            long roundSeed = BatchSampling.mix(seed, round);
            SplittableRandom draw = new SplittableRandom(roundSeed);
            List<int[]> refill = new ArrayList<>();
            for (int i = kept.size(); i < wanted; i++) refill.add(train.get(draw.nextInt(train.size())));
            Rollout more = rollout(step, refill, k, sampling(roundSeed), needsReferenceFeatures());
            parts.add(more);
            sort(round, Grpo.advantages(more.scores(), k, grpo.lossType().scaleRewards()), kept, dropped);
        }
        metrics.put("dynamic_sampling/kept_groups", (double) Math.min(kept.size(), wanted));
        metrics.put("dynamic_sampling/rounds", (double) round);
        List<int[]> groups = new ArrayList<>(kept.subList(0, Math.min(kept.size(), wanted)));
        for (int i = 0; groups.size() < miniBatches && i < dropped.size(); i++) groups.add(dropped.get(i));
        return Rollout.groups(parts, groups);
    }

    /** Adds {part, group} of each group of a sampling to the kept ones (rewards not all equal) or the dropped ones. */
    private static void sort(int part, Grpo.GroupAdvantages a, List<int[]> kept, List<int[]> dropped) {
        for (int g = 0; g < a.zeroStd().length; g++) (a.zeroStd()[g] ? dropped : kept).add(new int[] {part, g});
    }

    private static Map<String, Double> stepMetrics(Rollout r, Grpo.GroupAdvantages a) {
        int n = r.scores().length;
        double mean = 0, squares = 0, min = Double.POSITIVE_INFINITY, max = 0, length = 0;
        for (double s : r.scores()) mean += s / n;
        for (double s : r.scores()) squares += (s - mean) * (s - mean);
        for (int[] response : r.responses()) {
            length += (double) response.length / n;
            min = Math.min(min, response.length);
            max = Math.max(max, response.length);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("reward", mean);
        m.put("reward_std", n > 1 ? Math.sqrt(squares / (n - 1)) : 0);
        m.put("frac_reward_zero_std", a.fractionZeroStd());
        m.put("completions/mean_length", length);
        m.put("completions/min_length", min);
        m.put("completions/max_length", max);
        return m;
    }

    @Override
    protected Map<String, Double> prepare(NDManager m, Rollout r) {
        int rows = r.scores().length;
        advantages = Grpo.advantages(r.scores(), samplesPerPrompt, grpo.lossType().scaleRewards()).advantages();
        width = Math.max(1, r.responses().stream().mapToInt(x -> x.length).max().orElse(1));
        mask = new double[rows][width];
        oldLogProbs = new double[rows][width];
        refLogProbs = grpo.beta() > 0 ? new double[rows][width] : null;
        long tokens = 0;
        for (int b = 0; b < rows; b++) {
            int len = r.responses().get(b).length;
            tokens += len;
            for (int j = 0; j < len; j++) mask[b][j] = 1;
            System.arraycopy(r.tokenLogProbs()[b], 0, oldLogProbs[b], 0, len);
            if (refLogProbs != null) System.arraycopy(r.refTokenLogProbs()[b], 0, refLogProbs[b], 0, len);
        }
        // DAPO's normaliser: the rollout's response tokens shared out over the updates of one pass
        dapoNormaliser = (double) tokens / miniBatches;
        return Map.of();
    }

    @Override
    protected ObjectiveOutput update(NDManager m, Rollout r, int[] rows) {
        ResponseBatch batch = ResponseBatch.rightPadded(m, pick(r.prompts(), rows), pick(r.responses(), rows), padId);
        NDArray maskNd = grid(m, select(mask, rows));
        SequenceScorer.Scores scores = SequenceScorer.score(policy, batch);
        NDArray column = responseIndex(m, batch, width);
        NDArray logProbs = scores.tokenLogProbs().gather(column, 1).mul(maskNd);
        NDArray ref = refLogProbs == null ? null : grid(m, select(refLogProbs, rows));
        NDArray adv = m.create(pick(advantages, rows)).toType(DataType.FLOAT32, false);
        ObjectiveOutput out = grpo.loss(logProbs, grid(m, select(oldLogProbs, rows)), ref, adv, maskNd, dapoNormaliser);
        Map<String, NDArray> metrics = new LinkedHashMap<>(out.metrics());
        metrics.put("entropy", MaskedMean.of(scores.tokenEntropy().gather(column, 1), maskNd));
        return new ObjectiveOutput(out.loss(), metrics);
    }
}
