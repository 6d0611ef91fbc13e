package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;

/**
 * Llama ({@code LlamaForCausalLM}: Llama 2 and 3.x, SmolLM2, TinyLlama): RMSNorm, SwiGLU,
 * grouped-query attention, {@code rope_scaling} of type {@code linear}, {@code dynamic} or
 * {@code llama3}; {@code attention_bias} puts biases on q, k, v and o, {@code mlp_bias} on the MLP.
 */
final class LlamaFamily extends LlamaStyleFamily {
    @Override public String modelType() { return "llama"; }
    @Override public String classPrefix() { return "Llama"; }

    @Override
    protected BlockFeatures features(HfConfig f, int layers, int dim, int headDim) {
        boolean attentionBias = f.optionalBoolean("attention_bias", false);
        return llamaFeatures(f, layers, headDim).qkvBias(attentionBias).outputBias(attentionBias)
                .mlpBias(f.optionalBoolean("mlp_bias", false)).build();
    }

    @Override
    protected void writeFeatures(ModelConfig c, ObjectNode o) {
        if (c.features().qkvBias() != c.features().outputBias())
            throw new IllegalArgumentException("Llama biases q, k, v and o together; this config biases only some");
        o.put("attention_bias", c.features().qkvBias());
        o.put("mlp_bias", c.features().mlpBias());
    }
}
