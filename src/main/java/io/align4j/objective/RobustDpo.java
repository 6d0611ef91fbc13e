package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * Robust DPO (an unbiased loss under label-flip rate ε):
 * {@code L = (−(1−ε) ln σ(βh) + ε ln σ(−βh)) / (1 − 2ε)}. Defaults β = 0.1, ε = 0.1.
 */
public record RobustDpo(double beta, double epsilon) implements PairwiseObjective {
    public RobustDpo {
        if (!(epsilon >= 0 && epsilon < 0.5)) throw new IllegalArgumentException("robust DPO needs 0 <= epsilon < 0.5, got " + epsilon);
    }

    public RobustDpo() { this(0.1, 0.1); }

    @Override public String name() { return "robust"; }

    @Override public NDArray losses(PairLogProbs p) {
        NDArray bh = ScalarOps.mul(p.logRatioMargin(), beta);
        return ScalarOps.div(ScalarOps.mul(PairwiseObjective.softplus(bh.neg()), 1 - epsilon)
                .sub(ScalarOps.mul(PairwiseObjective.softplus(bh), epsilon)), 1 - 2 * epsilon);
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
