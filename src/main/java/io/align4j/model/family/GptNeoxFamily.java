package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.ModelConfig;
import io.align4j.model.Rope;
import io.align4j.model.TransformerWeights;
import io.align4j.model.TransformerWeights.Attention;
import io.align4j.model.TransformerWeights.Block;
import io.align4j.model.TransformerWeights.Mlp;
import io.align4j.model.TransformerWeights.Norm;
import io.align4j.model.TransformerWeights.QkvProjection;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Pattern;

/**
 * GPT-NeoX ({@code GPTNeoXForCausalLM}: Pythia): LayerNorm with biases, parallel residual
 * ({@code use_parallel_residual}), rotary on the first {@code rotary_pct} of each head, q, k, v
 * fused per head in {@code query_key_value} ([q_h; k_h; v_h] for each head h), exact GELU
 * ({@code hidden_act}), biases on attention ({@code attention_bias}) and MLP, untied
 * {@code embed_out} unless {@code tie_word_embeddings}.
 */
final class GptNeoxFamily implements Family {
    private static final Pattern BUFFERS = Pattern.compile(
            "gpt_neox\\.layers\\.\\d+\\.attention\\.(bias|masked_bias|rotary_emb\\.inv_freq)");

    @Override public String modelType() { return "gpt_neox"; }
    @Override public java.util.List<String> defaultLoraTargets() { return java.util.List.of("query_key_value"); }
    @Override public String classPrefix() { return "GPTNeoX"; }

    @Override
    public ModelConfig readConfig(HfConfig f) {
        int heads = f.requiredInt("num_attention_heads");
        int dim = f.requiredInt("hidden_size");
        int layers = f.requiredInt("num_hidden_layers");
        int maxPositions = f.requiredInt("max_position_embeddings");
        if (dim % heads != 0) throw f.error("hidden_size " + dim + " is not a multiple of num_attention_heads " + heads);
        int headDim = dim / heads;
        Rope rope = f.rope(headDim, maxPositions, 10000.0, "rotary_pct",
                EnumSet.of(Rope.Scaling.Type.LINEAR, Rope.Scaling.Type.DYNAMIC), "rope_theta", "rotary_emb_base");
        boolean bias = f.optionalBoolean("attention_bias", true);
        BlockFeatures features = BlockFeatures.llama(layers, headDim).toBuilder()
                .norm(BlockFeatures.Norm.LAYER).activation(f.activation("hidden_act", BlockFeatures.Activation.GELU))
                .gatedMlp(false).qkvBias(bias).outputBias(bias).mlpBias(true)
                .parallelResidual(f.optionalBoolean("use_parallel_residual", true)).build();
        try {
            return new ModelConfig(modelType(), dim, f.requiredInt("intermediate_size"), layers, heads, heads, headDim,
                    f.requiredInt("vocab_size"), maxPositions, f.requiredDouble("layer_norm_eps"), rope,
                    f.optionalBoolean("tie_word_embeddings", false), f.tokenId("bos_token_id"), f.tokenId("eos_token_id"), features);
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
    }

    @Override
    public void writeConfig(ModelConfig c, ObjectNode o) {
        o.put("hidden_size", c.dim());
        o.put("intermediate_size", c.hiddenDim());
        o.put("num_hidden_layers", c.nLayers());
        o.put("num_attention_heads", c.nHeads());
        o.put("vocab_size", c.vocabSize());
        o.put("max_position_embeddings", c.maxSeqLen());
        o.put("layer_norm_eps", c.normEps());
        HfConfig.writeRope(o, c.rope(), c.headDim(), "rope_theta", "rotary_pct");
        o.put("rotary_emb_base", c.rope().theta());
        o.put("partial_rotary_factor", (double) c.rope().rotaryDim() / c.headDim());
        o.put("hidden_act", c.features().activation().hfName());
        o.put("attention_bias", c.features().qkvBias());
        o.put("use_parallel_residual", c.features().parallelResidual());
        o.put("tie_word_embeddings", c.tiedEmbeddings());
    }

    @Override
    public boolean isDerivedTensor(ModelConfig c, String name) {
        return BUFFERS.matcher(name).matches() || (c.tiedEmbeddings() && name.equals("embed_out.weight"));
    }

    @Override
    public TransformerWeights bind(ModelConfig c, Tensors t) {
        BlockFeatures f = c.features();
        long d = c.dim();
        var embedding = t.get("gpt_neox.embed_in.weight", c.vocabSize(), d);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < c.nLayers(); i++) {
            String l = "gpt_neox.layers." + i + ".";
            Norm attentionNorm = t.norm(l + "input_layernorm", d, true);
            QkvProjection qkv = new QkvProjection.FusedPerHead(t.dense(l + "attention.query_key_value", 3 * d, d, f.qkvBias()));
            Attention attention = new Attention(qkv, null, null, t.dense(l + "attention.dense", d, d, f.outputBias()));
            Norm mlpNorm = t.norm(l + "post_attention_layernorm", d, true);
            Mlp mlp = new Mlp.Plain(t.dense(l + "mlp.dense_h_to_4h", c.hiddenDim(), d, true),
                    t.dense(l + "mlp.dense_4h_to_h", d, c.hiddenDim(), true));
            blocks.add(new Block(attentionNorm, attention, null, mlpNorm, mlp, null));
        }
        Norm finalNorm = t.norm("gpt_neox.final_layer_norm", d, true);
        return new TransformerWeights(embedding, null, blocks, finalNorm, t.classifier(c, embedding, "embed_out"));
    }
}
