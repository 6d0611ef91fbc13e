package io.align4j.model.lora;

import io.align4j.util.UserError;
import java.util.List;

/**
 * Low-rank adaptation settings, as PEFT's {@code LoraConfig} names them.
 *
 * @param rank    r, the inner width of each update B·A
 * @param alpha   {@code lora_alpha}: the update is scaled by α/r
 * @param dropout {@code lora_dropout}: dropout on an adapted layer's input, in training only
 * @param targets {@code target_modules}: module names (the last part of a path, e.g. {@code q_proj},
 *                {@code query_key_value}, {@code c_attn}), full paths, or {@code all-linear}
 *                (every linear layer of the blocks)
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets) {
    /** The target that adapts every linear layer of the blocks (PEFT's spelling). */
    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        targets = List.copyOf(targets);
        if (rank <= 0) throw new UserError("lora_r must be positive, got " + rank);
        if (!(alpha > 0)) throw new UserError("lora_alpha must be positive, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new UserError("lora_dropout must be in [0, 1), got " + dropout);
    }

    /** The factor on B·A. */
    public double scaling() { return alpha / rank; }

    /** Whether the layer at {@code module} (a dotted path) is adapted. */
    public boolean matches(String module) {
        for (String t : targets)
            if (t.equals(ALL_LINEAR) || module.equals(t) || module.endsWith("." + t)) return true;
        return false;
    }
}
