package io.align4j.bench;

import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;
import io.align4j.model.Rope;
import io.align4j.util.UserError;

/** The model shapes the benchmark knows: llama2.c's stories configurations and the real shapes users align. */
public final class BenchModels {
    private BenchModels() {}

    /** Names {@link #byName} accepts. */
    public static final String NAMES = "260K, 15M, 110M, smollm2-135M, qwen2.5-0.5B or pythia-160M";

    /**
     * {@code 260K}: dim 64, 5 layers, 8 heads (4 key/value), hidden 172, vocab 512, context 512;
     * {@code 15M}: dim 288, 6 layers, 6 heads, hidden 768, vocab 32,000, context 256;
     * {@code 110M}: dim 768, 12 layers, 12 heads, hidden 2048, vocab 32,000, context 1024
     * (all tie the classifier to the embedding, as llama2.c's checkpoints do);
     * {@code smollm2-135M}: Llama, dim 576, 30 layers, 9 heads (3 key/value), hidden 1536, vocab
     * 49,152, tied, rope θ 1e5; {@code qwen2.5-0.5B}: Qwen2, dim 896, 24 layers, 14 heads (2
     * key/value), hidden 4864, vocab 151,936, tied, q/k/v biases, rope θ 1e6;
     * {@code pythia-160M}: GPT-NeoX, dim 768, 12 layers, 12 heads, hidden 3072, vocab 50,304,
     * rotary on 25% of each head, parallel residual, untied. Their configs as the published
     * {@code config.json} files give them.
     */
    public static ModelConfig byName(String name) {
        return switch (name) {
            case "260K" -> llama2c(64, 172, 5, 8, 4, 512, 512);
            case "15M" -> llama2c(288, 768, 6, 6, 6, 32000, 256);
            case "110M" -> llama2c(768, 2048, 12, 12, 12, 32000, 1024);
            case "smollm2-135M" -> ModelConfig.llama(576, 1536, 30, 9, 3, 49152, 8192, 1e-5, 100000, true, 0, 0);
            case "qwen2.5-0.5B" -> {
                ModelConfig c = ModelConfig.llama(896, 4864, 24, 14, 2, 151936, 32768, 1e-6, 1000000, true, 151643, 151643);
                yield new ModelConfig("qwen2", c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headDim(),
                        c.vocabSize(), c.maxSeqLen(), c.normEps(), c.rope(), true, c.bosId(), c.eosId(),
                        c.features().toBuilder().qkvBias(true).build());
            }
            case "pythia-160M" -> {
                int layers = 12, headDim = 64;
                BlockFeatures f = BlockFeatures.llama(layers, headDim).toBuilder().norm(BlockFeatures.Norm.LAYER)
                        .activation(BlockFeatures.Activation.GELU).gatedMlp(false).qkvBias(true).outputBias(true)
                        .mlpBias(true).parallelResidual(true).build();
                yield new ModelConfig("gpt_neox", 768, 3072, layers, 12, 12, headDim, 50304, 2048, 1e-5,
                        new Rope(10000, headDim / 4, null), false, 0, 0, f);
            }
            default -> throw new UserError("--config: unknown model configuration '" + name + "'; expected " + NAMES);
        };
    }

    private static ModelConfig llama2c(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int context) {
        return ModelConfig.llama(dim, hidden, layers, heads, kvHeads, vocab, context, 1e-5, 10000, true, 1, 2);
    }
}
