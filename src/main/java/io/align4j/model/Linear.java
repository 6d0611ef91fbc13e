package io.align4j.model;

import ai.djl.ndarray.NDArray;

/**
 * Every matrix multiply of a model goes through this: {@code y = x·Wᵀ + b}. It is the seam
 * where low-rank adapters plug in (a module is named as PEFT names it, so an adapter for
 * {@code model.layers.0.self_attn.q_proj} finds its layer).
 */
public interface Linear {

    /** The module's path in the checkpoint, without {@code .weight}: {@code model.layers.0.self_attn.q_proj}. */
    String module();

    /** {@code x} [..., in] to [..., out]. */
    NDArray apply(NDArray x);

    int inFeatures();

    int outFeatures();

    /**
     * A dense layer over parameter arrays.
     *
     * @param weight    [out, in] as {@code nn.Linear} stores it, or [in, out] when {@code storedInOut}
     *                  (GPT-2's {@code Conv1D})
     * @param bias      [out], or null
     */
    record Dense(String module, NDArray weight, NDArray bias, boolean storedInOut, int inFeatures, int outFeatures)
            implements Linear {

        @Override
        public NDArray apply(NDArray x) {
            NDArray y = storedInOut ? x.matMul(weight) : ai.djl.nn.core.Linear.linear(x, weight).head();
            return bias == null ? y : y.add(bias);
        }

        /** The weight as [out, in], whatever its storage (a new array when stored [in, out]). */
        public NDArray outInWeight() { return storedInOut ? weight.transpose() : weight; }
    }
}
