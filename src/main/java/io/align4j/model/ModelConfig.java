package io.align4j.model;

/**
 * Hyper-parameters of a causal LM. One record for both families; fields a family does not use
 * keep their default (GPT-2 ignores {@code ropeTheta} and {@code nKvHeads == nHeads}).
 *
 * @param arch           LLAMA (RMSNorm, rotary, SwiGLU, grouped-query attention) or GPT2
 *                       (learned positions, LayerNorm, GELU-tanh, tied classifier)
 * @param dim            model width
 * @param hiddenDim      feed-forward width
 * @param nLayers        transformer blocks
 * @param nHeads         query heads
 * @param nKvHeads       key/value heads (grouped-query attention when fewer than nHeads)
 * @param vocabSize      vocabulary size
 * @param maxSeqLen      context length
 * @param normEps        epsilon of RMSNorm / LayerNorm
 * @param ropeTheta      rotary base (Llama)
 * @param tiedEmbeddings classifier shares the token embedding
 * @param bosId          beginning-of-sequence token id, or -1
 * @param eosId          end-of-sequence token id, or -1
 */
public record ModelConfig(
        Arch arch,
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int vocabSize,
        int maxSeqLen,
        double normEps,
        double ropeTheta,
        boolean tiedEmbeddings,
        int bosId,
        int eosId) {

    public enum Arch { LLAMA, GPT2 }

    public ModelConfig {
        if (dim <= 0 || nLayers <= 0 || nHeads <= 0 || vocabSize <= 0 || maxSeqLen <= 0)
            throw new IllegalArgumentException("model sizes must be positive: " + this);
        if (dim % nHeads != 0) throw new IllegalArgumentException("dim " + dim + " not divisible by heads " + nHeads);
        if (nKvHeads <= 0 || nHeads % nKvHeads != 0)
            throw new IllegalArgumentException("heads " + nHeads + " not a multiple of kv heads " + nKvHeads);
    }

    public int headDim() { return dim / nHeads; }
}
