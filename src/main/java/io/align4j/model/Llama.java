package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import java.util.Map;

/**
 * Llama ({@code LlamaForCausalLM}) as a function of its named parameters. Per block:
 * <pre>
 *   h = x + W_o · Attention(RoPE(W_q · n), RoPE(W_k · n), W_v · n),   n = RMSNorm(x)
 *   x' = h + W_down · (SiLU(W_gate · m) ⊙ (W_up · m)),                 m = RMSNorm(h)
 * </pre>
 * Rotary embeddings use the rotate-half convention of Hugging Face checkpoints: for a head
 * vector split into halves (x₁, x₂), {@code RoPE(x) = x·cos θ + (−x₂, x₁)·sin θ} with
 * {@code θ_i = pos · ropeTheta^(−2i/d)} repeated over both halves.
 */
public final class Llama implements CausalLM {
    private final ModelConfig config;
    private final Map<String, NDArray> params;
    private final NDManager manager;
    private final DataType dtype;
    /** ropeTheta^(−2i/d) for i < d/2, in the parameters' dtype. */
    private final NDArray inverseFrequencies;

    Llama(ModelConfig config, Map<String, NDArray> params, NDManager manager) {
        this.config = config;
        this.params = params;
        this.manager = manager;
        this.dtype = params.get("model.embed_tokens.weight").getDataType();
        int half = config.headDim() / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) inv[i] = Math.pow(config.ropeTheta(), -2.0 * i / config.headDim());
        NDArray frequencies = manager.create(inv).toType(dtype, false);
        this.inverseFrequencies = frequencies;
    }

    @Override public ModelConfig config() { return config; }
    @Override public Map<String, NDArray> parameters() { return params; }
    @Override public NDManager manager() { return manager; }
    @Override public KvCache newCache() { return new KvCache(manager, config.nLayers()); }
    @Override public void close() { manager.close(); }

    @Override
    public NDArray forward(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
        NDArray logits = classifier(hidden(ids, positions, attentionMask, cache));
        return logits.reshape(new Shape(ids.getShape().get(0), ids.getShape().get(1), config.vocabSize()));
    }

    @Override
    public NDArray classifier(NDArray hidden) {
        return linear(hidden, config.tiedEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
    }

    @Override
    public NDArray hidden(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
        NDManager m = ids.getManager();
        long queries = ids.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        int heads = config.nHeads(), kvHeads = config.nKvHeads(), d = config.headDim();
        double eps = config.normEps();

        NDArray[] cosSin = rotary(Layers.positions(m, positions, past, queries));
        NDArray bias = Layers.attentionBias(m, queries, past, attentionMask, dtype);
        NDArray x = Layers.own(Embedding.embedding(ids, p("model.embed_tokens.weight"), SparseFormat.DENSE).head(), m);
        for (int layer = 0; layer < config.nLayers(); layer++) {
            String l = "model.layers." + layer + ".";
            NDArray n = Layers.rmsNorm(x, p(l + "input_layernorm.weight"), eps);
            NDArray q = rope(Layers.splitHeads(linear(n, l + "self_attn.q_proj.weight"), heads, d), cosSin);
            NDArray k = rope(Layers.splitHeads(linear(n, l + "self_attn.k_proj.weight"), kvHeads, d), cosSin);
            NDArray v = Layers.splitHeads(linear(n, l + "self_attn.v_proj.weight"), kvHeads, d);
            if (cache != null) {
                NDArray[] kv = cache.append(layer, k, v);
                k = kv[0];
                v = kv[1];
            }
            x = x.add(linear(Layers.attend(q, k, v, bias), l + "self_attn.o_proj.weight"));
            NDArray h = Layers.rmsNorm(x, p(l + "post_attention_layernorm.weight"), eps);
            NDArray gated = Layers.silu(linear(h, l + "mlp.gate_proj.weight")).mul(linear(h, l + "mlp.up_proj.weight"));
            x = x.add(linear(gated, l + "mlp.down_proj.weight"));
        }
        return Layers.rmsNorm(x, p("model.norm.weight"), eps);
    }

    private NDArray p(String name) { return params.get(name); }

    /** {@code x · Wᵀ} for a weight stored [out, in]. */
    private NDArray linear(NDArray x, String weight) {
        return Linear.linear(x, p(weight)).head();
    }

    /** cos θ and sin θ of shape [B|1, 1, T, d], both halves repeated. */
    private NDArray[] rotary(NDArray positions) {
        NDArray angles = positions.toType(dtype, false).expandDims(-1).mul(inverseFrequencies);
        NDArray cos = angles.cos();
        NDArray sin = angles.sin();
        return new NDArray[] {cos.concat(cos, -1).expandDims(1), sin.concat(sin, -1).expandDims(1)};
    }

    /** Rotate-half RoPE on [B, heads, T, d]. */
    private static NDArray rope(NDArray x, NDArray[] cosSin) {
        long half = x.getShape().get(3) / 2;
        NDArray first = x.get("..., :{}", half);
        NDArray second = x.get("..., {}:", half);
        NDArray rotated = second.neg().concat(first, -1);
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }
}
