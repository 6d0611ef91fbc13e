package io.align4j.data;

import io.align4j.util.UserError;

/**
 * A malformed record: a {@link UserError} whose message names the file, the line (and array
 * element) and the field, carrying the {@link Problem} it is counted under when skipped.
 */
public final class RecordError extends UserError {
    private final Problem problem;

    public RecordError(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public Problem problem() { return problem; }
}
