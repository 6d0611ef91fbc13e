package io.align4j.eval;

import io.align4j.train.RewardSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pass@k, the chance that at least one of k samples of a prompt succeeds, by the unbiased
 * estimator of Chen et al. (2021, "Evaluating Large Language Models Trained on Code", eq. 1):
 * from n ≥ k samples of which c succeed,
 * <pre>  pass@k = 1 − C(n − c, k) / C(n, k) = 1 − Π_{i = n−c+1}^{n} (1 − k / i)</pre>
 * (the product form avoids huge binomials). Averaged over prompts, with the standard error
 * across prompts. A sample succeeds when its reward is at least the threshold.
 */
public final class PassAtK {
    private PassAtK() {}

    /** The unbiased pass@k of one prompt with {@code c} successes among {@code n} samples. */
    public static double unbiased(int n, int c, int k) {
        if (k < 1 || k > n || c < 0 || c > n) throw new IllegalArgumentException("need 1 <= k <= n and 0 <= c <= n, got n=" + n + " c=" + c + " k=" + k);
        if (n - c < k) return 1;
        double none = 1;
        for (int i = n - c + 1; i <= n; i++) none *= 1 - (double) k / i;
        return 1 - none;
    }

    /** {@code pass@k} for each k: the mean over prompts of {@link #unbiased} ± its standard error. */
    public static Map<String, Estimate> estimates(int[] successes, int n, List<Integer> ks) {
        Map<String, Estimate> out = new LinkedHashMap<>();
        for (int k : ks) {
            double[] perPrompt = new double[successes.length];
            for (int p = 0; p < successes.length; p++) perPrompt[p] = unbiased(n, successes[p], k);
            out.put("pass@" + k, Estimate.of(perPrompt));
        }
        return out;
    }

    /**
     * Successes per prompt among {@code n} samples of exactly {@code length} tokens each (the
     * policy's fixed-length sampling, so the same seed gives every policy the same random
     * streams), scored by {@code reward} in chunks of {@code chunk} rows.
     */
    public static int[] successes(Policy policy, List<int[]> prompts, int n, int length, long seed, RewardSource reward,
                                  double threshold, int chunk) {
        List<int[]> samples = policy.sample(prompts, n, length, seed);
        int[] successes = new int[prompts.size()];
        for (int from = 0; from < samples.size(); from += chunk) {
            int to = Math.min(samples.size(), from + chunk);
            List<int[]> rowPrompts = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) rowPrompts.add(prompts.get(i / n));
            double[] scores = reward.score(rowPrompts, samples.subList(from, to));
            for (int i = from; i < to; i++) if (scores[i - from] >= threshold) successes[i / n]++;
        }
        return successes;
    }
}
