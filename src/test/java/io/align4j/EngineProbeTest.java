package io.align4j;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;

class EngineProbeTest {
    @Test
    void pytorchEngineLoadsOfflineAndDifferentiates() {
        Engine e = Engine.getEngine("PyTorch");
        System.out.println("engine " + e.getEngineName() + " " + e.getVersion());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector gc = e.newGradientCollector()) {
                NDArray y = x.mul(x).sum();
                gc.backward(y);
            }
            assertArrayEquals(new float[] {2, 4, 6}, x.getGradient().toFloatArray(), 1e-6f);
        }
    }
}
