package io.align4j.model;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one list of a model's parameters: names as Hugging Face checkpoints of the family use
 * them, shapes as stored there, in checkpoint order. Model code, checkpoint readers and writers
 * all derive from this list, so a name or shape is never spelled twice.
 *
 * <p>Llama ({@code LlamaForCausalLM}): linear weights are [out, in]; rotary embeddings use the
 * rotate-half convention of those checkpoints (llama2.c checkpoints, which interleave pairs,
 * have their q and k rows permuted on load exactly as the Hugging Face conversion script does).
 * {@code lm_head.weight} exists only when the classifier is not tied.
 *
 * <p>GPT-2 ({@code GPT2LMHeadModel}): the {@code Conv1D} weights are [in, out] as stored, and
 * the model multiplies by them without transposing; the classifier is always tied to {@code wte}.
 */
public final class ParameterLayout {
    private ParameterLayout() {}

    public static Map<String, Shape> of(ModelConfig c) {
        return c.arch() == ModelConfig.Arch.LLAMA ? llama(c) : gpt2(c);
    }

    private static Map<String, Shape> llama(ModelConfig c) {
        Map<String, Shape> p = new LinkedHashMap<>();
        long d = c.dim(), kv = (long) c.nKvHeads() * c.headDim(), h = c.hiddenDim();
        p.put("model.embed_tokens.weight", new Shape(c.vocabSize(), d));
        for (int i = 0; i < c.nLayers(); i++) {
            String l = "model.layers." + i + ".";
            p.put(l + "input_layernorm.weight", new Shape(d));
            p.put(l + "self_attn.q_proj.weight", new Shape(d, d));
            p.put(l + "self_attn.k_proj.weight", new Shape(kv, d));
            p.put(l + "self_attn.v_proj.weight", new Shape(kv, d));
            p.put(l + "self_attn.o_proj.weight", new Shape(d, d));
            p.put(l + "post_attention_layernorm.weight", new Shape(d));
            p.put(l + "mlp.gate_proj.weight", new Shape(h, d));
            p.put(l + "mlp.up_proj.weight", new Shape(h, d));
            p.put(l + "mlp.down_proj.weight", new Shape(d, h));
        }
        p.put("model.norm.weight", new Shape(d));
        if (!c.tiedEmbeddings()) p.put("lm_head.weight", new Shape(c.vocabSize(), d));
        return p;
    }

    private static Map<String, Shape> gpt2(ModelConfig c) {
        Map<String, Shape> p = new LinkedHashMap<>();
        long d = c.dim(), h = c.hiddenDim();
        p.put("transformer.wte.weight", new Shape(c.vocabSize(), d));
        p.put("transformer.wpe.weight", new Shape(c.maxSeqLen(), d));
        for (int i = 0; i < c.nLayers(); i++) {
            String l = "transformer.h." + i + ".";
            p.put(l + "ln_1.weight", new Shape(d));
            p.put(l + "ln_1.bias", new Shape(d));
            p.put(l + "attn.c_attn.weight", new Shape(d, 3 * d));
            p.put(l + "attn.c_attn.bias", new Shape(3 * d));
            p.put(l + "attn.c_proj.weight", new Shape(d, d));
            p.put(l + "attn.c_proj.bias", new Shape(d));
            p.put(l + "ln_2.weight", new Shape(d));
            p.put(l + "ln_2.bias", new Shape(d));
            p.put(l + "mlp.c_fc.weight", new Shape(d, h));
            p.put(l + "mlp.c_fc.bias", new Shape(h));
            p.put(l + "mlp.c_proj.weight", new Shape(h, d));
            p.put(l + "mlp.c_proj.bias", new Shape(d));
        }
        p.put("transformer.ln_f.weight", new Shape(d));
        p.put("transformer.ln_f.bias", new Shape(d));
        return p;
    }
}
