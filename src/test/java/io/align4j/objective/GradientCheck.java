package io.align4j.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.function.Function;

/** Autograd gradients against central finite differences, in float64. */
final class GradientCheck {
    private GradientCheck() {}

    /** The autograd gradient of the scalar {@code f(inputs)} with respect to every input. */
    static double[][] autograd(NDManager parent, double[][] inputs, Function<NDArray[], NDArray> f) {
        try (NDManager m = parent.newSubManager()) {
            NDArray[] xs = new NDArray[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                xs[i] = m.create(inputs[i]);
                xs[i].setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(f.apply(xs));
            }
            double[][] g = new double[inputs.length][];
            // An input that reaches the loss only through stopGradient has an all-zero float32 gradient.
            for (int i = 0; i < inputs.length; i++) g[i] = xs[i].getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            return g;
        }
    }

    static double value(NDManager parent, double[][] inputs, Function<NDArray[], NDArray> f) {
        try (NDManager m = parent.newSubManager()) {
            NDArray[] xs = new NDArray[inputs.length];
            for (int i = 0; i < inputs.length; i++) xs[i] = m.create(inputs[i]);
            return f.apply(xs).getDouble();
        }
    }

    /** Asserts that autograd matches {@code (f(x + h e) − f(x − h e)) / 2h} for every coordinate. */
    static void assertMatchesFiniteDifferences(NDManager m, double[][] inputs, Function<NDArray[], NDArray> f, String what) {
        double[][] g = autograd(m, inputs, f);
        double h = 1e-5;
        for (int i = 0; i < inputs.length; i++) {
            for (int j = 0; j < inputs[i].length; j++) {
                double[][] plus = copy(inputs);
                double[][] minus = copy(inputs);
                plus[i][j] += h;
                minus[i][j] -= h;
                double fd = (value(m, plus, f) - value(m, minus, f)) / (2 * h);
                assertEquals(fd, g[i][j], 1e-7 * Math.max(1, Math.abs(fd)), what + ": d/d input " + i + "[" + j + "]");
            }
        }
    }

    private static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }
}
