package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import java.util.Map;

/**
 * GPT-2 ({@code GPT2LMHeadModel}) as a function of its named parameters. Per block:
 * <pre>
 *   h = x + Attention(LN₁(x) · W_attn + b_attn) · W_proj + b_proj
 *   x' = h + GELU_tanh(LN₂(h) · W_fc + b_fc) · W_out + b_out
 * </pre>
 * with the input {@code wte[id] + wpe[position]} and the classifier tied to {@code wte}. The
 * {@code Conv1D} weights are stored [in, out], so activations multiply them untransposed.
 */
public final class Gpt2 implements CausalLM {
    private final ModelConfig config;
    private final Map<String, NDArray> params;
    private final NDManager manager;
    private final DataType dtype;

    Gpt2(ModelConfig config, Map<String, NDArray> params, NDManager manager) {
        this.config = config;
        this.params = params;
        this.manager = manager;
        this.dtype = params.get("transformer.wte.weight").getDataType();
    }

    @Override public ModelConfig config() { return config; }
    @Override public Map<String, NDArray> parameters() { return params; }
    @Override public NDManager manager() { return manager; }
    @Override public KvCache newCache() { return new KvCache(manager, config.nLayers()); }
    @Override public void close() { manager.close(); }

    @Override
    public NDArray forward(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
        return classifier(hidden(ids, positions, attentionMask, cache));
    }

    @Override
    public NDArray classifier(NDArray hidden) {
        return Linear.linear(hidden, p("transformer.wte.weight")).head();
    }

    @Override
    public NDArray hidden(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
        NDManager m = ids.getManager();
        long queries = ids.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        if (positions == null && past + queries > config.maxSeqLen())
            throw new IllegalArgumentException("GPT-2 context is " + config.maxSeqLen() + " positions; asked for " + (past + queries));
        int heads = config.nHeads(), d = config.headDim();
        double eps = config.normEps();

        NDArray pos = Layers.positions(m, positions, past, queries);
        NDArray bias = Layers.attentionBias(m, queries, past, attentionMask, dtype);
        NDArray x = Layers.own(Embedding.embedding(ids, p("transformer.wte.weight"), SparseFormat.DENSE).head(), m);
        NDArray positional = Layers.own(Embedding.embedding(pos, p("transformer.wpe.weight"), SparseFormat.DENSE).head(), m);
        x = x.add(positional);
        for (int layer = 0; layer < config.nLayers(); layer++) {
            String l = "transformer.h." + layer + ".";
            NDArray n = Layers.layerNorm(x, p(l + "ln_1.weight"), p(l + "ln_1.bias"), eps);
            NDList qkv = conv1d(n, l + "attn.c_attn").split(3, 2);
            NDArray q = Layers.splitHeads(qkv.get(0), heads, d);
            NDArray k = Layers.splitHeads(qkv.get(1), heads, d);
            NDArray v = Layers.splitHeads(qkv.get(2), heads, d);
            if (cache != null) {
                NDArray[] kv = cache.append(layer, k, v);
                k = kv[0];
                v = kv[1];
            }
            x = x.add(conv1d(Layers.attend(q, k, v, bias), l + "attn.c_proj"));
            NDArray h = Layers.layerNorm(x, p(l + "ln_2.weight"), p(l + "ln_2.bias"), eps);
            x = x.add(conv1d(Layers.geluTanh(conv1d(h, l + "mlp.c_fc")), l + "mlp.c_proj"));
        }
        return Layers.layerNorm(x, p("transformer.ln_f.weight"), p("transformer.ln_f.bias"), eps);
    }

    private NDArray p(String name) { return params.get(name); }

    /** Hugging Face {@code Conv1D}: {@code x · W + b} with W stored [in, out]. */
    private NDArray conv1d(NDArray x, String prefix) {
        return x.matMul(p(prefix + ".weight")).add(p(prefix + ".bias"));
    }
}
