package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * Conservative DPO (label smoothing ε, the share of labels assumed flipped):
 * {@code L = −(1−ε) ln σ(βh) − ε ln σ(−βh)}. Defaults β = 0.1, ε = 0.1.
 */
public record CDpo(double beta, double epsilon) implements PairwiseObjective {
    public CDpo() { this(0.1, 0.1); }

    @Override public String name() { return "cdpo"; }

    @Override public NDArray losses(PairLogProbs p) {
        NDArray bh = ScalarOps.mul(p.logRatioMargin(), beta);
        return ScalarOps.mul(PairwiseObjective.softplus(bh.neg()), 1 - epsilon)
                .add(ScalarOps.mul(PairwiseObjective.softplus(bh), epsilon));
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
