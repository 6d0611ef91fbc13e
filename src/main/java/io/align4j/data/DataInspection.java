package io.align4j.data;

import io.align4j.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The report of {@code align4j data inspect}: detected format, example and problem counts (pairs a
 * {@link PairFilter} left out among them), how many kept pairs have an empty response, and
 * with a tokenizer the token-length histograms (prompt, chosen, rejected, before any limit), the
 * truncation, drop and boundary-merge counts at the given limits, and three examples rendered
 * with the prompt/response boundary marked {@value #BOUNDARY}.
 */
public final class DataInspection {
    public static final String BOUNDARY = "⟦|⟧";
    private static final int SHOWN = 3;
    private static final int EXCERPT = 400;

    private DataInspection() {}

    /**
     * Reads {@code file} as preference data and writes the report; {@code tokenizer} may be null.
     * The file is streamed: only the token lengths and the examples shown are kept, so a file
     * larger than memory can be inspected.
     */
    public static String report(Path file, PreferenceFormat format, OnError onError, TextTokenizer tokenizer, TokenLimits limits) {
        return report(file, format, onError, PairFilter.ALL, tokenizer, limits);
    }

    /** The report on the pairs of {@code file} that {@code filter} keeps. */
    public static String report(Path file, PreferenceFormat format, OnError onError, PairFilter filter, TextTokenizer tokenizer,
            TokenLimits limits) {
        ChatTemplate template = tokenizer == null ? ChatTemplate.PLAIN : ChatTemplate.forTokenizer(tokenizer);
        PairTokenizer unlimited = tokenizer == null ? null : new PairTokenizer(tokenizer, template, TokenLimits.NONE);
        PairTokenizer limited = tokenizer == null ? null : new PairTokenizer(tokenizer, template, limits);
        IntList prompt = new IntList(), chosen = new IntList(), rejected = new IntList();
        List<PreferenceExample> shownExamples = new ArrayList<>();
        List<TokenizedPair> shownPairs = new ArrayList<>();
        long[] count = {0}, emptyChosen = {0}, emptyRejected = {0};
        ProblemTally problems = new ProblemTally();
        PreferenceFormat detected = PreferenceDatasets.stream(file, format, onError, filter, problems, e -> {
            count[0]++;
            if (e.chosenIsEmpty()) emptyChosen[0]++;
            if (e.rejectedIsEmpty()) emptyRejected[0]++;
            if (tokenizer == null) {
                if (shownExamples.size() < SHOWN) shownExamples.add(e);
                return;
            }
            TokenizedPair pair = unlimited.tokenize(e).orElseThrow();
            prompt.add(pair.promptIds().length);
            chosen.add(pair.chosenIds().length);
            rejected.add(pair.rejectedIds().length);
            Optional<TokenizedPair> cut = limited.tokenize(e);
            if (cut.isPresent() && shownPairs.size() < SHOWN) {
                shownPairs.add(cut.get());
                shownExamples.add(e);
            }
        });
        StringBuilder out = new StringBuilder();
        out.append("file: ").append(file).append('\n');
        out.append("format: ").append(detected == null ? format.label() : detected.label()).append('\n');
        out.append("examples: ").append(count[0]).append('\n');
        Map<Problem, Integer> counts = problems.counts();
        out.append("problems: ").append(counts.values().stream().mapToInt(Integer::intValue).sum());
        for (Map.Entry<Problem, Integer> e : new java.util.TreeMap<>(counts).entrySet()) {
            out.append("\n  ").append(e.getKey().label()).append(": ").append(e.getValue());
        }
        for (String message : problems.firstMessages()) out.append("\n  e.g. ").append(message);
        out.append('\n');
        out.append("empty responses (kept; --drop-empty drops them): chosen ").append(emptyChosen[0]).append(", rejected ")
                .append(emptyRejected[0]).append('\n');
        if (tokenizer != null && count[0] > 0) {
            out.append("token lengths (before limits; responses include EOS):\n");
            out.append(histogram("prompt", prompt.toArray())).append(histogram("chosen", chosen.toArray()))
                    .append(histogram("rejected", rejected.toArray()));
            out.append("limits: max_length ").append(limits.maxLength() == 0 ? "none" : limits.maxLength())
                    .append(", max_prompt_length ").append(limits.maxPromptLength() == 0 ? "none" : limits.maxPromptLength())
                    .append(", truncation ").append(limits.truncation().label()).append('\n');
            PairTokenizer.Stats s = limited.stats();
            out.append("  prompts truncated: ").append(s.promptsTruncated()).append('\n');
            out.append("  examples with a response truncated: ").append(s.responsesTruncated()).append('\n');
            out.append("  dropped (prompt fills max_length): ").append(s.dropped()).append('\n');
            out.append("  token across the prompt/response boundary: ").append(s.boundaryMerges()).append('\n');
        }
        out.append("examples (boundary marked ").append(BOUNDARY).append(tokenizer == null ? ", text" : ", decoded from token ids")
                .append("):\n");
        for (int i = 0; i < shownExamples.size(); i++) {
            PreferenceExample e = shownExamples.get(i);
            String p;
            String c;
            String r;
            if (tokenizer != null) {
                TokenizedPair pair = shownPairs.get(i);
                p = tokenizer.decode(pair.promptIds());
                c = tokenizer.decode(pair.chosenIds());
                r = tokenizer.decode(pair.rejectedIds());
            } else {
                PreferenceExample.TextTriple t = e.render(template);
                p = t.prompt();
                c = t.chosen();
                r = t.rejected();
            }
            out.append("--- ").append(e.source()).append(annotations(e.annotations())).append('\n');
            out.append("chosen:   ").append(ends(p)).append(BOUNDARY).append(head(c)).append('\n');
            out.append("rejected: ").append(ends(p)).append(BOUNDARY).append(head(r)).append('\n');
        }
        return out.toString();
    }

    /** {@code  (split train, confidence 7, scores 8.5 / 3)}, or nothing when the pair has no annotations. */
    private static String annotations(PairAnnotations a) {
        List<String> parts = new ArrayList<>();
        if (a.split() != null) parts.add("split " + a.split());
        if (a.confidence() != null) parts.add("confidence " + number(a.confidence()));
        if (a.scoreGap() != null) parts.add("scores " + number(a.scoreChosen()) + " / " + number(a.scoreRejected()));
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    private static String number(double v) { return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v); }

    /** A growable int array: three ints an example instead of the example's text. */
    private static final class IntList {
        private int[] values = new int[1024];
        private int size;

        void add(int v) {
            if (size == values.length) values = Arrays.copyOf(values, 2 * size);
            values[size++] = v;
        }

        int[] toArray() { return Arrays.copyOf(values, size); }
    }

    /** A long prompt's start and end: where it begins (a summarisation prompt's subreddit and title) and the boundary. */
    private static String ends(String s) {
        int half = EXCERPT / 2;
        return s.length() <= EXCERPT ? s : s.substring(0, half) + " … " + s.substring(s.length() - half);
    }

    private static String head(String s) { return s.length() <= EXCERPT ? s : s.substring(0, EXCERPT) + "…"; }

    /** One line of summary and one row per power-of-two bucket: {@code <= 64  123  #####}. */
    static String histogram(String name, int[] lengths) {
        int[] sorted = lengths.clone();
        Arrays.sort(sorted);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("  %s: min %d, median %d, p95 %d, max %d%n", name, sorted[0], sorted[sorted.length / 2],
                sorted[Math.min(sorted.length - 1, (int) Math.ceil(0.95 * sorted.length) - 1)], sorted[sorted.length - 1]));
        int top = 8;
        while (top < sorted[sorted.length - 1]) top *= 2;
        int max = 0;
        int[] counts = new int[Integer.numberOfTrailingZeros(top) - 2];
        for (int len : lengths) {
            int bucket = 0;
            while ((8 << bucket) < len) bucket++;
            counts[bucket]++;
        }
        for (int c : counts) max = Math.max(max, c);
        for (int b = 0; b < counts.length; b++) {
            sb.append(String.format("    <= %6d %6d  %s%n", 8 << b, counts[b], "#".repeat((int) Math.round(40.0 * counts[b] / max))));
        }
        return sb.toString();
    }
}
