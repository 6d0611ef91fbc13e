package io.align4j.data;

import java.nio.file.Path;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;

/**
 * What a reader got from a file: the examples, the detected format, and the records skipped
 * (only under {@code --on-error skip}) counted by reason, with the first few error messages.
 */
public record DatasetRead<T>(Path file, String format, List<T> examples, Map<Problem, Integer> problems,
        List<String> firstProblemMessages) {

    public DatasetRead {
        examples = List.copyOf(examples);
        problems = Map.copyOf(problems);
        firstProblemMessages = List.copyOf(firstProblemMessages);
    }

    public int problemCount() { return problems.values().stream().mapToInt(Integer::intValue).sum(); }

    /** One line: {@code 283 examples (openai) from FILE; 2 skipped: invalid JSON 1, missing field 1}. */
    public String summary() {
        StringBuilder sb = new StringBuilder().append(examples.size()).append(" examples (").append(format).append(") from ").append(file);
        if (problemCount() == 0) return sb.append("; no problems").toString();
        sb.append("; ").append(problemCount()).append(" skipped:");
        Map<Problem, Integer> ordered = new TreeMap<>(problems);
        ordered.forEach((p, n) -> sb.append(' ').append(p.label()).append(' ').append(n).append(','));
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
