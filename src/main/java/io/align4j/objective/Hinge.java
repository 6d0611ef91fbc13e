package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/** Hinge (SLiC) loss: {@code L = max(0, 1 − βh)}. Default β = 0.1. */
public record Hinge(double beta) implements PairwiseObjective {
    public Hinge() { this(0.1); }

    @Override public String name() { return "hinge"; }

    @Override public NDArray losses(PairLogProbs p) {
        return p.logRatioMargin().mul(-beta).add(1).maximum(0);
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
