package io.align4j.eval;

import io.align4j.util.Logistic;

/**
 * Sample estimates about a policy π̂ and the target {@code π*(a|x) = π_0(a|x) · exp(r(x,a)/τ) / Z(x)}
 * that need no normaliser: the KL to π_0 and the labeller's win rate (the distances to π* and to
 * other tilts of π_0 are {@link PooledSamples}'s).
 *
 * <p>Inputs are per prompt (first index) and per sample (second index). Every estimate averages
 * within a prompt first and takes its standard error across prompts, because samples of one
 * prompt are not independent of the prompt's difficulty.
 */
public final class TargetEstimators {
    private TargetEstimators() {}

    /** Normalised importance weights w_j ∝ exp(r_j/τ) of π_0's samples for π*, per prompt. */
    public static double[][] targetWeights(double[][] refSampleRewards, double tau) {
        double[][] w = new double[refSampleRewards.length][];
        for (int p = 0; p < w.length; p++) w[p] = softmax(scale(refSampleRewards[p], 1 / tau));
        return w;
    }

    /** KL(π̂ ‖ π_0) = E_π̂[ln π̂ − ln π_0], on π̂'s samples. */
    public static Estimate klToReference(double[][] policyLogp, double[][] refLogp) {
        double[] perPrompt = new double[policyLogp.length];
        for (int p = 0; p < perPrompt.length; p++) {
            double s = 0;
            for (int k = 0; k < policyLogp[p].length; k++) s += policyLogp[p][k] - refLogp[p][k];
            perPrompt[p] = s / policyLogp[p].length;
        }
        return Estimate.of(perPrompt);
    }

    /**
     * Mean preference probability P(a ≻ b) = σ(γ[ln π*(a) − ln π*(b)]) of the labeller, a from π̂
     * and b from π_0 paired by sample index; ln Z cancels within a prompt.
     */
    public static Estimate winRate(double[][] policyRefLogp, double[][] policyRewards,
                                   double[][] baseRefLogp, double[][] baseRewards, double tau, double gamma) {
        double[] perPrompt = new double[policyRefLogp.length];
        for (int p = 0; p < perPrompt.length; p++) {
            int k = Math.min(policyRefLogp[p].length, baseRefLogp[p].length);
            double s = 0;
            for (int i = 0; i < k; i++) {
                double a = policyRefLogp[p][i] + policyRewards[p][i] / tau;
                double b = baseRefLogp[p][i] + baseRewards[p][i] / tau;
                s += Logistic.sigmoid(gamma * (a - b));
            }
            perPrompt[p] = s / k;
        }
        return Estimate.of(perPrompt);
    }

    /** ln Σ exp x, where a term of −∞ (ln 0) adds nothing; −∞ when every term is. */
    public static double logSumExp(double[] x) {
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : x) hi = Math.max(hi, v);
        if (hi == Double.NEGATIVE_INFINITY) return hi;
        double s = 0;
        for (double v : x) s += Math.exp(v - hi);
        return hi + Math.log(s);
    }

    public static double logMeanExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double s = 0;
        for (double v : x) s += Math.exp(v - max);
        return max + Math.log(s / x.length);
    }

    static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double[] out = new double[x.length];
        double s = 0;
        for (int i = 0; i < x.length; i++) s += out[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) out[i] /= s;
        return out;
    }

    private static double[] scale(double[] x, double c) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * c;
        return out;
    }
}
