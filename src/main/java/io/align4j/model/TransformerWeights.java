package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A model's parameters bound once into typed per-layer fields (the family decides which
 * checkpoint tensor fills which field, {@link io.align4j.model.family.Family#bind}); the forward
 * reads these and never looks a name up. Shapes: B batch, T tokens, d model width, H query
 * heads, K key/value heads, h head width.
 *
 * @param tokenEmbedding    [vocab, d]
 * @param positionEmbedding [maxSeqLen, d] learned absolute positions (GPT-2), or null
 * @param blocks            one per layer
 * @param finalNorm         applied to the last block's output
 * @param classifier        hidden [.., d] to logits [.., vocab] (over the token embedding when tied)
 */
public record TransformerWeights(NDArray tokenEmbedding, NDArray positionEmbedding, List<Block> blocks, Norm finalNorm,
                                 Linear classifier) {

    /** The same weights with every linear layer of the blocks replaced by {@code f} of it (the classifier is kept). */
    public TransformerWeights mapLinears(UnaryOperator<Linear> f) {
        List<Block> mapped = new ArrayList<>();
        for (Block b : blocks) {
            Attention a = b.attention();
            Attention attention = new Attention(a.qkv().map(f), a.queryNorm(), a.keyNorm(), f.apply(a.output()));
            mapped.add(new Block(b.attentionNorm(), attention, b.attentionPostNorm(), b.mlpNorm(), b.mlp().map(f), b.mlpPostNorm()));
        }
        return new TransformerWeights(tokenEmbedding, positionEmbedding, mapped, finalNorm, classifier);
    }

    /** Every linear layer of the blocks, in order. */
    public List<Linear> blockLinears() {
        List<Linear> all = new ArrayList<>();
        mapLinears(l -> { all.add(l); return l; });
        return all;
    }

    /**
     * One block: {@code attentionNorm} before attention, {@code mlpNorm} before the MLP, and,
     * with sandwich norms (Gemma 2), {@code attentionPostNorm} / {@code mlpPostNorm} on each
     * sub-layer's output (null otherwise).
     */
    public record Block(Norm attentionNorm, Attention attention, Norm attentionPostNorm, Norm mlpNorm, Mlp mlp,
                        Norm mlpPostNorm) {}

    /** A norm's weight [n] and, for LayerNorm, its bias [n] (null for RMSNorm). */
    public record Norm(NDArray weight, NDArray bias) {}

    /**
     * Attention: queries, keys and values from {@code qkv}; per-head q/k norms [h] (Qwen3) or
     * null; the output projection [H·h → d].
     */
    public record Attention(QkvProjection qkv, Norm queryNorm, Norm keyNorm, Linear output) {}

    /** How a family stores its query, key and value projections. */
    public sealed interface QkvProjection {
        /** q [B, T, H·h], k and v [B, T, K·h] from the normed input. */
        NDArray[] project(NDArray x, int heads, int kvHeads, int headDim);

        /** The same projection over {@code f} of each of its layers. */
        QkvProjection map(UnaryOperator<Linear> f);

        /** Three layers: {@code q_proj}, {@code k_proj}, {@code v_proj}. */
        record Separate(Linear q, Linear k, Linear v) implements QkvProjection {
            @Override
            public QkvProjection map(UnaryOperator<Linear> f) { return new Separate(f.apply(q), f.apply(k), f.apply(v)); }

            @Override
            public NDArray[] project(NDArray x, int heads, int kvHeads, int headDim) {
                return new NDArray[] {q.apply(x), k.apply(x), v.apply(x)};
            }
        }

        /** One layer whose outputs are [q; k; v] (Phi-3's {@code qkv_proj}, GPT-2's {@code c_attn}). */
        record Fused(Linear qkv) implements QkvProjection {
            @Override
            public QkvProjection map(UnaryOperator<Linear> f) { return new Fused(f.apply(qkv)); }

            @Override
            public NDArray[] project(NDArray x, int heads, int kvHeads, int headDim) {
                long q = (long) heads * headDim, kv = (long) kvHeads * headDim;
                NDArray y = qkv.apply(x);
                NDList parts = y.split(new long[] {q, q + kv}, y.getShape().dimension() - 1);
                return new NDArray[] {parts.get(0), parts.get(1), parts.get(2)};
            }
        }

        /** One layer whose outputs are, head by head, [q_h; k_h; v_h] (GPT-NeoX's {@code query_key_value}). */
        record FusedPerHead(Linear qkv) implements QkvProjection {
            @Override
            public QkvProjection map(UnaryOperator<Linear> f) { return new FusedPerHead(f.apply(qkv)); }

            @Override
            public NDArray[] project(NDArray x, int heads, int kvHeads, int headDim) {
                NDArray y = qkv.apply(x);
                Shape s = y.getShape();
                NDList parts = y.reshape(s.get(0), s.get(1), heads, 3 * headDim).split(3, 3);
                long width = (long) heads * headDim;
                return new NDArray[] {parts.get(0).reshape(s.get(0), s.get(1), width),
                        parts.get(1).reshape(s.get(0), s.get(1), width), parts.get(2).reshape(s.get(0), s.get(1), width)};
            }
        }
    }

    /** How a family stores its feed-forward network. */
    public sealed interface Mlp {
        /** The same network over {@code f} of each of its layers. */
        Mlp map(UnaryOperator<Linear> f);

        /** Three layers: {@code down(act(gate(x)) ⊙ up(x))} (SwiGLU, GeGLU). */
        record Gated(Linear gate, Linear up, Linear down) implements Mlp {
            @Override
            public Mlp map(UnaryOperator<Linear> f) { return new Gated(f.apply(gate), f.apply(up), f.apply(down)); }
        }

        /** Gate and up in one layer, gate first (Phi-3's {@code gate_up_proj}). */
        record FusedGated(Linear gateUp, Linear down) implements Mlp {
            @Override
            public Mlp map(UnaryOperator<Linear> f) { return new FusedGated(f.apply(gateUp), f.apply(down)); }
        }

        /** {@code down(act(up(x)))} (GPT-2, GPT-NeoX). */
        record Plain(Linear up, Linear down) implements Mlp {
            @Override
            public Mlp map(UnaryOperator<Linear> f) { return new Plain(f.apply(up), f.apply(down)); }
        }
    }
}
