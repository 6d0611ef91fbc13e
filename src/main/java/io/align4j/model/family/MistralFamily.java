package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;

/** Mistral ({@code MistralForCausalLM}): Llama's block with {@code sliding_window} on every layer (null: none). */
final class MistralFamily extends LlamaStyleFamily {
    @Override public String modelType() { return "mistral"; }
    @Override public String classPrefix() { return "Mistral"; }

    @Override
    protected BlockFeatures features(HfConfig f, int layers, int dim, int headDim) {
        int window = f.optionalInt("sliding_window", 0);
        return llamaFeatures(f, layers, headDim).slidingWindows(f.slidingWindows(layers, window, i -> true)).build();
    }

    @Override
    protected void writeFeatures(ModelConfig c, ObjectNode o) {
        int window = ModelConfigs.window(c.features().slidingWindows());
        if (window > 0) o.put("sliding_window", window); else o.putNull("sliding_window");
        if (c.features().slidingWindows().contains(0) && window > 0) HfConfig.writeLayerTypes(o, c.features().slidingWindows());
    }
}
