package io.align4j.eval;

import io.align4j.util.Logistic;

/**
 * Estimators of the distances between a policy π̂ and a target known up to its normaliser,
 * {@code π*(a|x) = π_0(a|x) · exp(r(x,a)/τ) / Z(x)}, from samples.
 *
 * <p>Inputs are per prompt (first index) and per sample (second index). Every estimate averages
 * within a prompt first and takes its standard error across prompts, because samples of one
 * prompt are not independent of the prompt's difficulty. The error of ln Ẑ itself is not in the
 * standard errors; its effective sample size is reported instead.
 */
public final class TargetEstimators {
    private TargetEstimators() {}

    /** ln Ẑ(x) = ln (1/M) Σ_j exp(r_j/τ) over samples from π_0, per prompt. */
    public static double[] logPartition(double[][] refSampleRewards, double tau) {
        double[] out = new double[refSampleRewards.length];
        for (int p = 0; p < out.length; p++) out[p] = logMeanExp(scale(refSampleRewards[p], 1 / tau));
        return out;
    }

    /** Normalised importance weights w_j ∝ exp(r_j/τ) of π_0's samples for π*, per prompt. */
    public static double[][] targetWeights(double[][] refSampleRewards, double tau) {
        double[][] w = new double[refSampleRewards.length][];
        for (int p = 0; p < w.length; p++) w[p] = softmax(scale(refSampleRewards[p], 1 / tau));
        return w;
    }

    /** Effective sample size (Σw)²/Σw² of normalised weights, per prompt. */
    public static double[] effectiveSampleSize(double[][] weights) {
        double[] ess = new double[weights.length];
        for (int p = 0; p < ess.length; p++) {
            double s2 = 0;
            for (double w : weights[p]) s2 += w * w;
            ess[p] = 1 / s2;
        }
        return ess;
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

    /** KL(π̂ ‖ π*) = E_π̂[ln π̂ − ln π_0 − r/τ] + ln Z, on π̂'s samples. */
    public static Estimate reverseKl(double[][] policyLogp, double[][] refLogp, double[][] rewards,
                                     double tau, double[] logZ) {
        double[] perPrompt = new double[policyLogp.length];
        for (int p = 0; p < perPrompt.length; p++) {
            double s = 0;
            for (int k = 0; k < policyLogp[p].length; k++)
                s += policyLogp[p][k] - refLogp[p][k] - rewards[p][k] / tau;
            perPrompt[p] = s / policyLogp[p].length + logZ[p];
        }
        return Estimate.of(perPrompt);
    }

    /**
     * KL(π* ‖ π̂) = E_π*[ln π_0 + r/τ − ln Z − ln π̂], with E_π* by self-normalised importance
     * sampling of π_0's samples ({@code weights} from {@link #targetWeights}); {@code policyLogpOnRef}
     * is ln π̂ of those same samples.
     */
    public static Estimate forwardKl(double[][] refLogp, double[][] refSampleRewards, double[][] policyLogpOnRef,
                                     double[][] weights, double tau, double[] logZ) {
        double[] perPrompt = new double[refLogp.length];
        for (int p = 0; p < perPrompt.length; p++) {
            double s = 0;
            for (int j = 0; j < refLogp[p].length; j++)
                s += weights[p][j] * (refLogp[p][j] + refSampleRewards[p][j] / tau - logZ[p] - policyLogpOnRef[p][j]);
            perPrompt[p] = s;
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
