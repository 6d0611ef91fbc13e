package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The building blocks both families share, as functions of arrays. Every op keeps an
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

    /** RMSNorm: {@code x / sqrt(mean(x²) + eps) · w}. */
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

    /** SiLU (swish): {@code x · σ(x)}. */
    static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** GELU, tanh approximation (Hugging Face "gelu_new"): {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))}. */
    static NDArray geluTanh(NDArray x) {
        NDArray inner = ScalarOps.mul(x.add(ScalarOps.mul(ScalarOps.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
        return ScalarOps.mul(x.mul(inner.tanh().add(1)), 0.5);
    }

    /** [B, T, heads·headDim] to [B, heads, T, headDim]. */
    static NDArray splitHeads(NDArray x, int heads, int headDim) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    /**
     * Additive attention bias of shape [B|1, 1, 1, T, past+T]: 0 where query t (at cache index
     * past+t) may see key j, i.e. {@code j ≤ past + t} and the key is not padding, else −1e9.
     * Returns null when nothing is masked (one new token, no padding).
     */
    static NDArray attentionBias(NDManager m, long queries, int past, NDArray attentionMask, DataType dtype) {
        if (queries == 1 && attentionMask == null) return null;
        long keys = past + queries;
        NDArray keyIndex = m.arange(0, (int) keys, 1, DataType.INT32).reshape(1, keys);
        NDArray queryIndex = m.arange(past, (int) keys, 1, DataType.INT32).reshape(queries, 1);
        NDArray allowed = keyIndex.lte(queryIndex).toType(dtype, false);
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
     * kernel: {@code softmax(q kᵀ / √d + bias) v}. Query head h reads key/value head
     * {@code h / (heads/kvHeads)} (Hugging Face {@code repeat_kv}); the grouping is a broadcast
     * over a [B, kvHeads, group, ...] view, so keys are never copied.
     *
     * @param q    [B, heads, T, d] in the caller's manager
     * @param k    [B, kvHeads, S, d], possibly owned by a cache
     * @param v    [B, kvHeads, S, d], possibly owned by a cache
     * @param bias from {@link #attentionBias}, or null
     * @return [B, T, heads·d]
     */
    static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias) {
        NDManager m = q.getManager();
        Shape qs = q.getShape();
        long batch = qs.get(0), heads = qs.get(1), queries = qs.get(2), d = qs.get(3);
        long kvHeads = k.getShape().get(1);
        NDArray q5 = ScalarOps.mul(q, 1.0 / Math.sqrt(d)).reshape(batch, kvHeads, heads / kvHeads, queries, d);
        NDArray k5 = own(k.expandDims(2), m);
        NDArray v5 = own(v.expandDims(2), m);
        NDArray scores = q5.matMul(k5.swapAxes(3, 4));
        if (bias != null) scores = scores.add(bias);
        NDArray out = scores.softmax(-1).matMul(v5);
        return out.reshape(batch, heads, queries, d).transpose(0, 2, 1, 3).reshape(batch, queries, heads * d);
    }

    /** Positions for a forward: the given ones, or {@code past + 0..T-1} broadcast over the batch. */
    static NDArray positions(NDManager m, NDArray positions, int past, long queries) {
        if (positions != null) return positions;
        return m.arange(past, past + (int) queries, 1, DataType.INT32).reshape(1, queries);
    }
}
