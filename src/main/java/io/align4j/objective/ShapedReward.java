package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * The sequence-level reward that RLHF and reverse-KL minimisation maximise,
 * {@code r(x,a) = R̂(x,a) − β (ln π_θ(a|x) − ln π_0(a|x)) − γ ln π_θ(a|x)}: in expectation
 * under π_θ, {@code E R̂ − β KL(π_θ ‖ π_0) + γ H(π_θ)}. RLHF is γ = 0. The tabular optimum is
 * {@code π ∝ π_0^{β/(β+γ)} · exp(R̂/(β+γ))} (RLHF: {@code π_0 · exp(R̂/β)}).
 * Defaults: the summarisation setting, KL β = 0.05, entropy γ = 0.01.
 */
public record ShapedReward(double beta, double gamma) {
    public ShapedReward() { this(0.05, 0.01); }

    /** Standard RLHF: a KL penalty to the reference and no entropy bonus. */
    public static ShapedReward rlhf(double beta) { return new ShapedReward(beta, 0); }

    /** Reverse-KL minimisation to {@code π̃ ∝ exp(R̂/γ)} with a KL penalty β to the reference. */
    public static ShapedReward reverseKl(double beta, double gamma) { return new ShapedReward(beta, gamma); }

    /**
     * The shaped reward of each sample, detached: policy-gradient estimators treat it as a
     * constant, which is exact because {@code E_π[∇ ln π] = 0}.
     */
    public NDArray apply(NDArray score, NDArray policyLogProbs, NDArray referenceLogProbs) {
        NDArray lp = policyLogProbs.stopGradient();
        return score.stopGradient().sub(ScalarOps.mul(lp.sub(referenceLogProbs.stopGradient()), beta)).sub(ScalarOps.mul(lp, gamma));
    }

    /**
     * The same reward paid per token, as PPO implementations for language models pay the KL
     * penalty (Ziegler et al. 2019, TRL): token t of a response gets
     * {@code −β (ln π_θ(a_t) − ln π_0(a_t)) − γ ln π_θ(a_t)} and the last token adds R̂. Each row
     * sums to {@link #apply}'s sequence reward, so the return from the first token is unchanged;
     * what changes is credit assignment: a token's own KL and entropy terms reach its advantage
     * directly instead of through a value estimate of the whole sequence. Detached.
     *
     * @param score                   [B] R̂(x, a)
     * @param policyTokenLogProbs     [B, T] ln π_θ of each response token, zero off the mask
     * @param referenceTokenLogProbs  [B, T] ln π_0 of each response token
     * @param mask                    [B, T] 1 on response tokens (a prefix of each row)
     * @return [B, T] rewards, zero off the mask
     */
    public NDArray perToken(NDArray score, NDArray policyTokenLogProbs, NDArray referenceTokenLogProbs, NDArray mask) {
        NDArray lp = policyTokenLogProbs.stopGradient();
        NDArray shaping = ScalarOps.mul(lp.sub(referenceTokenLogProbs.stopGradient()), beta).add(ScalarOps.mul(lp, gamma));
        return Ppo.terminalRewards(score, mask).sub(shaping.mul(mask));
    }

    /**
     * The closed-form optimum over a full table of responses, as log-probs along {@code axis}:
     * {@code log_softmax((β ln π_0 + R̂) / (β + γ))}.
     */
    public NDArray tabularOptimum(NDArray scores, NDArray referenceLogProbs, int axis) {
        return ScalarOps.div(ScalarOps.mul(referenceLogProbs, beta).add(scores), beta + gamma).logSoftmax(axis);
    }
}
