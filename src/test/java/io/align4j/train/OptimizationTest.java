package io.align4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizationTest {

    /** Loss Σ_i c_i·w_i² has gradient 2·c·w: the fused update must match AdamW written out in doubles. */
    @Test
    void adamWMatchesItsFormula() {
        double[] w0 = {0.5, -1.5, 2.0}, c = {1.0, 3.0, 0.2};
        double lr = 0.05, b1 = 0.9, b2 = 0.99, eps = 1e-8, wd = 0.1;
        double[] w = w0.clone(), m = new double[3], v = new double[3];
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray weight = nd.create(w0);
            weight.setRequiresGradient(true);
            NDArray coef = nd.create(c);
            Map<String, NDArray> params = new LinkedHashMap<>(Map.of("w", weight));
            AdamW adam = new AdamW(nd, b1, b2, eps, wd);
            for (int t = 1; t <= 5; t++) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(weight.square().mul(coef).sum());
                }
                adam.step(params, lr);
                // The kernel takes its hyper-parameters as float: round them the same way.
                double lrF = (float) lr, wdF = (float) wd, b1F = (float) b1, b2F = (float) b2, epsF = (float) eps;
                double stepSize = (float) (lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t)));
                for (int i = 0; i < 3; i++) {
                    double g = 2 * c[i] * w[i];
                    w[i] -= w[i] * lrF * wdF;
                    m[i] = b1F * m[i] + (1 - b1F) * g;
                    v[i] = b2F * v[i] + (1 - b2F) * g * g;
                    w[i] -= m[i] * stepSize / (Math.sqrt(v[i]) + epsF);
                }
                double[] got = weight.toDoubleArray();
                for (int i = 0; i < 3; i++) assertEquals(w[i], got[i], 1e-12, "step " + t + " w[" + i + "]");
            }
            assertEquals(5, adam.stepCount());
        }
    }

    @Test
    void globalNormClippingScalesAllGradientsTogether() {
        try (NDManager nd = NDManager.newBaseManager()) {
            NDArray a = nd.create(new double[] {3.0}), b = nd.create(new double[] {4.0});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(a.mul(a).div(2).add(b.mul(b).div(2)).sum()); // grads 3 and 4: norm 5
            }
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("a", a);
            params.put("b", b);
            assertEquals(5.0, GradientClipping.clipGlobalNorm(params, 1.0), 1e-12);
            assertEquals(3.0 / (5 + 1e-6), a.getGradient().getDouble(0), 1e-12);
            assertEquals(4.0 / (5 + 1e-6), b.getGradient().getDouble(0), 1e-12);
            // already within the bound: untouched
            double norm = GradientClipping.clipGlobalNorm(params, 10.0);
            assertEquals(1.0, norm, 1e-6);
            assertEquals(DataType.FLOAT64, a.getGradient().getDataType());
        }
    }

    /**
     * Clipping (with a norm above the bound, so it scales), the AdamW update and zeroing leave no array
     * behind in the parameters' manager: whatever they compute from a gradient handle lands there, and
     * would live as long as the model, a parameter-sized array per parameter and step.
     */
    @Test
    void anOptimiserStepLeavesNothingInTheParametersManager() {
        try (NDManager root = NDManager.newBaseManager(); NDManager parameters = root.newSubManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("w", parameters.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2)));
            params.put("b", parameters.create(new float[] {0.5f, -1}));
            params.values().forEach(p -> p.setRequiresGradient(true));
            AdamW adam = AdamW.withDefaults(root);
            for (int step = 0; step < 3; step++) {
                try (NDManager s = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray x = s.create(new float[] {3, -2});
                    gc.backward(params.get("w").matMul(x).add(params.get("b")).square().sum());
                }
                int before = io.align4j.testing.ManagedArrays.count(parameters);
                assertTrue(GradientClipping.clipGlobalNorm(params, 1e-3) > 1e-3, "the norm exceeds the bound, so clipping scales");
                adam.step(params, 1e-2);
                Gradients.zero(params);
                assertEquals(before, io.align4j.testing.ManagedArrays.count(parameters), "arrays in the parameters' manager after step " + step);
            }
        }
    }

    @Test
    void schedulesWarmUpThenDecay() {
        var linear = new LearningRateSchedule(LearningRateSchedule.Kind.LINEAR, 1.0, 10, 110);
        assertEquals(0.1, linear.at(0), 1e-12);
        assertEquals(1.0, linear.at(9), 1e-12);
        assertEquals(1.0, linear.at(10), 1e-12);
        assertEquals(0.5, linear.at(60), 1e-12);
        assertEquals(0.0, linear.at(110), 1e-12);
        var cosine = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 2.0, 0, 100);
        assertEquals(2.0, cosine.at(0), 1e-12);
        assertEquals(1.0, cosine.at(50), 1e-12);
        assertEquals(0.0, cosine.at(100), 1e-12);
        assertEquals(2.0, new LearningRateSchedule(LearningRateSchedule.Kind.CONSTANT, 2.0, 0, 100).at(99), 0);
    }
}
