package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * REBEL: regress the difference of policy ratios to the sampling policy π_t onto the reward
 * difference, {@code L = ([ln π_θ(a1) − ln π_t(a1)] − [ln π_θ(a2) − ln π_t(a2)] − η (r1 − r2))²}.
 * Default η = 1. Implied rewards: {@code (ln π_θ(a) − ln π_t(a)) / η}, what the ratio is
 * regressed onto.
 */
public record Rebel(double eta) implements PairwiseObjective {
    public Rebel() { this(1.0); }

    @Override public String name() { return "rebel"; }

    @Override public NDArray losses(PairLogProbs p) {
        NDArray r1 = PairLogProbs.require(p.scoreChosen(), "scoreChosen").stopGradient();
        NDArray r2 = PairLogProbs.require(p.scoreRejected(), "scoreRejected").stopGradient();
        Rewards ratio = rewards(p);
        return ScalarOps.mul(ratio.chosen().sub(ratio.rejected()), eta).sub(ScalarOps.mul(r1.sub(r2), eta)).square();
    }

    @Override public Rewards rewards(PairLogProbs p) {
        return new Rewards(
                ScalarOps.div(p.policyChosen().sub(PairLogProbs.require(p.samplingChosen(), "samplingChosen").stopGradient()), eta),
                ScalarOps.div(p.policyRejected().sub(PairLogProbs.require(p.samplingRejected(), "samplingRejected").stopGradient()), eta));
    }
}
