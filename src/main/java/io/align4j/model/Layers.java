package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The building blocks every family shares, as functions of arrays. Every op keeps an
 * activation as its first operand so that results belong to the caller's (short-lived)
 * manager and never to the model's or the cache's.
 */
final class Layers {
    /** Additive mask value: exp(-1e9 + s) underflows to exactly 0 in float32 and float64, yet stays finite. */
    private static final double MASKED = -1e9;

    private Layers() {}

    /** Moves {@code x} into {@code owner} when an op placed it elsewhere; returns it. */
    static NDArray own(NDArray x, NDManager owner) {
        if (x.getManager() != owner) x.attach(owner);
        return x;
    }

    /** RMSNorm over the last axis: {@code x / sqrt(mean(x²) + eps) · w}. */
    static NDArray rmsNorm(NDArray x, NDArray w, double eps) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(eps).sqrt()).mul(w);
    }

    /** LayerNorm: {@code (x − mean) / sqrt(var + eps) · w + b}, biased variance as PyTorch uses. */
    static NDArray layerNorm(NDArray x, NDArray w, NDArray b, double eps) {
        NDArray centred = x.sub(x.mean(new int[] {-1}, true));
        NDArray variance = centred.square().mean(new int[] {-1}, true);
        return centred.div(variance.add(eps).sqrt()).mul(w).add(b);
    }

    static NDArray activation(NDArray x, BlockFeatures.Activation a) {
        return switch (a) {
            case SILU -> silu(x);
            case GELU -> geluExact(x);
            case GELU_TANH -> geluTanh(x);
        };
    }

    /**
     * {@code act(gate) ⊙ up}, or {@code act(gate)} when {@code up} is null: the MLP's nonlinearity,
     * with the value {@link #activation}'s ops give. While autograd records, the backward is written
     * out: recording those ops keeps gate, σ(gate) (or erf's or tanh's input), act(gate) and up for
     * the backward, the largest arrays of a block ([.., hidden] each). Here the value is computed
     * without recording, and the gate's gradient is carried by {@code gate ⊙ c − stopgrad(gate ⊙ c)}
     * with the constant {@code c = act'(gate) ⊙ up}, which adds 0 to the value and passes
     * {@code g ⊙ c} to the gate; the product keeps act(gate) for up's gradient. Two such arrays are
     * kept instead of four (one instead of two or three without up). The gradients equal autograd's
     * up to round-off, the order of the products differing.
     */
    static NDArray gatedActivation(NDArray gate, NDArray up, BlockFeatures.Activation a) {
        if (!JniUtils.isGradMode()) {
            NDArray act = activation(gate, a);
            return up == null ? act : act.mul(up);
        }
        NDArray act, slope;
        JniUtils.setGradMode(false);
        try (NDScope scope = new NDScope()) {
            act = activation(gate, a);
            NDArray derivative = activationDerivative(gate, a);
            slope = up == null ? derivative : derivative.mul(up);
            NDScope.unregister(act, slope);
        } finally {
            JniUtils.setGradMode(true);
        }
        // unregistering took them out of every scope: back into the caller's, else they outlive its block
        NDScope.register(act);
        NDScope.register(slope);
        NDArray value = up == null ? act : act.mul(up);
        try (NDArray carrier = gate.mul(slope); NDArray detached = carrier.stopGradient();
             NDArray zero = carrier.sub(detached)) {
            return value.add(zero);
        }
    }

    /** {@code act'(x)}, for {@link #gatedActivation}'s backward. */
    private static NDArray activationDerivative(NDArray x, BlockFeatures.Activation a) {
        return switch (a) {
            // σ(x) (1 + x (1 − σ(x)))
            case SILU -> {
                NDArray sigma = x.getNDArrayInternal().sigmoid();
                yield sigma.mul(x.mul(sigma.neg().add(1)).add(1));
            }
            // Φ(x) + x φ(x) = ½(1 + erf(x/√2)) + x e^{−x²/2} / √(2π)
            case GELU -> ScalarOps.mul(ScalarOps.mul(x, Math.sqrt(0.5)).erf().add(1), 0.5)
                    .add(ScalarOps.div(x.mul(ScalarOps.mul(x.square(), -0.5).exp()), Math.sqrt(2 * Math.PI)));
            // ½(1 + t) + ½ x (1 − t²) √(2/π) (1 + 3·0.044715 x²), t = tanh(√(2/π)(x + 0.044715 x³))
            case GELU_TANH -> {
                double c = Math.sqrt(2 / Math.PI);
                NDArray t = ScalarOps.mul(x.add(ScalarOps.mul(ScalarOps.pow(x, 3), 0.044715)), c).tanh();
                NDArray innerSlope = ScalarOps.mul(ScalarOps.mul(x.square(), 3 * 0.044715).add(1), c);
                yield ScalarOps.mul(t.add(1), 0.5).add(ScalarOps.mul(x.mul(t.square().neg().add(1)).mul(innerSlope), 0.5));
            }
        };
    }

    /** SiLU (swish): {@code x · σ(x)}. */
    static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** GELU, exact: {@code ½x(1 + erf(x/√2))}. */
    static NDArray geluExact(NDArray x) {
        return ScalarOps.mul(x.mul(ScalarOps.mul(x, Math.sqrt(0.5)).erf().add(1)), 0.5);
    }

    /** GELU, tanh approximation (Hugging Face "gelu_new"): {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))}. */
    static NDArray geluTanh(NDArray x) {
        NDArray inner = ScalarOps.mul(x.add(ScalarOps.mul(ScalarOps.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
        return ScalarOps.mul(x.mul(inner.tanh().add(1)), 0.5);
    }

    /** {@code cap · tanh(x / cap)}, or x itself when {@code cap} is not positive. */
    static NDArray softcap(NDArray x, double cap) {
        if (cap <= 0) return x;
        return ScalarOps.mul(ScalarOps.div(x, cap).tanh(), cap);
    }

    /** [B, T, heads·headDim] to [B, heads, T, headDim]. */
    static NDArray splitHeads(NDArray x, int heads, int headDim) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    /**
     * Additive attention bias of shape [B|1, 1, 1, T, past+T]: 0 where query t (at cache index
     * past+t) may see key j, i.e. {@code j ≤ past + t}, {@code j > past + t − window} when
     * {@code window > 0} (transformers' sliding window: the query and the window−1 keys before it),
     * and the key is not padding; else −1e9. Returns null when nothing is masked (one new token,
     * no padding, no window reached).
     */
    static NDArray attentionBias(NDManager m, long queries, int past, NDArray attentionMask, DataType dtype, int window) {
        long keys = past + queries;
        boolean windowBites = window > 0 && keys > window;
        if (queries == 1 && attentionMask == null && !windowBites) return null;
        NDArray keyIndex = m.arange(0, (int) keys, 1, DataType.INT32).reshape(1, keys);
        NDArray queryIndex = m.arange(past, (int) keys, 1, DataType.INT32).reshape(queries, 1);
        NDArray allowed = keyIndex.lte(queryIndex).toType(dtype, false);
        if (windowBites) allowed = allowed.mul(keyIndex.gt(queryIndex.sub(window)).toType(dtype, false));
        if (attentionMask != null) {
            long batch = attentionMask.getShape().get(0);
            allowed = allowed.mul(attentionMask.toType(dtype, false).reshape(batch, 1, keys));
        } else {
            allowed = allowed.reshape(1, queries, keys);
        }
        return ScalarOps.mul(allowed.sub(1), -MASKED).reshape(allowed.getShape().get(0), 1, 1, queries, keys);
    }

    /**
     * Causal multi-head attention with grouped keys/values, written out because DJL has no fused
     * kernel: {@code softmax(cap(scale · q kᵀ) + bias) v}. Query head h reads key/value head
     * {@code h / (heads/kvHeads)} (Hugging Face {@code repeat_kv}); the grouping is a broadcast
     * over a [B, kvHeads, group, ...] view, so keys are never copied.
     *
     * @param q     [B, heads, T, d] in the caller's manager
     * @param k     [B, kvHeads, S, d], possibly owned by a cache
     * @param v     [B, kvHeads, S, d], possibly owned by a cache
     * @param bias  from {@link #attentionBias}, or null
     * @param scale factor on the scores (usually 1/√d)
     * @param cap   soft-capping of the scaled scores, or 0 for none
     * @return [B, T, heads·d]
     */
    static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, double scale, double cap) {
        NDManager m = q.getManager();
        Shape qs = q.getShape();
        long batch = qs.get(0), heads = qs.get(1), queries = qs.get(2), d = qs.get(3);
        long kvHeads = k.getShape().get(1);
        NDArray q5 = ScalarOps.mul(q, scale).reshape(batch, kvHeads, heads / kvHeads, queries, d);
        NDArray k5 = own(k.expandDims(2), m);
        NDArray v5 = own(v.expandDims(2), m);
        NDArray scores = softcap(q5.matMul(k5.swapAxes(3, 4)), cap);
        if (bias != null) scores = scores.add(bias);
        NDArray out = scores.softmax(-1).matMul(v5);
        return out.reshape(batch, heads, queries, d).transpose(0, 2, 1, 3).reshape(batch, queries, heads * d);
    }

    /**
     * Rotate-half RoPE on the first {@code rotaryDim} components of each head of x [B, heads, T, d]
     * ({@code cosSin} [B|1, 1, T, rotaryDim]); the rest pass through.
     */
    static NDArray rope(NDArray x, NDArray[] cosSin, int rotaryDim) {
        long d = x.getShape().get(3);
        NDArray rotating = rotaryDim == d ? x : x.get("..., :{}", rotaryDim);
        long half = rotaryDim / 2;
        NDArray first = rotating.get("..., :{}", half);
        NDArray second = rotating.get("..., {}:", half);
        NDArray rotated = second.neg().concat(first, -1);
        NDArray out = rotating.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
        return rotaryDim == d ? out : out.concat(x.get("..., {}:", rotaryDim), -1);
    }

    /** Positions for a forward: the given ones, or {@code past + 0..T-1} broadcast over the batch. */
    static NDArray positions(NDManager m, NDArray positions, int past, long queries) {
        if (positions != null) return positions;
        return m.arange(past, past + (int) queries, 1, DataType.INT32).reshape(1, queries);
    }
}
