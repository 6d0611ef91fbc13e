package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/** Hinge (SLiC) loss: {@code L = max(0, 1 − βh)}. Default β = 0.1. */
public record Hinge(double beta) implements PairwiseObjective {
    public Hinge() { this(0.1); }

    @Override public String name() { return "hinge"; }

    @Override public NDArray losses(PairLogProbs p) {
        return ScalarOps.maximum(ScalarOps.mul(p.logRatioMargin(), -beta).add(1), 0);
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
