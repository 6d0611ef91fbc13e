package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * The clipped surrogate of PPO (Schulman et al. 2017, eq. 7), as OpenRLHF's {@code PolicyLoss}
 * ({@code openrlhf/models/loss.py}) computes it on token-level arrays [B, T] whose {@code mask}
 * is 1 on response tokens:
 * <pre>
 *   ρ_t = exp(ln π_θ(a_t) − ln π_old(a_t))
 *   L   = mean_mask( max(−A_t ρ_t, −A_t clip(ρ_t, 1 − ε, 1 + ε)) )
 * </pre>
 * Sequence-level callers (RLOO) pass [B, 1] arrays with a mask of ones.
 *
 * @param clip ε
 */
public record PolicyLoss(double clip) {

    /**
     * @param loss          L, differentiable through {@code logProbs}
     * @param clipFraction  share of masked tokens with {@code |ρ − 1| > ε} (detached)
     * @param approxKl      {@code mean_mask(ρ − 1 − ln ρ)}, the k3 estimator of KL(π_old ‖ π_θ) (detached)
     */
    public record Terms(NDArray loss, NDArray clipFraction, NDArray approxKl) {}

    public Terms of(NDArray logProbs, NDArray oldLogProbs, NDArray advantages, NDArray mask) {
        NDArray a = advantages.stopGradient();
        NDArray logRatio = logProbs.sub(oldLogProbs.stopGradient());
        NDArray ratio = logRatio.exp();
        NDArray unclipped = a.mul(ratio).neg();
        NDArray clipped = a.mul(ratio.clip(1 - clip, 1 + clip)).neg();
        NDArray loss = MaskedMean.of(unclipped.maximum(clipped), mask);
        NDArray r = ratio.stopGradient();
        NDArray clipFraction = MaskedMean.of(r.sub(1).abs().gt(clip).toType(r.getDataType(), false), mask);
        NDArray approxKl = MaskedMean.of(r.sub(1).sub(logRatio.stopGradient()), mask);
        return new Terms(loss, clipFraction, approxKl);
    }
}
