package io.align4j.bench;

import io.align4j.model.ModelConfig;
import io.align4j.util.UserError;

/** The model shapes the benchmark knows: llama2.c's stories configurations. */
public final class BenchModels {
    private BenchModels() {}

    /**
     * {@code 260K}: dim 64, 5 layers, 8 heads (4 key/value), hidden 172, vocab 512, context 512;
     * {@code 15M}: dim 288, 6 layers, 6 heads, hidden 768, vocab 32,000, context 256;
     * {@code 110M}: dim 768, 12 layers, 12 heads, hidden 2048, vocab 32,000, context 1024.
     * All tie the classifier to the embedding, as llama2.c's checkpoints do.
     */
    public static ModelConfig llama2c(String name) {
        return switch (name) {
            case "260K" -> config(64, 172, 5, 8, 4, 512, 512);
            case "15M" -> config(288, 768, 6, 6, 6, 32000, 256);
            case "110M" -> config(768, 2048, 12, 12, 12, 32000, 1024);
            default -> throw new UserError("--config: unknown model configuration '" + name + "'; expected 260K, 15M or 110M");
        };
    }

    private static ModelConfig config(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int context) {
        return new ModelConfig(ModelConfig.Arch.LLAMA, dim, hidden, layers, heads, kvHeads, vocab, context, 1e-5, 10000, true, 1, 2);
    }
}
