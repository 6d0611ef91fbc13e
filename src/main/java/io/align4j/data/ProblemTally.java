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
        count(error);
    }

    /** Counts a valid record that a filter left out: never an error, whatever {@code --on-error} says. */
    void count(RecordError filteredOut) {
        counts.merge(filteredOut.problem(), 1, Integer::sum);
        if (firstMessages.size() < KEPT_MESSAGES) firstMessages.add(filteredOut.getMessage());
    }

    Map<Problem, Integer> counts() { return Map.copyOf(counts); }

    List<String> firstMessages() { return List.copyOf(firstMessages); }
}
