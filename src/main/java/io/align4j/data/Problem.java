package io.align4j.data;

/**
 * Why a record was rejected; {@code --on-error skip} counts skipped records by these reasons. The
 * last three are not errors but a {@link PairFilter}'s choices: they are counted whatever
 * {@code --on-error} says.
 */
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
    NO_COMMON_PROMPT("no common prompt"),
    EMPTY_RESPONSE("empty response, dropped"),
    OTHER_SPLIT("other split, filtered out"),
    SCORE_GAP("score gap under the minimum, filtered out");

    private final String label;

    Problem(String label) { this.label = label; }

    /** Short human description used in summaries. */
    public String label() { return label; }
}
