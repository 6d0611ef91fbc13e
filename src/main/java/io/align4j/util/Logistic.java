package io.align4j.util;

/** The logistic function, written so that neither branch overflows. */
public final class Logistic {
    private Logistic() {}

    /** {@code 1 / (1 + e^−z)}; for negative z as {@code e^z / (1 + e^z)}, so a large |z| never gives ∞/∞. */
    public static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
