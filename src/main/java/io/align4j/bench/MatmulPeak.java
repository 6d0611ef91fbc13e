package io.align4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The machine's practical fp32 matmul peak, measured through the same engine the models use:
 * a square n×n product costs 2n³ floating-point operations. Training and sampling throughput are
 * reported as a share of this figure rather than of a datasheet number.
 */
public final class MatmulPeak {
    private MatmulPeak() {}

    /** GFLOP/s of the median n×n fp32 matmul. */
    public static double gflops(NDManager parent, int n, int warmup, int repeats) {
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.randomNormal(0, 1, new Shape(n, n), DataType.FLOAT32);
            NDArray b = m.randomNormal(0, 1, new Shape(n, n), DataType.FLOAT32);
            double seconds = Timing.medianSeconds(warmup, repeats, () -> {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // forces completion
                }
            });
            return 2.0 * n * n * n / seconds / 1e9;
        }
    }
}
