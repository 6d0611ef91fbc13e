package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * The k → ∞ limit of {@link Rloo} for a policy whose whole support is enumerated (a tabular
 * policy): {@code L = −Σ_a π_θ(a) · r(a)} with r detached, whose gradient is exactly
 * {@code −E_π[r ∇ ln π]}. With the {@link ShapedReward} this is the gradient of
 * {@code −(E R̂ − β KL(π ‖ π_0) + γ H(π))}, because {@code E_π[∇ ln π] = 0}.
 */
public final class ExactPolicyGradient {
    private ExactPolicyGradient() {}

    /**
     * @param logProbs normalised log-probs over the whole support along {@code axis}
     * @param rewards  reward of every response, same shape
     * @return the loss per row, with {@code axis} summed out
     */
    public static NDArray loss(NDArray logProbs, NDArray rewards, int axis) {
        return logProbs.exp().mul(rewards.stopGradient()).sum(new int[] {axis}).neg();
    }
}
