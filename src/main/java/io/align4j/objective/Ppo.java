package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PPO with a value baseline, on token-level arrays [B, T] whose {@code mask} is 1 on response
 * tokens (right padding). The sequence reward (a {@link ShapedReward}) sits on the last token
 * ({@link #terminalRewards}).
 *
 * <p>GAE: {@code δ_t = r_t + λ_d V_{t+1} − V_t}, {@code A_t = δ_t + λ_d λ A_{t+1}} (λ_d the
 * discount), returns {@code R_t = A_t + V_t} (Schulman et al. 2016, "High-Dimensional Continuous
 * Control Using Generalized Advantage Estimation", eq. 16). Loss: the clipped surrogate
 * {@link PolicyLoss} plus {@code c_v ·} the clipped value loss {@link ValueLoss}, each a mean over
 * response tokens. Defaults (the summarisation setting): ε = 0.2, λ = 0.95, discount 1,
 * {@code c_v} = 0.1, value clip 0.2.
 */
public record Ppo(double clip, double lambda, double discount, double valueCoef, double valueClip) {
    public Ppo() { this(0.2, 0.95, 1.0, 0.1, 0.2); }

    /** GAE advantages and value targets, both [B, T], zero off the mask; detached. */
    public record Advantages(NDArray advantages, NDArray returns) {}

    /** A reward of zero on every token but the last response token, which gets the sequence reward [B]. */
    public static NDArray terminalRewards(NDArray sequenceRewards, NDArray mask) {
        long t = mask.getShape().get(1);
        NDArray next = NDArrays.concat(new ai.djl.ndarray.NDList(
                mask.get(new NDIndex(":, 1:")), mask.zerosLike().get(new NDIndex(":, :1"))), 1);
        NDArray last = ScalarOps.maximum(mask.sub(next), 0);
        return last.mul(sequenceRewards.stopGradient().reshape(-1, 1)).reshape(-1, t);
    }

    public Advantages gae(NDArray rewards, NDArray values, NDArray mask) {
        int t = (int) rewards.getShape().get(1);
        NDArray r = rewards.stopGradient().mul(mask);
        NDArray v = values.stopGradient().mul(mask);
        List<NDArray> reversed = new ArrayList<>();
        NDArray nextAdvantage = null;
        NDArray nextValue = null;
        for (int i = t - 1; i >= 0; i--) {
            NDIndex col = new NDIndex(":, " + i);
            NDArray delta = r.get(col).sub(v.get(col));
            NDArray a = delta;
            if (nextValue != null) {
                a = delta.add(ScalarOps.mul(nextValue, discount)).add(ScalarOps.mul(nextAdvantage, discount * lambda));
            }
            a = a.mul(mask.get(col));
            reversed.add(a);
            nextAdvantage = a;
            nextValue = v.get(col);
        }
        Collections.reverse(reversed);
        NDArray advantages = NDArrays.stack(new ai.djl.ndarray.NDList(reversed), 1);
        return new Advantages(advantages, advantages.add(v).mul(mask));
    }

    /** The clipped surrogate with this run's ε. */
    public PolicyLoss policyLoss() { return new PolicyLoss(clip); }

    /** The clipped value loss with this run's ε_v. */
    public ValueLoss valueLoss() { return new ValueLoss(valueClip); }

    /**
     * {@link PolicyLoss} {@code + c_v ·} {@link ValueLoss}.
     *
     * @return the loss and the metrics {@code policy_loss}, {@code value_loss}, {@code clipfrac}
     *         and {@code approx_kl} (see {@link PolicyLoss.Terms})
     */
    public ObjectiveOutput loss(NDArray logProbs, NDArray oldLogProbs, Advantages adv,
                                NDArray values, NDArray oldValues, NDArray mask) {
        PolicyLoss.Terms policy = policyLoss().of(logProbs, oldLogProbs, adv.advantages(), mask);
        NDArray value = valueLoss().of(values, oldValues, adv.returns(), mask);
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put("policy_loss", policy.loss().stopGradient());
        m.put("value_loss", value.stopGradient());
        m.put("clipfrac", policy.clipFraction());
        m.put("approx_kl", policy.approxKl());
        return new ObjectiveOutput(policy.loss().add(ScalarOps.mul(value, valueCoef)), m);
    }
}
