package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.BlockFeatures;
import io.align4j.model.Linear;
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
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the families descended from Llama share: the {@code model.layers.N.} tensor names, the
 * {@code config.json} keys {@code hidden_size}, {@code num_attention_heads}, {@code rms_norm_eps},
 * {@code rope_theta} ..., and separate {@code q_proj}/{@code k_proj}/{@code v_proj} and
 * {@code gate_proj}/{@code up_proj} layers unless a family fuses them. A family states its
 * {@link BlockFeatures} from its config and writes back the keys it reads.
 */
abstract class LlamaStyleFamily implements Family {
    private static final Pattern ROTARY_BUFFER = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    /** The features a {@code config.json} of this family selects. */
    protected abstract BlockFeatures features(HfConfig f, int layers, int dim, int headDim);

    /** Writes the keys {@link #features} reads. */
    protected abstract void writeFeatures(ModelConfig c, ObjectNode o);

    /** {@code head_dim} when the config does not give one. */
    protected int defaultHeadDim(int dim, int heads) { return dim / heads; }

    /** {@code tie_word_embeddings} when the config does not give it (the family's config class default). */
    protected boolean defaultTied() { return false; }

    /** The rope_scaling types this family's transformers class implements. */
    protected Set<Rope.Scaling.Type> ropeScalings() { return EnumSet.allOf(Rope.Scaling.Type.class); }

    /** Key of the rotating fraction of a head, or null when the whole head rotates. */
    protected String rotaryFractionKey() { return null; }

    @Override
    public ModelConfig readConfig(HfConfig f) {
        int heads = f.requiredInt("num_attention_heads");
        int dim = f.requiredInt("hidden_size");
        int layers = f.requiredInt("num_hidden_layers");
        int maxPositions = f.requiredInt("max_position_embeddings");
        int headDim = f.has("head_dim") ? f.requiredInt("head_dim")
                : f.root().has("head_dim") ? dim / heads : defaultHeadDim(dim, heads);
        Rope rope = f.rope(headDim, maxPositions, 10000.0, rotaryFractionKey(), ropeScalings(), "rope_theta");
        try {
            return new ModelConfig(modelType(), dim, f.requiredInt("intermediate_size"), layers, heads,
                    f.optionalInt("num_key_value_heads", heads), headDim, f.requiredInt("vocab_size"), maxPositions,
                    f.requiredDouble("rms_norm_eps"), rope, f.optionalBoolean("tie_word_embeddings", defaultTied()),
                    f.tokenId("bos_token_id"), f.tokenId("eos_token_id"), features(f, layers, dim, headDim));
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
        o.put("num_key_value_heads", c.nKvHeads());
        o.put("head_dim", c.headDim());
        o.put("vocab_size", c.vocabSize());
        o.put("max_position_embeddings", c.maxSeqLen());
        o.put("rms_norm_eps", c.normEps());
        HfConfig.writeRope(o, c.rope(), c.headDim(), "rope_theta", rotaryFractionKey());
        o.put("hidden_act", c.features().activation().hfName());
        o.put("tie_word_embeddings", c.tiedEmbeddings());
        writeFeatures(c, o);
    }

    @Override
    public boolean isDerivedTensor(ModelConfig c, String name) {
        return ROTARY_BUFFER.matcher(name).matches() || (c.tiedEmbeddings() && name.equals("lm_head.weight"));
    }

    @Override
    public TransformerWeights bind(ModelConfig c, Tensors t) {
        BlockFeatures f = c.features();
        long d = c.dim();
        var embedding = t.get("model.embed_tokens.weight", c.vocabSize(), d);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < c.nLayers(); i++) {
            String l = "model.layers." + i + ".";
            Norm attentionNorm = t.norm(l + "input_layernorm", d, false);
            QkvProjection qkv = qkv(c, t, l + "self_attn.");
            Norm queryNorm = f.qkNorm() ? t.norm(l + "self_attn.q_norm", c.headDim(), false) : null;
            Norm keyNorm = f.qkNorm() ? t.norm(l + "self_attn.k_norm", c.headDim(), false) : null;
            Linear output = t.dense(l + "self_attn.o_proj", d, c.queryDim(), f.outputBias());
            Attention attention = new Attention(qkv, queryNorm, keyNorm, output);
            Norm attentionPostNorm = f.sandwichNorms() ? t.norm(l + "post_attention_layernorm", d, false) : null;
            Norm mlpNorm = t.norm(l + (f.sandwichNorms() ? "pre_feedforward_layernorm" : "post_attention_layernorm"), d, false);
            Mlp mlp = mlp(c, t, l + "mlp.");
            Norm mlpPostNorm = f.sandwichNorms() ? t.norm(l + "post_feedforward_layernorm", d, false) : null;
            blocks.add(new Block(attentionNorm, attention, attentionPostNorm, mlpNorm, mlp, mlpPostNorm));
        }
        Norm finalNorm = t.norm("model.norm", d, false);
        return new TransformerWeights(embedding, null, blocks, finalNorm, t.classifier(c, embedding, "lm_head"));
    }

    /** Separate {@code q_proj}, {@code k_proj}, {@code v_proj} under {@code prefix}. */
    protected QkvProjection qkv(ModelConfig c, Tensors t, String prefix) {
        boolean bias = c.features().qkvBias();
        return new QkvProjection.Separate(t.dense(prefix + "q_proj", c.queryDim(), c.dim(), bias),
                t.dense(prefix + "k_proj", c.kvDim(), c.dim(), bias), t.dense(prefix + "v_proj", c.kvDim(), c.dim(), bias));
    }

    /** Separate {@code gate_proj}, {@code up_proj} and {@code down_proj} under {@code prefix}. */
    protected Mlp mlp(ModelConfig c, Tensors t, String prefix) {
        boolean bias = c.features().mlpBias();
        return new Mlp.Gated(t.dense(prefix + "gate_proj", c.hiddenDim(), c.dim(), bias),
                t.dense(prefix + "up_proj", c.hiddenDim(), c.dim(), bias), t.dense(prefix + "down_proj", c.dim(), c.hiddenDim(), bias));
    }

    /** Llama's features with the activation of {@code hidden_act}. */
    protected static BlockFeatures.Builder llamaFeatures(HfConfig f, int layers, int headDim) {
        return BlockFeatures.llama(layers, headDim).toBuilder().activation(f.activation("hidden_act", BlockFeatures.Activation.SILU));
    }

    /**
     * Qwen's windows: {@code sliding_window} only when {@code use_sliding_window}, on the layers
     * {@code layer_types} marks, else on layers from {@code max_window_layers} on.
     */
    protected static List<Integer> qwenWindows(HfConfig f, int layers) {
        int window = f.optionalBoolean("use_sliding_window", false) ? f.optionalInt("sliding_window", 0) : 0;
        if (window == 0) return BlockFeatures.fullAttention(layers);
        int from = f.optionalInt("max_window_layers", layers);
        return f.slidingWindows(layers, window, i -> i >= from);
    }

    /** Writes Qwen's window keys so that {@link #qwenWindows} reads the same windows back. */
    protected static void writeQwenWindows(ModelConfig c, ObjectNode o) {
        List<Integer> windows = c.features().slidingWindows();
        int window = ModelConfigs.window(windows);
        o.put("use_sliding_window", window > 0);
        if (window > 0) o.put("sliding_window", window); else o.putNull("sliding_window");
        o.put("max_window_layers", c.nLayers());
        HfConfig.writeLayerTypes(o, windows);
    }
}
