package io.align4j.data;

import java.nio.file.Path;

/**
 * Where a record sits: the file, its 1-based line, and for JSON arrays the 0-based element
 * index. {@link #error} builds the message every reader uses, e.g.
 * {@code prefs.jsonl line 12, field "chosen": expected a string, got a number}.
 */
public record RecordLocation(Path file, long line, int element) {
    public static RecordLocation line(Path file, long line) { return new RecordLocation(file, line, -1); }

    @Override
    public String toString() {
        return file + " line " + line + (element >= 0 ? " (element " + element + ")" : "");
    }

    public RecordError error(Problem problem, String field, String what) {
        return new RecordError(problem, this + (field == null ? "" : ", field \"" + field + "\"") + ": " + what);
    }
}
