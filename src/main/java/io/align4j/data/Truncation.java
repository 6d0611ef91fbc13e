package io.align4j.data;

import io.align4j.util.UserError;
import java.util.Locale;

/**
 * Which end of a too-long prompt to keep. {@code KEEP_END} (the default, as TRL's
 * {@code truncation_mode="keep_end"}) keeps the latest turns, next to the response; a leading
 * BOS is kept either way. Responses always keep their start.
 */
public enum Truncation {
    KEEP_START, KEEP_END;

    public static Truncation parse(String value) {
        for (Truncation t : values()) {
            if (t.name().equalsIgnoreCase(value.trim()) || t.name().replace('_', '-').equalsIgnoreCase(value.trim())) return t;
        }
        throw new UserError("truncation must be keep_start or keep_end, not '" + value + "'");
    }

    public String label() { return name().toLowerCase(Locale.ROOT); }
}
