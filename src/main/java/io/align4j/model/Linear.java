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

    /** The bias [out], or null. */
    NDArray bias();

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
    }

    /**
     * A frozen dense layer plus a low-rank update (LoRA, Hu et al. 2021, as PEFT implements it):
     * {@code y = base(x) + s · B(A(dropout(x)))} with A [r, in], B [out, r] and s = α/r. Dropout
     * acts only while gradients are recorded (training), drawing from the engine's generator,
     * which the training loop seeds per step.
     */
    record LowRank(Dense base, NDArray a, NDArray b, double scaling, float dropout) implements Linear {
        @Override public String module() { return base.module(); }
        @Override public int inFeatures() { return base.inFeatures(); }
        @Override public int outFeatures() { return base.outFeatures(); }
        @Override public NDArray bias() { return base.bias(); }

        @Override
        public NDArray apply(NDArray x) {
            NDArray input = dropout > 0 && ai.djl.pytorch.jni.JniUtils.isGradMode()
                    ? ai.djl.nn.norm.Dropout.dropout(x, dropout, true).head() : x;
            NDArray update = ai.djl.nn.core.Linear.linear(ai.djl.nn.core.Linear.linear(input, a).head(), b).head();
            return base.apply(x).add(ScalarOps.mul(update, scaling));
        }
    }
}
