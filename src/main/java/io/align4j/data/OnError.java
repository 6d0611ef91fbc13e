package io.align4j.data;

/** What a reader does with a malformed record: stop with its error ({@code FAIL}, the default) or skip and count it. */
public enum OnError {
    FAIL, SKIP;

    /** Parses a flag value ({@code fail} / {@code skip}, any case). */
    public static OnError parse(String value) {
        for (OnError e : values()) if (e.name().equalsIgnoreCase(value.trim())) return e;
        throw new io.align4j.util.UserError("--on-error must be fail or skip, not '" + value + "'");
    }
}
