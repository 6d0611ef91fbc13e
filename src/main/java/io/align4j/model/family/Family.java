package io.align4j.model.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.ModelConfig;
import io.align4j.model.TransformerWeights;

/**
 * A model family, keyed by the Hugging Face {@code model_type}: in one place, its
 * {@code config.json} mapping in both directions and which checkpoint tensor fills which field
 * of the shared forward's {@link TransformerWeights} (the parameter layout is derived from that
 * binding, so each tensor name is spelled once). Adding a family is a new implementation plus
 * its line in {@link Families}.
 */
public interface Family {

    /** The {@code model_type} of {@code config.json}. */
    String modelType();

    /** Class name prefix transformers uses: {@code Llama} for {@code LlamaForCausalLM} and {@code LlamaForSequenceClassification}. */
    String classPrefix();

    /** The causal-LM class written to {@code architectures}. */
    default String causalLmClass() { return classPrefix() + "ForCausalLM"; }

    /**
     * Reads a {@code config.json}: every key that changes the computation is honoured or rejected
     * with an error naming it.
     */
    ModelConfig readConfig(HfConfig f);

    /** Writes the keys {@link #readConfig} reads, so the result reads back to the same config and opens in transformers. */
    void writeConfig(ModelConfig c, ObjectNode o);

    /** Binds tensors by name (and declares each one's shape) into the forward's typed fields. */
    TransformerWeights bind(ModelConfig c, Tensors t);

    /** The layers PEFT adapts when no {@code target_modules} are given (its per-family defaults). */
    default java.util.List<String> defaultLoraTargets() { return java.util.List.of("q_proj", "v_proj"); }

    /** A stored tensor name as this family's layout spells it (checkpoints saved from a base model lack a prefix). */
    default String canonicalName(String stored) { return stored; }

    /** Tensors real checkpoints carry that the config already determines (rotary tables, causal masks, the head of a tied model). */
    default boolean isDerivedTensor(io.align4j.model.ModelConfig c, String name) { return false; }
}
