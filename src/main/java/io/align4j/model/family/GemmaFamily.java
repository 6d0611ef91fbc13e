package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;

/**
 * Gemma ({@code GemmaForCausalLM}): RMSNorm scaling by {@code 1 + w}, token embeddings times
 * √hidden_size, GeGLU with the tanh GELU ({@code hidden_activation}, else {@code hidden_act}),
 * {@code head_dim} 256 unless given, tied classifier unless {@code tie_word_embeddings} is false.
 */
class GemmaFamily extends LlamaStyleFamily {
    @Override public String modelType() { return "gemma"; }
    @Override public String classPrefix() { return "Gemma"; }
    @Override protected int defaultHeadDim(int dim, int heads) { return 256; }
    @Override protected boolean defaultTied() { return true; }

    @Override
    protected BlockFeatures features(HfConfig f, int layers, int dim, int headDim) {
        return gemmaFeatures(f, layers, dim, headDim).build();
    }

    protected static BlockFeatures.Builder gemmaFeatures(HfConfig f, int layers, int dim, int headDim) {
        BlockFeatures.Activation act = f.activation("hidden_activation",
                f.activation("hidden_act", BlockFeatures.Activation.GELU_TANH));
        boolean bias = f.optionalBoolean("attention_bias", false);
        return BlockFeatures.llama(layers, headDim).toBuilder().norm(BlockFeatures.Norm.RMS_UNIT_OFFSET).activation(act)
                .embeddingScale(Math.sqrt(dim)).qkvBias(bias).outputBias(bias);
    }

    @Override
    protected void writeFeatures(ModelConfig c, ObjectNode o) {
        o.put("hidden_activation", c.features().activation().hfName());
        o.put("attention_bias", c.features().qkvBias());
    }
}
