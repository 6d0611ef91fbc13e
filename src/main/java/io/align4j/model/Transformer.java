package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.nn.core.Embedding;
import io.align4j.model.TransformerWeights.Attention;
import io.align4j.model.TransformerWeights.Block;
import io.align4j.model.TransformerWeights.Mlp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one forward of every family, over weights bound once ({@link TransformerWeights}) and
 * switched by the config's {@link BlockFeatures}. Per block, with n₁, n₂ the block's norms:
 * <pre>
 *   sequential:  h = x + A(n₁(x)),  x' = h + M(n₂(h))          (Llama, Qwen, Mistral, Gemma, Phi-3, GPT-2)
 *   parallel:    x' = x + A(n₁(x)) + M(n₂(x))                  (GPT-NeoX)
 *   sandwich:    h = x + n₁'(A(n₁(x))),  x' = h + n₂'(M(n₂(h))) (Gemma 2)
 *   A(n) = W_o · softmax(cap(s·RoPE(qn(W_q n))·RoPE(kn(W_k n))ᵀ) + mask) · W_v n
 *   M(n) = W_down · (act(W_gate n) ⊙ W_up n)   or   W_down · act(W_up n)
 * </pre>
 * The input is the token embedding (times Gemma's √d, plus GPT-2's learned positions); the
 * output of {@link #hidden} is the final-normed state and {@link #classifier} maps it to logits
 * (with Gemma 2's final soft-capping).
 */
public final class Transformer implements CausalLM {
    private final ModelConfig config;
    private final Map<String, NDArray> params;
    private final TransformerWeights weights;
    private final NDManager manager;
    private final DataType dtype;

    /** Built by {@code Models}, which binds the parameters with the config's family. */
    public Transformer(ModelConfig config, Map<String, NDArray> params, TransformerWeights weights, NDManager manager) {
        this.config = config;
        this.params = params;
        this.weights = weights;
        this.manager = manager;
        this.dtype = weights.tokenEmbedding().getDataType();
    }

    @Override public ModelConfig config() { return config; }
    @Override public Map<String, NDArray> parameters() { return params; }
    @Override public NDManager manager() { return manager; }
    @Override public KvCache newCache() { return new KvCache(manager, config.nLayers()); }
    @Override public void close() { manager.close(); }

    /** The parameters as the forward reads them. */
    public TransformerWeights weights() { return weights; }

    @Override
    public NDArray forward(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
        NDArray logits = classifier(hidden(ids, positions, attentionMask, cache));
        return logits.reshape(new Shape(ids.getShape().get(0), ids.getShape().get(1), config.vocabSize()));
    }

    @Override
    public NDArray classifier(NDArray hidden) {
        NDArray logits = weights.classifier().apply(hidden);
        return Layers.softcap(logits, config.features().finalSoftcap());
    }

    @Override
    public TargetScores targetScores(NDArray hidden, NDArray targets, boolean withEntropy) {
        Linear head = weights.classifier();
        if (!ChunkedLogProbs.applies(head)) return CausalLM.super.targetScores(hidden, targets, withEntropy);
        return ChunkedLogProbs.targetScores((Linear.Dense) head, config.features().finalSoftcap(), hidden, targets, withEntropy);
    }

    @Override
    public NDArray hidden(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache) {
        NDManager m = ids.getManager();
        BlockFeatures f = config.features();
        long queries = ids.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        if (config.rope() == null && positions == null && past + queries > config.maxSeqLen())
            throw new IllegalArgumentException(config.family() + " context is " + config.maxSeqLen()
                    + " positions; asked for " + (past + queries));
        NDArray pos = Layers.positions(m, positions, past, queries);

        NDArray x = Layers.own(Embedding.embedding(ids, weights.tokenEmbedding(), SparseFormat.DENSE).head(), m);
        if (f.embeddingScale() != 1) x = ScalarOps.mul(x, f.embeddingScale());
        if (weights.positionEmbedding() != null)
            x = x.add(Layers.own(Embedding.embedding(pos, weights.positionEmbedding(), SparseFormat.DENSE).head(), m));
        NDArray[] cosSin = config.rope() == null ? null : rotary(pos, positions == null ? past + queries - 1 : -1);
        Map<Integer, NDArray> masks = new HashMap<>();
        for (int window : f.slidingWindows()) masks.computeIfAbsent(window, w -> Layers.attentionBias(m, queries, past, attentionMask, dtype, w));

        List<Block> blocks = weights.blocks();
        if (cache == null && BlockCheckpointing.active() && JniUtils.isGradMode())
            return norm(checkpointedBlocks(x, blocks, cosSin, masks), weights.finalNorm());
        for (int layer = 0; layer < blocks.size(); layer++) {
            Block b = blocks.get(layer);
            NDArray mask = masks.get(f.slidingWindows().get(layer));
            if (cache != null) {
                x = block(x, b, layer, cosSin, mask, cache);
                continue;
            }
            // Without a cache (training and scoring), each block's temporaries are released as soon as the block
            // returns, and its input once the next state exists: the engine's autograd keeps the tensors backward
            // needs, so only what eager PyTorch would also keep stays alive, instead of every temporary of the
            // forward until the step's manager closes.
            NDArray input = x;
            try (NDScope scope = new NDScope()) {
                x = block(input, b, layer, cosSin, mask, null);
                NDScope.unregister(x);
            }
            input.close();
        }
        return norm(x, weights.finalNorm());
    }

    /**
     * The blocks run without recording, keeping each block's input; returns the last state as a
     * leaf that records gradients, and defers the block-wise backward ({@link BlockCheckpointing}).
     */
    private NDArray checkpointedBlocks(NDArray embedded, List<Block> blocks, NDArray[] cosSin, Map<Integer, NDArray> masks) {
        List<Integer> windows = config.features().slidingWindows();
        NDArray[] inputs = new NDArray[blocks.size()];
        NDArray x;
        JniUtils.setGradMode(false);
        try {
            x = embedded.stopGradient();
            for (int layer = 0; layer < blocks.size(); layer++) {
                inputs[layer] = x;
                try (NDScope scope = new NDScope()) {
                    x = block(inputs[layer], blocks.get(layer), layer, cosSin, masks.get(windows.get(layer)), null);
                    NDScope.unregister(x);
                }
            }
        } finally {
            JniUtils.setGradMode(true);
        }
        NDArray last = x;
        last.setRequiresGradient(true);
        BlockCheckpointing.defer(new BlockCheckpointing.Deferred() {
            @Override
            public void run(GradientCollector gc) {
                NDArray g = last.getGradient();
                for (int layer = blocks.size() - 1; layer >= 0; layer--) {
                    NDArray input = inputs[layer];
                    input.setRequiresGradient(true);
                    try (NDScope scope = new NDScope()) {
                        NDArray y = block(input, blocks.get(layer), layer, cosSin, masks.get(windows.get(layer)), null);
                        gc.backward(y.mul(g).sum());
                    }
                    g.close();
                    g = input.getGradient();
                }
                // a frozen embedding (LoRA) has nothing to receive the last gradient
                boolean embeddingsTrain = weights.tokenEmbedding().hasGradient()
                        || weights.positionEmbedding() != null && weights.positionEmbedding().hasGradient();
                if (embeddingsTrain) gc.backward(embedded.mul(g).sum());
                g.close();
                discard();
            }

            @Override
            public void discard() {
                for (NDArray input : inputs) input.close();
                last.close();
            }
        });
        return last;
    }

    private NDArray block(NDArray x, Block b, int layer, NDArray[] cosSin, NDArray mask, KvCache cache) {
        BlockFeatures f = config.features();
        NDArray attended = attention(norm(x, b.attentionNorm()), b.attention(), layer, cosSin, mask, cache);
        if (b.attentionPostNorm() != null) attended = norm(attended, b.attentionPostNorm());
        if (f.parallelResidual()) return x.add(attended).add(mlp(norm(x, b.mlpNorm()), b.mlp()));
        NDArray h = x.add(attended);
        NDArray fed = mlp(norm(h, b.mlpNorm()), b.mlp());
        if (b.mlpPostNorm() != null) fed = norm(fed, b.mlpPostNorm());
        return h.add(fed);
    }

    private NDArray attention(NDArray n, Attention a, int layer, NDArray[] cosSin, NDArray mask, KvCache cache) {
        int heads = config.nHeads(), kvHeads = config.nKvHeads(), d = config.headDim();
        NDArray[] qkv = a.qkv().project(n, heads, kvHeads, d);
        NDArray q = Layers.splitHeads(qkv[0], heads, d);
        NDArray k = Layers.splitHeads(qkv[1], kvHeads, d);
        NDArray v = Layers.splitHeads(qkv[2], kvHeads, d);
        if (a.queryNorm() != null) {
            q = norm(q, a.queryNorm());
            k = norm(k, a.keyNorm());
        }
        if (cosSin != null) {
            q = Layers.rope(q, cosSin, config.rope().rotaryDim());
            k = Layers.rope(k, cosSin, config.rope().rotaryDim());
        }
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        NDArray attended = Layers.attend(q, k, v, mask, config.features().queryScale(), config.features().attentionSoftcap());
        return a.output().apply(attended);
    }

    private NDArray mlp(NDArray n, Mlp mlp) {
        BlockFeatures.Activation act = config.features().activation();
        if (mlp instanceof Mlp.Gated g)
            return g.down().apply(Layers.gatedActivation(g.gate().apply(n), g.up().apply(n), act));
        if (mlp instanceof Mlp.FusedGated g) {
            NDArray gateUp = g.gateUp().apply(n);
            long half = gateUp.getShape().getShape()[gateUp.getShape().dimension() - 1] / 2;
            return g.down().apply(Layers.gatedActivation(gateUp.get("..., :{}", half), gateUp.get("..., {}:", half), act));
        }
        Mlp.Plain p = (Mlp.Plain) mlp;
        return p.down().apply(Layers.gatedActivation(p.up().apply(n), null, act));
    }

    private NDArray norm(NDArray x, TransformerWeights.Norm n) {
        return switch (config.features().norm()) {
            case RMS -> Layers.rmsNorm(x, n.weight(), config.normEps());
            // (1 + w) in the activation's manager, not the model's: a per-call array must not outlive the call
            case RMS_UNIT_OFFSET -> Layers.rmsNorm(x, ScalarOps.constant(x, 1).add(n.weight()), config.normEps());
            case LAYER -> Layers.layerNorm(x, n.weight(), n.bias(), config.normEps());
        };
    }

    /**
     * cos θ and sin θ of shape [B|1, 1, T, rotaryDim], both halves repeated; the largest position
     * is {@code maxPosition}, or read from {@code positions} when negative (only dynamic scaling
     * needs it).
     */
    private NDArray[] rotary(NDArray positions, long maxPosition) {
        Rope rope = config.rope();
        if (rope.dependsOnLength() && maxPosition < 0) maxPosition = positions.max().toType(DataType.INT64, false).getLong();
        NDArray inverse = positions.getManager().create(rope.inverseFrequencies(maxPosition)).toType(dtype, false);
        NDArray angles = positions.toType(dtype, false).expandDims(-1).mul(inverse);
        NDArray cos = angles.cos();
        NDArray sin = angles.sin();
        return new NDArray[] {cos.concat(cos, -1).expandDims(1), sin.concat(sin, -1).expandDims(1)};
    }
}
