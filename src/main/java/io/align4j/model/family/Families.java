package io.align4j.model.family;

import io.align4j.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of families by {@code model_type}: adding a family is its class plus one line here. */
public final class Families {
    private static final Map<String, Family> BY_TYPE = new LinkedHashMap<>();

    static {
        for (Family f : List.of(
                new LlamaFamily(),
                new MistralFamily(),
                new Qwen2Family(),
                new Qwen3Family(),
                new GemmaFamily(),
                new Gemma2Family(),
                new Phi3Family(),
                new GptNeoxFamily(),
                new Gpt2Family()))
            BY_TYPE.put(f.modelType(), f);
    }

    private Families() {}

    /** The family of a {@code model_type}, or null when none is registered. */
    public static Family find(String modelType) { return BY_TYPE.get(modelType); }

    /** The family of a config (every config's family is registered). */
    public static Family of(ModelConfig c) {
        Family f = BY_TYPE.get(c.family());
        if (f == null) throw new IllegalArgumentException("no family registered for model_type " + c.family());
        return f;
    }

    /** The registered {@code model_type}s, in registration order. */
    public static List<String> modelTypes() { return List.copyOf(BY_TYPE.keySet()); }
}
