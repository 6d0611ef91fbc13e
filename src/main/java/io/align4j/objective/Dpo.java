package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * DPO, sigmoid loss: {@code L = −ln σ(β h)} with
 * {@code h = (ln π_θ(a+) − ln π_0(a+)) − (ln π_θ(a-) − ln π_0(a-))}.
 * Default β = 0.1 (TRL's).
 */
public record Dpo(double beta) implements PairwiseObjective {
    public Dpo() { this(0.1); }

    @Override public String name() { return "dpo"; }

    @Override public NDArray losses(PairLogProbs p) {
        return PairwiseObjective.softplus(ScalarOps.mul(p.logRatioMargin(), -beta));
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
