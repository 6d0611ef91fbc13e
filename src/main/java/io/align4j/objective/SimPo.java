package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * SimPO, reference-free with length-normalised log-probs and a target margin:
 * {@code L = −ln σ(β/|a+| · ln π_θ(a+) − β/|a-| · ln π_θ(a-) − γ_margin)}.
 * Defaults β = 2.0, γ_margin = 1.0 (the SimPO paper's; TRL writes the margin as γ/β = 0.5).
 * Implied rewards: {@code β ln π_θ(a)/|a|}.
 */
public record SimPo(double beta, double gammaMargin) implements PairwiseObjective {
    public SimPo() { this(2.0, 1.0); }

    @Override public String name() { return "simpo"; }

    @Override public NDArray losses(PairLogProbs p) {
        Rewards r = rewards(p);
        return PairwiseObjective.softplus(r.chosen().sub(r.rejected()).sub(gammaMargin).neg());
    }

    @Override public Rewards rewards(PairLogProbs p) {
        return new Rewards(
                ScalarOps.mul(p.policyChosen().div(PairLogProbs.require(p.lengthChosen(), "lengthChosen")), beta),
                ScalarOps.mul(p.policyRejected().div(PairLogProbs.require(p.lengthRejected(), "lengthRejected")), beta));
    }
}
