package io.align4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Each prompt's samples from several proposals, pooled: π_0's (the task's reference pool), the
 * evaluated policy π̂'s own, and optionally π_0 at temperature 1/a (for a tilt π_0^a·e^{b·r} far
 * from both), each sample scored exactly under every proposal and by the gold reward r. The
 * normaliser of a {@link Tilt} π̃ and expectations under it are estimated by multiple importance
 * sampling with the balance heuristic (Veach and Guibas, 1995): every sample is weighted against
 * the mixture of the proposals in proportion to their sample counts n_c,
 * <pre>
 *   q(y) = Σ_c n_c·q_c(y) / N,    Ẑ = (1/N) Σ_j π̃(y_j)/q(y_j),    w_j ∝ π̃(y_j)/q(y_j)
 * </pre>
 * Against π_0's pool alone this stays precise when the tilt is far from π_0 but close to π̂ (a
 * trained policy near its method's optimum) or to tempered π_0 (whose ratio to π_0^a is only
 * Π_t Σ_v p_t(v)^a, against π_0^{a−1} for π_0's own samples), and it never weighs a sample by
 * more than N/n_c times its weight under one proposal c alone.
 *
 * <pre>
 *   KL(π̃ ‖ π̂) = Σ_j w_j (ln π̃(y_j) − ln Ẑ − ln π̂(y_j))                  over all pooled samples
 *   KL(π̂ ‖ π̃) = (1/k) Σ_{j from π̂} (ln π̂(y_j) − ln π̃(y_j)) + ln Ẑ       over π̂'s own k samples
 * </pre>
 * Each is averaged within a prompt and its standard error taken across prompts; the error of
 * ln Ẑ is not in it, so the effective sample size (Σw)²/Σw² is reported beside. ln Ẑ of a few
 * heavy-weighted samples is biased low (Jensen), which biases the reverse KL low too.
 *
 * @param refLogp    [prompt][N] ln π_0 of each pooled sample
 * @param policyLogp [prompt][N] ln π̂ of each pooled sample
 * @param rewards    [prompt][N] r of each pooled sample
 * @param logMixture [prompt][N] ln q of each pooled sample
 * @param ownFrom    index of π̂'s first own sample within each prompt's N
 * @param ownCount   k, π̂'s own samples per prompt
 */
public record PooledSamples(double[][] refLogp, double[][] policyLogp, double[][] rewards, double[][] logMixture, int ownFrom, int ownCount) {

    /**
     * Samples drawn from one proposal, per prompt, with their log-densities under every proposal.
     *
     * @param temperedLogp ln of the tempered π_0 proposal; null when the pool has none
     */
    public record Draws(double[][] refLogp, double[][] policyLogp, double[][] rewards, double[][] temperedLogp) {
        int width() {
            int w = refLogp.length == 0 ? 0 : refLogp[0].length;
            for (double[] row : refLogp)
                if (row.length != w) throw new IllegalArgumentException("draws of one proposal differ in count between prompts");
            return w;
        }
    }

    /**
     * @param forwardKl  KL(π̃ ‖ π̂)
     * @param reverseKl  KL(π̂ ‖ π̃); NaN when π̂ contributed no samples
     * @param ess        per-prompt effective sample size of the weights, mean ± SE over prompts
     * @param logZ       [prompt] ln Ẑ
     * @param weights    [prompt][N] normalised weights of the pooled samples under π̃
     */
    public record Distances(Tilt tilt, Estimate forwardKl, Estimate reverseKl, Estimate ess, double[] logZ, double[][] weights) {}

    /** Both distances between π̂ and {@code tilt}, with the estimator's effective sample size. */
    public Distances distances(Tilt tilt) {
        int prompts = refLogp.length;
        double[] logZ = new double[prompts], forward = new double[prompts], reverse = new double[prompts], ess = new double[prompts];
        double[][] weights = new double[prompts][];
        for (int p = 0; p < prompts; p++) {
            int n = refLogp[p].length;
            double[] logTilde = new double[n], logRatio = new double[n];
            for (int j = 0; j < n; j++) {
                logTilde[j] = tilt.logUnnormalised(refLogp[p][j], rewards[p][j]);
                logRatio[j] = logTilde[j] - logMixture[p][j];
            }
            logZ[p] = TargetEstimators.logMeanExp(logRatio);
            weights[p] = TargetEstimators.softmax(logRatio);
            double f = 0, sumSquares = 0;
            for (int j = 0; j < n; j++) {
                f += weights[p][j] * (logTilde[j] - logZ[p] - policyLogp[p][j]);
                sumSquares += weights[p][j] * weights[p][j];
            }
            forward[p] = f;
            ess[p] = 1 / sumSquares;
            double r = 0;
            for (int j = ownFrom; j < ownFrom + ownCount; j++) r += policyLogp[p][j] - logTilde[j];
            reverse[p] = ownCount == 0 ? Double.NaN : r / ownCount + logZ[p];
        }
        return new Distances(tilt, Estimate.of(forward), Estimate.of(reverse), Estimate.of(ess), logZ, weights);
    }

    /** Pools π_0's samples (first) with π̂'s (after), prompt by prompt. */
    public static PooledSamples pool(double[][] refOnRef, double[][] policyOnRef, double[][] rewardsOfRef,
                                     double[][] refOnPolicy, double[][] policyOnPolicy, double[][] rewardsOfPolicy) {
        return pool(new Draws(refOnRef, policyOnRef, rewardsOfRef, null), new Draws(refOnPolicy, policyOnPolicy, rewardsOfPolicy, null), null);
    }

    /** Pools π_0's draws, π̂'s, and (when not null) tempered π_0's, in that order within each prompt. */
    public static PooledSamples pool(Draws fromRef, Draws fromPolicy, Draws fromTempered) {
        List<Draws> all = new ArrayList<>(List.of(fromRef, fromPolicy));
        if (fromTempered != null) all.add(fromTempered);
        int prompts = fromRef.refLogp().length;
        int[] counts = all.stream().mapToInt(Draws::width).toArray();
        int total = Arrays.stream(counts).sum();
        double[][] ref = new double[prompts][total], pol = new double[prompts][total], r = new double[prompts][total],
                mixture = new double[prompts][total];
        for (int p = 0; p < prompts; p++) {
            int j = 0;
            for (Draws d : all) {
                for (int i = 0; i < d.refLogp()[p].length; i++, j++) {
                    ref[p][j] = d.refLogp()[p][i];
                    pol[p][j] = d.policyLogp()[p][i];
                    r[p][j] = d.rewards()[p][i];
                    double[] logTerms = new double[counts.length];
                    logTerms[0] = Math.log(counts[0]) + d.refLogp()[p][i];
                    logTerms[1] = Math.log(counts[1]) + d.policyLogp()[p][i];
                    if (counts.length == 3) logTerms[2] = Math.log(counts[2]) + d.temperedLogp()[p][i];
                    mixture[p][j] = TargetEstimators.logSumExp(logTerms) - Math.log(total);
                }
            }
        }
        return new PooledSamples(ref, pol, r, mixture, counts[0], counts[1]);
    }
}
