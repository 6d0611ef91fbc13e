package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An objective on pairs of responses to one prompt. Implementations are pure functions of the
 * tensors in {@link PairLogProbs}: they never see a model, so the same class trains a
 * transformer and a tabular policy in the lab.
 *
 * <p>{@link #losses} keeps one loss per pair so that callers can weight pairs (the lab
 * weights by win counts); {@link #loss} is the plain mean with the standard metrics.
 */
public interface PairwiseObjective {

    /** The name the registry knows it by ({@code dpo}, {@code mio}, ...). */
    String name();

    /** Per-pair losses, of the shape of the inputs. */
    NDArray losses(PairLogProbs pairs);

    /**
     * The reward the objective implies for each response, reported as {@code rewards/*}:
     * {@code β(ln π_θ − ln π_0)} for the reference methods, the scaled log-prob for the
     * reference-free ones, the score itself for a reward model.
     */
    Rewards rewards(PairLogProbs pairs);

    /**
     * Weight of a {@code β · KL(π_θ ‖ π_0)} term estimated on fresh policy samples; a trainer
     * that sees a positive weight must sample and call {@link #loss(PairLogProbs, KlPenalty)}.
     */
    default double klWeight() { return 0; }

    /** Mean loss over the batch and the metrics of section 5 of the specification. */
    default ObjectiveOutput loss(PairLogProbs pairs) {
        if (klWeight() != 0) {
            throw new IllegalStateException(name() + " has a KL weight " + klWeight()
                    + ": pass the KL estimated on policy samples to loss(pairs, kl)");
        }
        return new ObjectiveOutput(losses(pairs).mean(), metrics(pairs));
    }

    /**
     * {@code mean(L) + klWeight · KL}, where the KL comes from on-policy samples (see
     * {@link Rloo#kl}); adds the metric {@code kl}.
     */
    default ObjectiveOutput loss(PairLogProbs pairs, KlPenalty kl) {
        Map<String, NDArray> m = metrics(pairs);
        m.put("kl", kl.estimate().stopGradient());
        return new ObjectiveOutput(losses(pairs).mean().add(ScalarOps.mul(kl.surrogate(), klWeight())), m);
    }

    /**
     * {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/margins},
     * {@code rewards/accuracies} (share of pairs with chosen reward strictly above rejected),
     * {@code logps/chosen}, {@code logps/rejected} (when policy log-probs are given); batch means.
     */
    default Map<String, NDArray> metrics(PairLogProbs pairs) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        Rewards r = rewards(pairs);
        NDArray chosen = r.chosen().stopGradient();
        NDArray rejected = r.rejected().stopGradient();
        m.put("rewards/chosen", chosen.mean());
        m.put("rewards/rejected", rejected.mean());
        m.put("rewards/margins", chosen.sub(rejected).mean());
        m.put("rewards/accuracies", chosen.gt(rejected).toType(chosen.getDataType(), false).mean());
        if (pairs.policyChosen() != null) {
            m.put("logps/chosen", pairs.policyChosen().stopGradient().mean());
            m.put("logps/rejected", pairs.policyRejected().stopGradient().mean());
        }
        return m;
    }

    /** Implied rewards of the chosen and rejected responses, per pair. */
    record Rewards(NDArray chosen, NDArray rejected) {
        /** {@code β(ln π_θ − ln π_0)} on both sides. */
        static Rewards referenceRatio(PairLogProbs p, double beta) {
            return new Rewards(ScalarOps.mul(p.policyLogRatioChosen(), beta), ScalarOps.mul(p.policyLogRatioRejected(), beta));
        }
    }

    /** {@code sp(z) = ln(1 + e^z)}, the engine's stable softplus; {@code −ln σ(z) = sp(−z)}. */
    static NDArray softplus(NDArray z) {
        return z.getNDArrayInternal().softPlus();
    }
}
