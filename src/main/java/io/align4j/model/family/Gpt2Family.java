package io.align4j.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;
import io.align4j.model.TransformerWeights;
import io.align4j.model.TransformerWeights.Attention;
import io.align4j.model.TransformerWeights.Block;
import io.align4j.model.TransformerWeights.Mlp;
import io.align4j.model.TransformerWeights.QkvProjection;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * GPT-2 ({@code GPT2LMHeadModel}): learned absolute positions, LayerNorm, GELU
 * ({@code activation_function}), {@code Conv1D} layers stored [in, out] with biases, q, k, v fused
 * in {@code c_attn}, classifier tied to {@code wte}. Checkpoints saved from {@code GPT2Model} lack
 * the {@code transformer.} prefix; the causal-mask buffers {@code attn.bias}/{@code attn.masked_bias}
 * are derived.
 */
final class Gpt2Family implements Family {
    private static final Pattern BUFFERS = Pattern.compile("transformer\\.h\\.\\d+\\.attn\\.(bias|masked_bias)");

    @Override public String modelType() { return "gpt2"; }
    @Override public java.util.List<String> defaultLoraTargets() { return java.util.List.of("c_attn"); }
    @Override public String classPrefix() { return "GPT2"; }
    @Override public String causalLmClass() { return "GPT2LMHeadModel"; }

    @Override
    public ModelConfig readConfig(HfConfig f) {
        int dim = f.requiredInt("n_embd");
        int heads = f.requiredInt("n_head");
        int layers = f.requiredInt("n_layer");
        f.reject("scale_attn_weights", n -> !n.asBoolean(), "unscaled attention is not supported");
        f.reject("scale_attn_by_inverse_layer_idx", JsonNode::asBoolean, "layer-index attention scaling is not supported");
        f.reject("reorder_and_upcast_attn", JsonNode::asBoolean, "reordered attention is not supported");
        f.reject("tie_word_embeddings", n -> !n.asBoolean(), "GPT-2 with an untied classifier is not supported");
        if (dim % heads != 0) throw f.error("n_embd " + dim + " is not a multiple of n_head " + heads);
        BlockFeatures features = BlockFeatures.gpt2(layers, dim / heads).toBuilder()
                .activation(f.activation("activation_function", BlockFeatures.Activation.GELU_TANH)).build();
        return new ModelConfig(modelType(), dim, f.optionalInt("n_inner", 4 * dim), layers, heads, heads, dim / heads,
                f.requiredInt("vocab_size"), f.requiredInt("n_positions"), f.requiredDouble("layer_norm_epsilon"), null,
                true, f.tokenId("bos_token_id"), f.tokenId("eos_token_id"), features);
    }

    @Override
    public void writeConfig(ModelConfig c, ObjectNode o) {
        o.put("n_embd", c.dim());
        o.put("n_inner", c.hiddenDim());
        o.put("n_layer", c.nLayers());
        o.put("n_head", c.nHeads());
        o.put("vocab_size", c.vocabSize());
        o.put("n_positions", c.maxSeqLen());
        o.put("n_ctx", c.maxSeqLen());
        o.put("layer_norm_epsilon", c.normEps());
        o.put("activation_function", c.features().activation() == BlockFeatures.Activation.GELU_TANH
                ? "gelu_new" : c.features().activation().hfName());
        o.put("tie_word_embeddings", true);
    }

    @Override
    public String canonicalName(String stored) {
        return stored.startsWith("transformer.") || stored.startsWith("lm_head.") ? stored : "transformer." + stored;
    }

    @Override
    public boolean isDerivedTensor(ModelConfig c, String name) {
        return BUFFERS.matcher(name).matches() || name.equals("lm_head.weight");
    }

    @Override
    public TransformerWeights bind(ModelConfig c, Tensors t) {
        long d = c.dim(), h = c.hiddenDim();
        var wte = t.get("transformer.wte.weight", c.vocabSize(), d);
        var wpe = t.get("transformer.wpe.weight", c.maxSeqLen(), d);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < c.nLayers(); i++) {
            String l = "transformer.h." + i + ".";
            var ln1 = t.norm(l + "ln_1", d, true);
            Attention attention = new Attention(new QkvProjection.Fused(t.conv1d(l + "attn.c_attn", d, 3 * d)), null, null,
                    t.conv1d(l + "attn.c_proj", d, d));
            var ln2 = t.norm(l + "ln_2", d, true);
            Mlp mlp = new Mlp.Plain(t.conv1d(l + "mlp.c_fc", d, h), t.conv1d(l + "mlp.c_proj", h, d));
            blocks.add(new Block(ln1, attention, null, ln2, mlp, null));
        }
        var lnF = t.norm("transformer.ln_f", d, true);
        return new TransformerWeights(wte, wpe, blocks, lnF, t.classifier(c, wte, "lm_head"));
    }
}
