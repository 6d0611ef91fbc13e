package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * Preference maximum likelihood: the policy is the preference model,
 * {@code P(a ≻ b) = σ(γ [ln π_θ(a) − ln π_θ(b)])}, fitted by maximum likelihood:
 * {@code L = −ln σ(γ [ln π_θ(a+) − ln π_θ(a-)]) (+ β KL(π_θ ‖ π_0))}.
 * No reference inside the sigmoid; with β = 0 it is reference-free, with β > 0 the KL comes
 * from on-policy samples ({@link #loss(PairLogProbs, KlPenalty)}).
 * Defaults: the summarisation setting γ = 1e-2, β = 1e-5 (chat: γ = 5e-3, β = 0).
 * Implied rewards: {@code γ ln π_θ(a)}, the reward every language model induces.
 */
public record Pmle(double gamma, double beta) implements PairwiseObjective {
    public Pmle() { this(1e-2, 1e-5); }

    @Override public String name() { return "pmle"; }

    @Override public double klWeight() { return beta; }

    @Override public NDArray losses(PairLogProbs p) {
        return PairwiseObjective.softplus(ScalarOps.mul(p.policyChosen().sub(p.policyRejected()), -gamma));
    }

    @Override public Rewards rewards(PairLogProbs p) {
        return new Rewards(ScalarOps.mul(p.policyChosen(), gamma), ScalarOps.mul(p.policyRejected(), gamma));
    }
}
