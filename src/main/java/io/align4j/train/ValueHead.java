package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.util.UserError;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO's critic: a linear head on the frozen reference model's final-normed hidden states,
 * {@code V(x, a_<t) = w · h^0_t + b}, with {@code h^0_t} read at the position that predicts
 * response token t.
 *
 * <p>Why the reference's features and not the policy's: the reference forward already runs once
 * per rollout (for {@code ln π_0}), so the features cost nothing more, stay fixed across the PPO
 * epochs, and the value loss never pulls on the policy's backbone (a shared backbone lets the
 * critic's regression disturb the policy, the reason many PPO implementations keep a separate
 * critic). The price is a linear critic on fixed features, which is what a baseline for variance
 * reduction needs.
 *
 * <p>A new head starts with w = 0 and its bias at the mean return of the first rollout
 * ({@link #setBias}). Left at zero, the bias of a linear head trained at a policy's learning rate
 * moves about that rate per update, while a reward model's scores sit wherever its training left
 * them (−8.7 on the quickstart's, whose likelihood term is a sum of log-probs): the value loss
 * then never falls and the critic baselines nothing. Measured in #8's note.
 */
public final class ValueHead {
    public static final String WEIGHT = "value_head.weight";
    public static final String BIAS = "value_head.bias";

    private final NDArray weight, bias;

    private ValueHead(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /** A zero head of width {@code dim}, owned by {@code manager}. */
    public static ValueHead zeros(int dim, NDManager manager) {
        return new ValueHead(manager.zeros(new Shape(1, dim), DataType.FLOAT32), manager.zeros(new Shape(1), DataType.FLOAT32));
    }

    /**
     * The head saved in a checkpoint's auxiliary parameters.
     *
     * @throws UserError when there is none: the checkpoint was written without PPO's critic
     */
    public static ValueHead of(Map<String, NDArray> saved) {
        NDArray w = saved.get(WEIGHT), b = saved.get(BIAS);
        if (w == null || b == null)
            throw new UserError("the checkpoint to resume has no value head (" + WEIGHT + ", " + BIAS + "): it was written by a run"
                    + " without PPO's critic (estimator rloo or another objective); resume with that run's objective and estimator,"
                    + " or write to a new output folder");
        return new ValueHead(w, b);
    }

    /** Parameters by name, for the optimiser and the checkpoint. */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        p.put(WEIGHT, weight);
        p.put(BIAS, bias);
        return p;
    }

    /** Sets the bias to {@code value} in place (outside any gradient recording). */
    public void setBias(double value) {
        try (NoGradient noGrad = new NoGradient()) {
            bias.set(new float[] {(float) value});
        }
    }

    /** The current bias. */
    public double bias() { return bias.toFloatArray()[0]; }

    /** Values [B, L] of features [B, L, dim]; differentiable in the head. */
    public NDArray values(NDArray features) {
        return features.matMul(weight.transpose()).squeeze(-1).add(bias);
    }
}
