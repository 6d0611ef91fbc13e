package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;

/**
 * Qwen3 ({@code Qwen3ForCausalLM}): per-head RMSNorm of queries and keys ({@code q_norm},
 * {@code k_norm}) before the rotary embedding, {@code head_dim} independent of the width (128 by
 * default), {@code attention_bias} on q, k, v and o, Qwen's sliding window.
 */
final class Qwen3Family extends LlamaStyleFamily {
    @Override public String modelType() { return "qwen3"; }
    @Override public String classPrefix() { return "Qwen3"; }
    @Override protected int defaultHeadDim(int dim, int heads) { return 128; }

    @Override
    protected BlockFeatures features(HfConfig f, int layers, int dim, int headDim) {
        boolean bias = f.optionalBoolean("attention_bias", false);
        return llamaFeatures(f, layers, headDim).qkNorm(true).qkvBias(bias).outputBias(bias)
                .slidingWindows(qwenWindows(f, layers)).build();
    }

    @Override
    protected void writeFeatures(ModelConfig c, ObjectNode o) {
        o.put("attention_bias", c.features().qkvBias());
        writeQwenWindows(c, o);
    }
}
