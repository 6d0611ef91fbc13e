package io.align4j.model;

import java.util.Objects;

/**
 * Hyper-parameters of a decoder-only causal LM, for every family. The family (the Hugging Face
 * {@code model_type}, see {@link io.align4j.model.family.Families}) names the checkpoint layout
 * and the config mapping; everything that changes the computation is a field here or in
 * {@link BlockFeatures}, so one forward ({@link Transformer}) serves all families.
 *
 * @param family         Hugging Face {@code model_type}: {@code llama}, {@code qwen2}, {@code gpt2}, ...
 * @param dim            model width ({@code hidden_size})
 * @param hiddenDim      feed-forward width ({@code intermediate_size})
 * @param nLayers        transformer blocks
 * @param nHeads         query heads
 * @param nKvHeads       key/value heads (grouped-query attention when fewer than nHeads)
 * @param headDim        width of one head; {@code dim / nHeads} unless the family decouples it (Qwen3, Gemma)
 * @param vocabSize      vocabulary size
 * @param maxSeqLen      context length ({@code max_position_embeddings})
 * @param normEps        epsilon of RMSNorm / LayerNorm
 * @param rope           rotary position embedding, or null for learned absolute positions (GPT-2)
 * @param tiedEmbeddings classifier shares the token embedding
 * @param bosId          beginning-of-sequence token id, or -1
 * @param eosId          end-of-sequence token id, or -1
 * @param features       the block's building blocks (norm, activation, biases, windows, soft-capping, ...)
 */
public record ModelConfig(
        String family,
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int headDim,
        int vocabSize,
        int maxSeqLen,
        double normEps,
        Rope rope,
        boolean tiedEmbeddings,
        int bosId,
        int eosId,
        BlockFeatures features) {

    public ModelConfig {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(features, "features");
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || headDim <= 0 || vocabSize <= 0 || maxSeqLen <= 0)
            throw new IllegalArgumentException("model sizes must be positive: " + this);
        if (nKvHeads <= 0 || nHeads % nKvHeads != 0)
            throw new IllegalArgumentException("heads " + nHeads + " not a multiple of kv heads " + nKvHeads);
        if (rope != null && (rope.rotaryDim() <= 0 || rope.rotaryDim() > headDim || rope.rotaryDim() % 2 != 0))
            throw new IllegalArgumentException("rotary width " + rope.rotaryDim() + " must be even and at most head_dim " + headDim);
        if (features.slidingWindows().size() != nLayers)
            throw new IllegalArgumentException(features.slidingWindows().size() + " sliding windows for " + nLayers + " layers");
    }

    /**
     * A Llama ({@code LlamaForCausalLM}) config: RMSNorm, rotary on the whole head, SwiGLU, no
     * biases, {@code headDim = dim / nHeads}.
     */
    public static ModelConfig llama(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                                    int maxSeqLen, double normEps, double ropeTheta, boolean tiedEmbeddings,
                                    int bosId, int eosId) {
        if (dim % nHeads != 0) throw new IllegalArgumentException("dim " + dim + " not divisible by heads " + nHeads);
        int headDim = dim / nHeads;
        return new ModelConfig("llama", dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, maxSeqLen, normEps,
                Rope.plain(ropeTheta, headDim), tiedEmbeddings, bosId, eosId, BlockFeatures.llama(nLayers, headDim));
    }

    /** A GPT-2 ({@code GPT2LMHeadModel}) config: learned positions, LayerNorm, tanh GELU, biases, tied classifier. */
    public static ModelConfig gpt2(int dim, int hiddenDim, int nLayers, int nHeads, int vocabSize, int maxSeqLen,
                                   double normEps, int bosId, int eosId) {
        if (dim % nHeads != 0) throw new IllegalArgumentException("dim " + dim + " not divisible by heads " + nHeads);
        int headDim = dim / nHeads;
        return new ModelConfig("gpt2", dim, hiddenDim, nLayers, nHeads, nHeads, headDim, vocabSize, maxSeqLen, normEps,
                null, true, bosId, eosId, BlockFeatures.gpt2(nLayers, headDim));
    }

    /** Width of all query heads together, {@code nHeads · headDim} (equal to dim unless the family decouples it). */
    public int queryDim() { return nHeads * headDim; }

    /** Width of all key (or value) heads together, {@code nKvHeads · headDim}. */
    public int kvDim() { return nKvHeads * headDim; }

}
