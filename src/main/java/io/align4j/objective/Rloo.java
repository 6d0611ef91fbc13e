package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * REINFORCE with the leave-one-out baseline over k samples per prompt: for sample i with reward
 * {@code r_i}, the advantage is {@code r_i − (1/(k−1)) Σ_{j≠i} r_j} and the surrogate loss
 * {@code −mean(A_i · ln π_θ(a_i))}, whose gradient is an unbiased estimate of
 * {@code −∇ E_π[r]}. The same estimator with reward {@code ln π_θ − ln π_0} gives the gradient
 * of {@code KL(π_θ ‖ π_0)}, which PMLE and PD add with weight β.
 *
 * <p>All arrays are [prompts, k]; k ≥ 2.
 */
public final class Rloo {
    private Rloo() {}

    /** Leave-one-out advantages along the last axis: {@code r_i · k/(k−1) − Σ_j r_j/(k−1)}. */
    public static NDArray advantages(NDArray rewards) {
        long k = rewards.getShape().get(rewards.getShape().dimension() - 1);
        if (k < 2) throw new IllegalArgumentException("RLOO needs at least 2 samples per prompt, got " + k);
        NDArray r = rewards.stopGradient();
        return ScalarOps.mul(r, (double) k / (k - 1)).sub(ScalarOps.div(r.sum(new int[] {-1}, true), k - 1));
    }

    /** Policy loss for detached rewards (for example {@link ShapedReward#apply}); metric {@code reward}. */
    public static ObjectiveOutput policyLoss(NDArray logProbs, NDArray rewards) {
        NDArray loss = advantages(rewards).mul(logProbs).mean().neg();
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put("reward", rewards.stopGradient().mean());
        m.put("entropy", logProbs.stopGradient().mean().neg());
        return new ObjectiveOutput(loss, m);
    }

    /** {@code KL(π_θ ‖ π_0)} from samples of π_θ: estimate {@code mean(ln π_θ − ln π_0)}, RLOO surrogate. */
    public static KlPenalty kl(NDArray logProbs, NDArray referenceLogProbs) {
        NDArray logRatio = logProbs.stopGradient().sub(referenceLogProbs.stopGradient());
        return new KlPenalty(advantages(logRatio).mul(logProbs).mean(), logRatio.mean());
    }
}
