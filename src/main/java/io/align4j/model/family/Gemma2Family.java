package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;

/**
 * Gemma 2 ({@code Gemma2ForCausalLM}): Gemma's block with norms after attention and after the MLP
 * too, scores scaled by {@code query_pre_attn_scalar}^−½ (256 unless given), attention and final
 * logit soft-capping ({@code attn_logit_softcapping} 50, {@code final_logit_softcapping} 30 unless
 * given; null turns one off), and a {@code sliding_window} (4096 unless given) on the layers
 * {@code layer_types} marks, else on the even layers.
 */
final class Gemma2Family extends GemmaFamily {
    @Override public String modelType() { return "gemma2"; }
    @Override public String classPrefix() { return "Gemma2"; }

    @Override
    protected BlockFeatures features(HfConfig f, int layers, int dim, int headDim) {
        int window = (int) f.nullableDouble("sliding_window", 4096, 0);
        return gemmaFeatures(f, layers, dim, headDim).sandwichNorms(true)
                .queryScale(1 / Math.sqrt(f.optionalDouble("query_pre_attn_scalar", 256)))
                .attentionSoftcap(f.nullableDouble("attn_logit_softcapping", 50.0, 0))
                .finalSoftcap(f.nullableDouble("final_logit_softcapping", 30.0, 0))
                .slidingWindows(f.slidingWindows(layers, window, i -> i % 2 == 0)).build();
    }

    @Override
    protected void writeFeatures(ModelConfig c, ObjectNode o) {
        super.writeFeatures(c, o);
        BlockFeatures f = c.features();
        // transformers 5 insists on an integer, as the published configs give it
        double scalar = 1 / (f.queryScale() * f.queryScale());
        if (Math.abs(scalar - Math.rint(scalar)) < 1e-6) o.put("query_pre_attn_scalar", (long) Math.rint(scalar));
        else o.put("query_pre_attn_scalar", scalar);
        if (f.attentionSoftcap() > 0) o.put("attn_logit_softcapping", f.attentionSoftcap()); else o.putNull("attn_logit_softcapping");
        if (f.finalSoftcap() > 0) o.put("final_logit_softcapping", f.finalSoftcap()); else o.putNull("final_logit_softcapping");
        int window = ModelConfigs.window(f.slidingWindows());
        if (window > 0) o.put("sliding_window", window); else o.putNull("sliding_window");
        HfConfig.writeLayerTypes(o, f.slidingWindows());
    }
}
