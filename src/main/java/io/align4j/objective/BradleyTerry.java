package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * Bradley–Terry reward-model loss on scalar scores: {@code L = −ln σ(r(a+) − r(a-) − m)}
 * with an optional margin {@code m} (default 0). Reads {@link PairLogProbs#scoreChosen()} and
 * {@link PairLogProbs#scoreRejected()}; the implied rewards are the scores themselves.
 */
public record BradleyTerry(double margin) implements PairwiseObjective {
    public BradleyTerry() { this(0); }

    @Override public String name() { return "bt"; }

    @Override public NDArray losses(PairLogProbs p) {
        Rewards r = rewards(p);
        return PairwiseObjective.softplus(r.chosen().sub(r.rejected()).sub(margin).neg());
    }

    @Override public Rewards rewards(PairLogProbs p) {
        return new Rewards(PairLogProbs.require(p.scoreChosen(), "scoreChosen"),
                PairLogProbs.require(p.scoreRejected(), "scoreRejected"));
    }
}
