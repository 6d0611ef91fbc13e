package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * The clipped value loss of PPO, as OpenRLHF's {@code ValueLoss} ({@code openrlhf/models/loss.py})
 * and OpenAI's {@code baselines/ppo2} compute it, on token-level arrays [B, T] whose {@code mask}
 * is 1 on response tokens, with R the GAE returns:
 * <pre>
 *   V_clip = V_old + clip(V − V_old, −ε_v, ε_v)
 *   L_V    = ½ mean_mask( max((V − R)², (V_clip − R)²) )
 * </pre>
 * The clip keeps an update from moving the critic further from its rollout values than ε_v
 * for the same reason the policy's ratio is clipped.
 *
 * @param clip ε_v
 */
public record ValueLoss(double clip) {

    /** L_V, differentiable through {@code values}. */
    public NDArray of(NDArray values, NDArray oldValues, NDArray returns, NDArray mask) {
        NDArray ret = returns.stopGradient();
        NDArray old = oldValues.stopGradient();
        NDArray clipped = old.add(values.sub(old).clip(-clip, clip));
        return ScalarOps.mul(MaskedMean.of(values.sub(ret).square().maximum(clipped.sub(ret).square()), mask), 0.5);
    }
}
