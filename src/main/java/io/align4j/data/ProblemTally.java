package io.align4j.data;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Counts skipped records by {@link Problem} and keeps the first few messages for the summary. */
final class ProblemTally {
    private static final int KEPT_MESSAGES = 5;

    private final Map<Problem, Integer> counts = new EnumMap<>(Problem.class);
    private final List<String> firstMessages = new ArrayList<>();

    /** Rethrows {@code error} under {@link OnError#FAIL}; counts it under {@link OnError#SKIP}. */
    void handle(RecordError error, OnError onError) {
        if (onError == OnError.FAIL) throw error;
        counts.merge(error.problem(), 1, Integer::sum);
        if (firstMessages.size() < KEPT_MESSAGES) firstMessages.add(error.getMessage());
    }

    Map<Problem, Integer> counts() { return Map.copyOf(counts); }

    List<String> firstMessages() { return List.copyOf(firstMessages); }
}
