package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * Conservative DPO (label smoothing ε, the share of labels assumed flipped):
 * {@code L = −(1−ε) ln σ(βh) − ε ln σ(−βh)}. Defaults β = 0.1, ε = 0.1.
 */
public record CDpo(double beta, double epsilon) implements PairwiseObjective {
    public CDpo() { this(0.1, 0.1); }

    @Override public String name() { return "cdpo"; }

    @Override public NDArray losses(PairLogProbs p) {
        NDArray bh = p.logRatioMargin().mul(beta);
        return PairwiseObjective.softplus(bh.neg()).mul(1 - epsilon)
                .add(PairwiseObjective.softplus(bh).mul(epsilon));
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
