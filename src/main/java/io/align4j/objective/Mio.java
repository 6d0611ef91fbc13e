package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * Mutual-information optimisation: the Jensen–Shannon estimator of the mutual information
 * between prompt and chosen response, with the critic {@code T = β ln(π_θ/π_0)}:
 * {@code L = sp(−T_w) + ½ sp(T_w) + ½ sp(T_l)}.
 *
 * <p>Gradients {@code ∂L/∂T_w = −1 + 1.5 σ(T_w)} (zero at {@code T_w = ln 2}, so the chosen
 * reward is anchored instead of drifting as under DPO) and {@code ∂L/∂T_l = ½ σ(T_l)}; at
 * {@code T = 0} the loss is {@code ln 4} and the gradients are ∓0.25. Default β = 0.1.
 */
public record Mio(double beta) implements PairwiseObjective {
    public Mio() { this(0.1); }

    @Override public String name() { return "mio"; }

    @Override public NDArray losses(PairLogProbs p) {
        Rewards t = rewards(p);
        return PairwiseObjective.softplus(t.chosen().neg())
                .add(ScalarOps.mul(PairwiseObjective.softplus(t.chosen()), 0.5))
                .add(ScalarOps.mul(PairwiseObjective.softplus(t.rejected()), 0.5));
    }

    @Override public Rewards rewards(PairLogProbs p) { return Rewards.referenceRatio(p, beta); }
}
