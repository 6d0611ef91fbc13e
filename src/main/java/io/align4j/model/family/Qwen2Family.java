package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;

/**
 * Qwen2 and Qwen2.5 ({@code Qwen2ForCausalLM}): Llama's block with biases on q, k and v (not o),
 * and Qwen's optional sliding window ({@code use_sliding_window}, {@code max_window_layers}).
 */
final class Qwen2Family extends LlamaStyleFamily {
    @Override public String modelType() { return "qwen2"; }
    @Override public String classPrefix() { return "Qwen2"; }

    @Override
    protected BlockFeatures features(HfConfig f, int layers, int dim, int headDim) {
        return llamaFeatures(f, layers, headDim).qkvBias(true).slidingWindows(qwenWindows(f, layers)).build();
    }

    @Override
    protected void writeFeatures(ModelConfig c, ObjectNode o) { writeQwenWindows(c, o); }
}
