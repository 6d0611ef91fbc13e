package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.align4j.model.ScalarOps;
import java.util.Map;

/** Global-norm gradient clipping, which DJL lacks (it clips element-wise only). */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * Scales every gradient by {@code min(1, maxNorm / ‖g‖)} where ‖g‖ is the L2 norm of all
     * gradients concatenated, as {@code torch.nn.utils.clip_grad_norm_} does.
     *
     * @return the norm before clipping (reported as {@code grad_norm}); NaN or infinite norms
     *         are returned unchanged and nothing is scaled, so the caller can stop the run
     */
    public static double clipGlobalNorm(Map<String, NDArray> parameters, double maxNorm) {
        NDList squares = new NDList();
        try {
            for (NDArray w : parameters.values()) {
                if (!w.hasGradient()) continue;
                // each getGradient() is a new handle on the gradient, and what is computed from it lives in the
                // parameter's manager, that is until the model is closed: close both, or a parameter-sized square
                // per parameter piles up every step
                try (NDArray g = w.getGradient(); NDArray square = g.square()) {
                    squares.add(square.sum());
                }
            }
            if (squares.isEmpty()) return 0;
            double norm;
            try (NDArray stacked = NDArrays.stack(squares); NDArray total = stacked.sum();
                 NDArray inFloat64 = total.toType(ai.djl.ndarray.types.DataType.FLOAT64, true)) {
                norm = Math.sqrt(inFloat64.getDouble());
            }
            if (!Double.isFinite(norm) || maxNorm <= 0 || norm <= maxNorm) return norm;
            double scale = maxNorm / (norm + 1e-6);
            for (NDArray w : parameters.values()) {
                if (!w.hasGradient()) continue;
                try (NDArray g = w.getGradient(); NDArray factor = ScalarOps.constant(g, scale)) {
                    g.muli(factor); // muli(Number) would leave its scalar in the parameter's manager
                }
            }
            return norm;
        } finally {
            squares.close();
        }
    }
}
