package io.align4j.train;

import io.align4j.util.UserError;
import java.util.Locale;

/**
 * Learning rate as a function of the optimiser step (0-based), with linear warm-up from 0 to the
 * peak over {@code warmupSteps}, then constant, linear decay to 0, or cosine decay to 0 at
 * {@code totalSteps}, as in Hugging Face's {@code get_*_schedule_with_warmup}.
 */
public record LearningRateSchedule(Kind kind, double peak, int warmupSteps, int totalSteps) {

    public enum Kind { CONSTANT, LINEAR, COSINE }

    public static Kind parseKind(String name) {
        try {
            return Kind.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("unknown learning-rate schedule '" + name + "' (constant, linear or cosine)");
        }
    }

    public double at(long step) {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        double progress = totalSteps <= warmupSteps ? 1
                : Math.min(1, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        return switch (kind) {
            case CONSTANT -> peak;
            case LINEAR -> peak * (1 - progress);
            case COSINE -> peak * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }
}
