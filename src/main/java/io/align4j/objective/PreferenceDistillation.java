package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * Preference distillation: a reward model R̂ acts as preference simulator and the policy's own
 * preference model is fitted to its soft labels,
 * {@code L = KL(Bern(p̃) ‖ Bern(σ(z))) = −p̃ ln σ(z) − (1 − p̃) ln σ(−z) + const} (the
 * cross-entropy is returned) with {@code p̃ = σ(R̂(a1) − R̂(a2))} and
 * {@code z = γ [ln π_θ(a1) − ln π_θ(a2)]}; plus {@code β KL(π_θ ‖ π_0)}.
 * Symmetric in the order of the pair, so online pairs need no labels.
 *
 * <p>The two choices the source leaves open are switches: {@code ratioToSampling} puts
 * {@code ln π_θ − ln π_t} (π_t the policy that sampled the pair) in place of {@code ln π_θ}
 * in z; {@code klAsShaping} moves β into the scores,
 * {@code R̂(a) − β (ln π_t(a) − ln π_0(a))}, instead of an explicit KL term.
 * Defaults: the summarisation setting γ = 0.1, β = 0.05, both switches off.
 * Implied rewards: {@code γ ln π_θ(a)} (or γ times the ratio under {@code ratioToSampling}).
 */
public record PreferenceDistillation(double gamma, double beta, boolean ratioToSampling, boolean klAsShaping)
        implements PairwiseObjective {
    public PreferenceDistillation() { this(0.1, 0.05, false, false); }

    @Override public String name() { return "pd"; }

    @Override public double klWeight() { return klAsShaping ? 0 : beta; }

    /** {@code p̃ = σ(s1 − s2)} from the (possibly shaped) scores; a constant for the gradient. */
    public NDArray softLabel(PairLogProbs p) {
        NDArray s1 = PairLogProbs.require(p.scoreChosen(), "scoreChosen");
        NDArray s2 = PairLogProbs.require(p.scoreRejected(), "scoreRejected");
        if (klAsShaping) {
            s1 = s1.sub(ScalarOps.mul(PairLogProbs.require(p.samplingChosen(), "samplingChosen")
                    .sub(PairLogProbs.require(p.referenceChosen(), "referenceChosen")), beta));
            s2 = s2.sub(ScalarOps.mul(PairLogProbs.require(p.samplingRejected(), "samplingRejected")
                    .sub(PairLogProbs.require(p.referenceRejected(), "referenceRejected")), beta));
        }
        return s1.sub(s2).getNDArrayInternal().sigmoid().stopGradient();
    }

    @Override public NDArray losses(PairLogProbs p) {
        NDArray soft = softLabel(p);
        Rewards r = rewards(p);
        NDArray z = r.chosen().sub(r.rejected());
        return soft.mul(PairwiseObjective.softplus(z.neg()))
                .add(soft.neg().add(1).mul(PairwiseObjective.softplus(z)));
    }

    @Override public Rewards rewards(PairLogProbs p) {
        NDArray first = p.policyChosen();
        NDArray second = p.policyRejected();
        if (ratioToSampling) {
            first = first.sub(PairLogProbs.require(p.samplingChosen(), "samplingChosen").stopGradient());
            second = second.sub(PairLogProbs.require(p.samplingRejected(), "samplingRejected").stopGradient());
        }
        return new Rewards(ScalarOps.mul(first, gamma), ScalarOps.mul(second, gamma));
    }

    /** The standard metrics plus {@code soft_label}, the mean of p̃. */
    @Override public Map<String, NDArray> metrics(PairLogProbs p) {
        Map<String, NDArray> m = PairwiseObjective.super.metrics(p);
        m.put("soft_label", softLabel(p).mean());
        return m;
    }
}
