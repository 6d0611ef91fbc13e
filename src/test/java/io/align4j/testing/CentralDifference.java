package io.align4j.testing;

import java.util.function.DoubleSupplier;

/** Numerical derivatives for gradient checks in float64. */
public final class CentralDifference {
    private CentralDifference() {}

    /**
     * {@code (f(v_i + h) − f(v_i − h)) / 2h}, where {@code f} reads {@code values}; entry i is
     * restored afterwards.
     */
    public static double at(double[] values, int i, double h, DoubleSupplier f) {
        double saved = values[i];
        values[i] = saved + h;
        double plus = f.getAsDouble();
        values[i] = saved - h;
        double minus = f.getAsDouble();
        values[i] = saved;
        return (plus - minus) / (2 * h);
    }
}
