package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;

/** Gradient bookkeeping the engine leaves to the caller. */
public final class Gradients {
    private Gradients() {}

    /**
     * Zeroes every parameter's gradient in place. The engine accumulates gradients over backward
     * calls (which is what makes accumulation over micro-batches work) and never clears them;
     * multiplying by zero would keep a NaN, so the engine's own zeroing is used.
     */
    public static void zero(Map<String, NDArray> parameters) {
        for (NDArray w : parameters.values())
            if (w.hasGradient()) JniUtils.zeroGrad((PtNDArray) w);
    }
}
