package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * IPO: {@code L = (h − 1/(2β))²}, a squared loss that pins the margin instead of pushing it
 * to infinity. With {@code lengthNormalised} (TRL's behaviour) every log-prob is first divided
 * by its response's token count: {@code h = (ln π_θ(a+) − ln π_0(a+))/|a+| − (ln π_θ(a-) − ln π_0(a-))/|a-|}.
 * Defaults β = 0.1, length-normalised.
 */
public record Ipo(double beta, boolean lengthNormalised) implements PairwiseObjective {
    public Ipo() { this(0.1, true); }

    @Override public String name() { return "ipo"; }

    @Override public NDArray losses(PairLogProbs p) {
        return margin(p).sub(1 / (2 * beta)).square();
    }

    private NDArray margin(PairLogProbs p) {
        if (!lengthNormalised) return p.logRatioMargin();
        return p.policyLogRatioChosen().div(PairLogProbs.require(p.lengthChosen(), "lengthChosen"))
                .sub(p.policyLogRatioRejected().div(PairLogProbs.require(p.lengthRejected(), "lengthRejected")));
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
