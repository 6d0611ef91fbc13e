package io.align4j.data;

/** Why a record was rejected; {@code --on-error skip} counts skipped records by these reasons. */
public enum Problem {
    INVALID_JSON("invalid JSON"),
    INVALID_UTF8("invalid UTF-8"),
    LINE_TOO_LONG("line over the size limit"),
    NOT_AN_OBJECT("record is not a JSON object"),
    UNKNOWN_FORMAT("keys of no known format"),
    MISSING_FIELD("missing field"),
    EMPTY_FIELD("empty field"),
    WRONG_TYPE("wrong type"),
    IDENTICAL_RESPONSES("chosen identical to rejected"),
    NO_COMMON_PROMPT("no common prompt");

    private final String label;

    Problem(String label) { this.label = label; }

    /** Short human description used in summaries. */
    public String label() { return label; }
}
