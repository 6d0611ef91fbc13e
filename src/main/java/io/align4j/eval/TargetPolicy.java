package io.align4j.eval;

import io.align4j.generate.BatchSampling;
import io.align4j.task.KnownTarget;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The target π*(a|x) ∝ π_0(a|x) · exp(r(x,a)/τ) as a policy, for checking the evaluation
 * against the one policy whose distance to π* is known to be zero.
 *
 * <p>Per prompt it draws its own pool of {@code poolSize} samples of π_0 (seeded by
 * {@code poolSeed}, independent of the evaluation's pool) and estimates
 * ln Ẑ(x) = ln (1/M) Σ_j exp(r_j/τ) from it. It samples by importance resampling: k draws
 * with replacement from the pool with probabilities w_j ∝ exp(r_j/τ). It scores
 * ln π*(a|x) = ln π_0(a|x) + r(x,a)/τ − ln Ẑ(x). No entropy is available.
 */
public final class TargetPolicy implements Policy {
    private final ModelPolicy reference;
    private final KnownTarget target;
    private final int poolSize;
    private final long poolSeed;
    private final Map<List<Integer>, int[][]> pools = new HashMap<>();
    private final Map<List<Integer>, double[]> poolRewards = new HashMap<>();

    public TargetPolicy(ModelPolicy reference, KnownTarget target, int poolSize, long poolSeed) {
        this.reference = reference;
        this.target = target;
        this.poolSize = poolSize;
        this.poolSeed = poolSeed;
    }

    @Override
    public String name() { return "target"; }

    @Override
    public List<int[]> sample(List<int[]> prompts, int k, int length, long seed) {
        drawPools(prompts, length);
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int[] p : prompts) {
            List<Integer> key = key(p);
            double[] w = TargetEstimators.targetWeights(new double[][] {poolRewards.get(key)}, target.tau())[0];
            for (int j = 0; j < k; j++) out.add(pools.get(key)[draw(w, random.nextDouble())]);
        }
        return out;
    }

    @Override
    public BatchSampling.Scored score(List<int[]> prompts, List<int[]> responses) {
        drawPools(prompts, responses.isEmpty() ? 0 : responses.get(0).length);
        double[] ref = reference.score(prompts, responses).logProbs();
        double[] out = new double[ref.length];
        for (int i = 0; i < out.length; i++) {
            double logZ = TargetEstimators.logMeanExp(scaled(poolRewards.get(key(prompts.get(i)))));
            out[i] = ref[i] + target.reward(responses.get(i)) / target.tau() - logZ;
        }
        return new BatchSampling.Scored(out, null);
    }

    /** Draws the pools of the prompts that have none yet, all in one batched call. */
    private void drawPools(List<int[]> prompts, int length) {
        List<int[]> missing = new ArrayList<>();
        for (int[] p : prompts) if (!pools.containsKey(key(p)) && missing.stream().noneMatch(q -> Arrays.equals(q, p))) missing.add(p);
        if (missing.isEmpty()) return;
        List<int[]> samples = reference.sample(missing, poolSize, length, poolSeed);
        for (int i = 0; i < missing.size(); i++) {
            int[][] pool = samples.subList(i * poolSize, (i + 1) * poolSize).toArray(new int[0][]);
            double[] rewards = new double[poolSize];
            for (int j = 0; j < poolSize; j++) rewards[j] = target.reward(pool[j]);
            pools.put(key(missing.get(i)), pool);
            poolRewards.put(key(missing.get(i)), rewards);
        }
    }

    private double[] scaled(double[] rewards) {
        double[] out = new double[rewards.length];
        for (int j = 0; j < out.length; j++) out[j] = rewards[j] / target.tau();
        return out;
    }

    private static int draw(double[] weights, double u) {
        double cumulative = 0;
        for (int j = 0; j < weights.length; j++) {
            cumulative += weights[j];
            if (u < cumulative) return j;
        }
        return weights.length - 1;
    }

    private static List<Integer> key(int[] prompt) {
        return Arrays.stream(prompt).boxed().toList();
    }
}
