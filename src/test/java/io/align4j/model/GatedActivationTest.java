package io.align4j.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Layers#gatedActivation}'s written-out backward against autograd through {@link Layers#activation}'s ops. */
class GatedActivationTest {

    @ParameterizedTest
    @EnumSource(BlockFeatures.Activation.class)
    void valueEqualsTheRecordedOpsAndGradientsEqualAutograd(BlockFeatures.Activation a) {
        for (boolean gated : new boolean[] {true, false}) {
            double[][] written = run(a, gated, true), recorded = run(a, gated, false);
            assertArrayEquals(recorded[0], written[0], 0, a + " value");
            assertArrayEquals(recorded[1], written[1], 1e-13, a + " gate gradient");
            if (gated) assertArrayEquals(recorded[2], written[2], 1e-13, a + " up gradient");
        }
    }

    /** Value, gate gradient and up gradient of Σ w ⊙ act(gate) ⊙ up for fixed random w, in float64. */
    private static double[][] run(BlockFeatures.Activation a, boolean gated, boolean written) {
        SplittableRandom random = new SplittableRandom(3);
        Shape shape = new Shape(2, 5, 7);
        double[] g = new double[(int) shape.size()], u = new double[g.length], w = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = 4 * random.nextDouble() - 2;
            u[i] = 2 * random.nextDouble() - 1;
            w[i] = 2 * random.nextDouble() - 1;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray gate = m.create(g, shape), up = m.create(u, shape), weights = m.create(w, shape);
            gate.setRequiresGradient(true);
            up.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = written ? Layers.gatedActivation(gate, gated ? up : null, a)
                        : gated ? Layers.activation(gate, a).mul(up) : Layers.activation(gate, a);
                assertEquals(DataType.FLOAT64, out.getDataType());
                gc.backward(out.mul(weights).sum());
                // an unused leaf's gradient is undefined
                double[] upGradient = gated ? up.getGradient().toDoubleArray() : null;
                return new double[][] {out.toDoubleArray(), gate.getGradient().toDoubleArray(), upGradient};
            }
        }
    }
}
