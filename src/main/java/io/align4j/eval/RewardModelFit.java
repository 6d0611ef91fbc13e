package io.align4j.eval;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How far a learned reward R̂ is from the Bradley–Terry optimum of a known-target task,
 * {@code R̂ = γ ln π* + c(x) = γ ln π_0 + (γ/τ)·r + c'(x)}, which the predicted optima of PD, RKL
 * and RLHF assume. Measured on π_0's samples after removing each prompt's mean (c(x) is free):
 * the correlation and least-squares slope of R̂ on γ ln π* (1 and 1 at the optimum), the rms of
 * what remains, and the correlations with each part of γ ln π*, fluency γ ln π_0 and reward r.
 * A reward model that tracks r but not ln π_0 turns exp(R̂/γ) into a distribution that ignores
 * fluency, which is where RKL and PD at β = 0 then go.
 *
 * @param correlation     corr(R̂, γ ln π*) over all centred samples
 * @param slope           least-squares slope of R̂ on γ ln π*
 * @param rmsResidual     rms of R̂ − γ ln π* after centring (nats of the label logit)
 * @param targetSpread    rms of γ ln π* after centring, the scale rmsResidual compares with
 * @param fluencyCorrelation corr(R̂, ln π_0)
 * @param rewardCorrelation  corr(R̂, r)
 */
public record RewardModelFit(double correlation, double slope,
                             @JsonProperty("rms_residual") double rmsResidual,
                             @JsonProperty("target_spread") double targetSpread,
                             @JsonProperty("fluency_correlation") double fluencyCorrelation,
                             @JsonProperty("reward_correlation") double rewardCorrelation) {

    /**
     * @param scores  [prompt][sample] R̂ of π_0's samples
     * @param refLogp [prompt][sample] their ln π_0
     * @param rewards [prompt][sample] their gold reward
     */
    public static RewardModelFit of(double[][] scores, double[][] refLogp, double[][] rewards, double tau, double gamma) {
        int n = 0;
        for (double[] row : scores) n += row.length;
        double[] s = new double[n], target = new double[n], fluency = new double[n], reward = new double[n];
        int i = 0;
        for (int p = 0; p < scores.length; p++) {
            double[] t = new double[scores[p].length];
            for (int j = 0; j < t.length; j++) t[j] = gamma * (refLogp[p][j] + rewards[p][j] / tau);
            double ms = mean(scores[p]), mt = mean(t), mf = mean(refLogp[p]), mr = mean(rewards[p]);
            for (int j = 0; j < t.length; j++, i++) {
                s[i] = scores[p][j] - ms;
                target[i] = t[j] - mt;
                fluency[i] = refLogp[p][j] - mf;
                reward[i] = rewards[p][j] - mr;
            }
        }
        double slope = dot(s, target) / dot(target, target), residual = 0;
        for (int j = 0; j < n; j++) residual += (s[j] - target[j]) * (s[j] - target[j]);
        return new RewardModelFit(correlation(s, target), slope, Math.sqrt(residual / n), Math.sqrt(dot(target, target) / n),
                correlation(s, fluency), correlation(s, reward));
    }

    private static double mean(double[] x) {
        double m = 0;
        for (double v : x) m += v / x.length;
        return m;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Correlation of two series that each sum to zero within every prompt. */
    private static double correlation(double[] a, double[] b) {
        return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    }
}
