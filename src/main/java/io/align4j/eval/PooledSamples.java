package io.align4j.eval;

/**
 * Each prompt's samples from two proposals, pooled: the first {@code fromReference} drawn from
 * π_0, the rest from the evaluated policy π̂, each scored exactly by both (ln π_0, ln π̂) and by
 * the gold reward r. The normaliser of a {@link Tilt} π̃ = π_0^a·e^{b·r} and expectations under it
 * are estimated by multiple importance sampling with the balance heuristic (Veach and Guibas,
 * 1995): every sample is weighted against the mixture
 * <pre>
 *   q(y) = (m·π_0(y) + k·π̂(y)) / (m + k),    Ẑ = (1/(m+k)) Σ_j π̃(y_j)/q(y_j),    w_j ∝ π̃(y_j)/q(y_j)
 * </pre>
 * with m samples of π_0 and k of π̂. Against π_0's pool alone this stays precise when the tilt is
 * far from π_0 but close to π̂ (a trained policy near its method's optimum, where π_0's samples
 * would give an effective sample size near one), and it never weighs a sample by more than
 * (m+k)/m times its weight under π_0 alone.
 *
 * <pre>
 *   KL(π̃ ‖ π̂) = Σ_j w_j (ln π̃(y_j) − ln Ẑ − ln π̂(y_j))                  over all pooled samples
 *   KL(π̂ ‖ π̃) = (1/k) Σ_{j from π̂} (ln π̂(y_j) − ln π̃(y_j)) + ln Ẑ       over π̂'s own samples
 * </pre>
 * Each is averaged within a prompt and its standard error taken across prompts; the error of
 * ln Ẑ is not in it, so the effective sample size (Σw)²/Σw² is reported beside.
 *
 * @param refLogp     [prompt][m + k] ln π_0 of each pooled sample
 * @param policyLogp  [prompt][m + k] ln π̂ of each pooled sample
 * @param rewards     [prompt][m + k] r of each pooled sample
 * @param fromReference m, how many of each prompt's samples come first from π_0
 */
public record PooledSamples(double[][] refLogp, double[][] policyLogp, double[][] rewards, int fromReference) {

    public PooledSamples {
        for (int p = 0; p < refLogp.length; p++) {
            int n = refLogp[p].length;
            if (policyLogp[p].length != n || rewards[p].length != n)
                throw new IllegalArgumentException("prompt " + p + ": pooled arrays differ in length");
            if (fromReference < 0 || fromReference > n)
                throw new IllegalArgumentException("prompt " + p + ": " + fromReference + " reference samples of " + n);
        }
    }

    /**
     * @param forwardKl  KL(π̃ ‖ π̂)
     * @param reverseKl  KL(π̂ ‖ π̃); NaN when π̂ contributed no samples
     * @param ess        per-prompt effective sample size of the weights, mean ± SE over prompts
     * @param logZ       [prompt] ln Ẑ
     * @param weights    [prompt][m + k] normalised weights of the pooled samples under π̃
     */
    public record Distances(Tilt tilt, Estimate forwardKl, Estimate reverseKl, Estimate ess, double[] logZ, double[][] weights) {}

    /** Both distances between π̂ and {@code tilt}, with the estimator's effective sample size. */
    public Distances distances(Tilt tilt) {
        int prompts = refLogp.length;
        double[] logZ = new double[prompts], forward = new double[prompts], reverse = new double[prompts], ess = new double[prompts];
        double[][] weights = new double[prompts][];
        for (int p = 0; p < prompts; p++) {
            int n = refLogp[p].length, k = n - fromReference;
            double[] logTilde = new double[n], logRatio = new double[n];
            for (int j = 0; j < n; j++) {
                logTilde[j] = tilt.logUnnormalised(refLogp[p][j], rewards[p][j]);
                logRatio[j] = logTilde[j] - logProposal(refLogp[p][j], policyLogp[p][j], fromReference, k);
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
            for (int j = fromReference; j < n; j++) r += policyLogp[p][j] - logTilde[j];
            reverse[p] = k == 0 ? Double.NaN : r / k + logZ[p];
        }
        return new Distances(tilt, Estimate.of(forward), Estimate.of(reverse), Estimate.of(ess), logZ, weights);
    }

    /** ln q(y) of the balance-heuristic mixture of m draws from π_0 and k from π̂. */
    static double logProposal(double refLogp, double policyLogp, int m, int k) {
        if (k == 0) return refLogp;
        if (m == 0) return policyLogp;
        double a = Math.log(m) + refLogp, b = Math.log(k) + policyLogp, hi = Math.max(a, b);
        return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi)) - Math.log(m + k);
    }

    /** Pools π_0's samples (first) with π̂'s (after), prompt by prompt. */
    public static PooledSamples pool(double[][] refOnRef, double[][] policyOnRef, double[][] rewardsOfRef,
                                     double[][] refOnPolicy, double[][] policyOnPolicy, double[][] rewardsOfPolicy) {
        int prompts = refOnRef.length, m = refOnRef.length == 0 ? 0 : refOnRef[0].length;
        double[][] ref = new double[prompts][], pol = new double[prompts][], r = new double[prompts][];
        for (int p = 0; p < prompts; p++) {
            if (refOnRef[p].length != m) throw new IllegalArgumentException("reference pool sizes differ between prompts");
            ref[p] = concat(refOnRef[p], refOnPolicy[p]);
            pol[p] = concat(policyOnRef[p], policyOnPolicy[p]);
            r[p] = concat(rewardsOfRef[p], rewardsOfPolicy[p]);
        }
        return new PooledSamples(ref, pol, r, m);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
