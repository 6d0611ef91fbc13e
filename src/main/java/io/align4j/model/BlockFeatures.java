package io.align4j.model;

import java.util.List;

/**
 * What a family's transformer block is made of, as parameters of the shared building blocks
 * of {@link Transformer} rather than a copy of the block per family.
 *
 * @param norm              RMSNorm ({@code x/rms·w}), Gemma's RMSNorm with the {@code 1 + w} offset, or LayerNorm with a bias
 * @param activation        the MLP's non-linearity
 * @param gatedMlp          {@code down(act(gate(x)) ⊙ up(x))} (SwiGLU, GeGLU) rather than {@code down(act(up(x)))}
 * @param qkvBias           the query, key and value projections have biases (Qwen2, GPT-2, GPT-NeoX, Llama's {@code attention_bias})
 * @param outputBias        the attention output projection has a bias
 * @param mlpBias           the MLP projections have biases
 * @param qkNorm            per-head RMSNorm of queries and keys before the rotary embedding (Qwen3)
 * @param parallelResidual  {@code x + attn(n₁(x)) + mlp(n₂(x))} (GPT-NeoX) rather than two sequential residual steps
 * @param sandwichNorms     norms after the attention and after the MLP too, before each residual add (Gemma 2)
 * @param embeddingScale    factor on the token embeddings (Gemma: √dim), 1 otherwise
 * @param queryScale        factor on {@code q·k} (1/√headDim, or Gemma 2's 1/√query_pre_attn_scalar)
 * @param slidingWindows    per layer, the number of most recent keys a query may see (itself included), 0 for all
 * @param attentionSoftcap  attention scores pass through {@code c·tanh(s/c)} when positive (Gemma 2)
 * @param finalSoftcap      logits pass through {@code c·tanh(z/c)} when positive (Gemma 2)
 */
public record BlockFeatures(
        Norm norm,
        Activation activation,
        boolean gatedMlp,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        boolean qkNorm,
        boolean parallelResidual,
        boolean sandwichNorms,
        double embeddingScale,
        double queryScale,
        List<Integer> slidingWindows,
        double attentionSoftcap,
        double finalSoftcap) {

    public enum Norm { RMS, RMS_UNIT_OFFSET, LAYER }

    /** The MLP non-linearity, with the Hugging Face {@code hidden_act} names that select it. */
    public enum Activation {
        /** {@code x·σ(x)}: {@code silu}, {@code swish}. */
        SILU("silu", "swish"),
        /** Exact {@code ½x(1 + erf(x/√2))}: {@code gelu}. */
        GELU("gelu"),
        /** {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))}: {@code gelu_new}, {@code gelu_pytorch_tanh}. */
        GELU_TANH("gelu_pytorch_tanh", "gelu_new");

        private final List<String> hfNames;

        Activation(String... hfNames) { this.hfNames = List.of(hfNames); }

        /** The name written to {@code config.json}. */
        public String hfName() { return hfNames.get(0); }

        /** The activation a {@code hidden_act} value selects, or null when none does. */
        public static Activation ofHfName(String name) {
            for (Activation a : values()) if (a.hfNames.contains(name)) return a;
            return null;
        }
    }

    public BlockFeatures {
        slidingWindows = List.copyOf(slidingWindows);
        for (int w : slidingWindows) if (w < 0) throw new IllegalArgumentException("negative sliding window " + w);
    }

    /** Llama's block: RMSNorm, SwiGLU, no biases, full attention. */
    public static BlockFeatures llama(int layers, int headDim) {
        return new BlockFeatures(Norm.RMS, Activation.SILU, true, false, false, false, false, false, false, 1,
                1 / Math.sqrt(headDim), fullAttention(layers), 0, 0);
    }

    /** GPT-2's block: LayerNorm, tanh GELU, biases everywhere. */
    public static BlockFeatures gpt2(int layers, int headDim) {
        return new BlockFeatures(Norm.LAYER, Activation.GELU_TANH, false, true, true, true, false, false, false, 1,
                1 / Math.sqrt(headDim), fullAttention(layers), 0, 0);
    }

    /** A builder starting from these features. */
    public Builder toBuilder() { return new Builder(this); }

    /** Sets the features a family changes, starting from another family's. */
    public static final class Builder {
        private Norm norm;
        private Activation activation;
        private boolean gatedMlp, qkvBias, outputBias, mlpBias, qkNorm, parallelResidual, sandwichNorms;
        private double embeddingScale, queryScale, attentionSoftcap, finalSoftcap;
        private List<Integer> slidingWindows;

        private Builder(BlockFeatures f) {
            norm = f.norm; activation = f.activation; gatedMlp = f.gatedMlp; qkvBias = f.qkvBias; outputBias = f.outputBias;
            mlpBias = f.mlpBias; qkNorm = f.qkNorm; parallelResidual = f.parallelResidual; sandwichNorms = f.sandwichNorms;
            embeddingScale = f.embeddingScale; queryScale = f.queryScale; slidingWindows = f.slidingWindows;
            attentionSoftcap = f.attentionSoftcap; finalSoftcap = f.finalSoftcap;
        }

        public Builder norm(Norm v) { norm = v; return this; }
        public Builder activation(Activation v) { activation = v; return this; }
        public Builder gatedMlp(boolean v) { gatedMlp = v; return this; }
        public Builder qkvBias(boolean v) { qkvBias = v; return this; }
        public Builder outputBias(boolean v) { outputBias = v; return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        public Builder qkNorm(boolean v) { qkNorm = v; return this; }
        public Builder parallelResidual(boolean v) { parallelResidual = v; return this; }
        public Builder sandwichNorms(boolean v) { sandwichNorms = v; return this; }
        public Builder embeddingScale(double v) { embeddingScale = v; return this; }
        public Builder queryScale(double v) { queryScale = v; return this; }
        public Builder slidingWindows(List<Integer> v) { slidingWindows = v; return this; }
        public Builder attentionSoftcap(double v) { attentionSoftcap = v; return this; }
        public Builder finalSoftcap(double v) { finalSoftcap = v; return this; }

        public BlockFeatures build() {
            return new BlockFeatures(norm, activation, gatedMlp, qkvBias, outputBias, mlpBias, qkNorm, parallelResidual,
                    sandwichNorms, embeddingScale, queryScale, slidingWindows, attentionSoftcap, finalSoftcap);
        }
    }

    /** Every one of {@code layers} layers attending to all earlier positions. */
    public static List<Integer> fullAttention(int layers) { return java.util.Collections.nCopies(layers, 0); }
}
