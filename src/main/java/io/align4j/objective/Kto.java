package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * KTO, Kahneman–Tversky optimisation (Ethayarajh, Xu, Muennighoff, Jurafsky, Kiela 2024, eq. 7),
 * on unpaired examples (x, y, desirable or not), as TRL's {@code KTOTrainer} computes it
 * ({@code kto_loss}, {@code loss_type="kto"}): with {@code r = ln π_θ(y|x) − ln π_0(y|x)} and the
 * reference point
 * <pre>
 *   z_0 = max(0, mean_i [ln π_θ(y_j|x_i) − ln π_0(y_j|x_i)])      (detached)
 * </pre>
 * estimated on mismatched pairs of the batch (each prompt with another example's completion,
 * TRL's {@code _get_kl_dataset}), the loss of an example is
 * <pre>
 *   L = λ_D (1 − σ(β (r − z_0)))   when y is desirable,
 *   L = λ_U (1 − σ(β (z_0 − r)))   when y is undesirable,
 * </pre>
 * averaged over the batch. No gradient flows through {@code z_0} (TRL computes it without
 * gradients and detaches it), so it moves only the point desirable and undesirable rewards are
 * pushed away from. Defaults are TRL's: β = 0.1, λ_D = λ_U = 1; TRL advises weights with
 * {@code λ_D n_D / (λ_U n_U)} in [1, 4/3] for {@code n_D} desirable and {@code n_U} undesirable
 * examples. Implied rewards: {@code β r}.
 */
public record Kto(double beta, double desirableWeight, double undesirableWeight) {
    /** The name {@code train --objective} takes. */
    public static final String NAME = "kto";

    public Kto() { this(0.1, 1.0, 1.0); }

    /** {@code z_0}: the clamped, detached mean log-ratio of the mismatched pairs; a scalar. */
    public NDArray referencePoint(UnpairedLogProbs p) {
        return ScalarOps.maximum(p.policyMismatched().sub(p.referenceMismatched()).mean(), 0).stopGradient();
    }

    /** Per-example losses, of shape [B]. */
    public NDArray losses(UnpairedLogProbs p) {
        NDArray z0 = referencePoint(p);
        NDArray ratio = p.policy().sub(p.reference());
        NDArray desirable = p.desirable();
        NDArray gain = ScalarOps.mul(ratio.sub(z0), beta).getNDArrayInternal().sigmoid().neg().add(1);
        NDArray loss = ScalarOps.mul(z0.sub(ratio), beta).getNDArrayInternal().sigmoid().neg().add(1);
        return ScalarOps.mul(desirable.mul(gain), desirableWeight)
                .add(ScalarOps.mul(desirable.neg().add(1).mul(loss), undesirableWeight));
    }

    /**
     * The mean loss with {@code kl} ({@code z_0}), {@code rewards/chosen} and {@code rewards/rejected}
     * (the mean {@code β r} of the desirable and of the undesirable examples, 0 for a batch
     * without any), {@code rewards/margins} (their difference), {@code logps/chosen},
     * {@code logps/rejected} and {@code count/chosen} (desirable examples in the batch).
     */
    public ObjectiveOutput loss(UnpairedLogProbs p) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        NDArray desirable = p.desirable().stopGradient();
        NDArray undesirable = desirable.neg().add(1);
        NDArray reward = ScalarOps.mul(p.policy().sub(p.reference()), beta).stopGradient();
        NDArray chosen = MaskedMean.of(reward, desirable), rejected = MaskedMean.of(reward, undesirable);
        m.put("kl", referencePoint(p));
        m.put("rewards/chosen", chosen);
        m.put("rewards/rejected", rejected);
        m.put("rewards/margins", chosen.sub(rejected));
        m.put("logps/chosen", MaskedMean.of(p.policy().stopGradient(), desirable));
        m.put("logps/rejected", MaskedMean.of(p.policy().stopGradient(), undesirable));
        m.put("count/chosen", desirable.sum());
        return new ObjectiveOutput(losses(p).mean(), m);
    }
}
