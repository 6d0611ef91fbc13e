package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;
import io.align4j.model.Rope;
import io.align4j.model.TransformerWeights.Mlp;
import io.align4j.model.TransformerWeights.QkvProjection;
import java.util.EnumSet;
import java.util.Set;

/**
 * Phi-3 ({@code Phi3ForCausalLM}): Llama's block with q, k, v fused in {@code qkv_proj} [q; k; v]
 * and gate and up in {@code gate_up_proj} [gate; up], {@code partial_rotary_factor}, and
 * {@code sliding_window} on every layer. Phi-3's {@code longrope} scaling is not implemented, so
 * any {@code rope_scaling} is refused.
 */
final class Phi3Family extends LlamaStyleFamily {
    @Override public String modelType() { return "phi3"; }
    @Override public java.util.List<String> defaultLoraTargets() { return java.util.List.of("qkv_proj"); }
    @Override public String classPrefix() { return "Phi3"; }
    @Override protected Set<Rope.Scaling.Type> ropeScalings() { return EnumSet.noneOf(Rope.Scaling.Type.class); }
    @Override protected String rotaryFractionKey() { return "partial_rotary_factor"; }

    @Override
    protected BlockFeatures features(HfConfig f, int layers, int dim, int headDim) {
        int window = f.optionalInt("sliding_window", 0);
        return llamaFeatures(f, layers, headDim).slidingWindows(ModelConfigs.everyLayer(layers, window)).build();
    }

    @Override
    protected void writeFeatures(ModelConfig c, ObjectNode o) {
        int window = ModelConfigs.window(c.features().slidingWindows());
        if (window > 0) o.put("sliding_window", window); else o.putNull("sliding_window");
        // Phi3Config's default pad id is 32000, which transformers rejects for a smaller vocabulary;
        // the pad id does not change the forward, so none is written
        o.putNull("pad_token_id");
    }

    @Override
    protected QkvProjection qkv(ModelConfig c, Tensors t, String prefix) {
        return new QkvProjection.Fused(t.dense(prefix + "qkv_proj", c.queryDim() + 2L * c.kvDim(), c.dim(), false));
    }

    @Override
    protected Mlp mlp(ModelConfig c, Tensors t, String prefix) {
        return new Mlp.FusedGated(t.dense(prefix + "gate_up_proj", 2L * c.hiddenDim(), c.dim(), false),
                t.dense(prefix + "down_proj", c.dim(), c.hiddenDim(), false));
    }
}
