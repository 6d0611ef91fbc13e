package io.align4j.data;

import io.align4j.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The report of {@code align4j data inspect}: detected format, example and problem counts, and
 * with a tokenizer the token-length histograms (prompt, chosen, rejected, before any limit), the
 * truncation, drop and boundary-merge counts at the given limits, and three examples rendered
 * with the prompt/response boundary marked {@value #BOUNDARY}.
 */
public final class DataInspection {
    public static final String BOUNDARY = "⟦|⟧";
    private static final int SHOWN = 3;
    private static final int EXCERPT = 400;

    private DataInspection() {}

    /** Reads {@code file} as preference data and writes the report; {@code tokenizer} may be null. */
    public static String report(Path file, PreferenceFormat format, OnError onError, TextTokenizer tokenizer, TokenLimits limits) {
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(file, format, onError);
        StringBuilder out = new StringBuilder();
        out.append("file: ").append(file).append('\n');
        out.append("format: ").append(read.format()).append('\n');
        out.append("examples: ").append(read.examples().size()).append('\n');
        out.append("problems: ").append(read.problemCount());
        for (Map.Entry<Problem, Integer> e : new java.util.TreeMap<>(read.problems()).entrySet()) {
            out.append("\n  ").append(e.getKey().label()).append(": ").append(e.getValue());
        }
        for (String message : read.firstProblemMessages()) out.append("\n  e.g. ").append(message);
        out.append('\n');
        ChatTemplate template = tokenizer == null ? ChatTemplate.PLAIN : ChatTemplate.forTokenizer(tokenizer);
        List<TokenizedPair> shown = new ArrayList<>();
        if (tokenizer != null && !read.examples().isEmpty()) {
            PairTokenizer unlimited = new PairTokenizer(tokenizer, template, TokenLimits.NONE);
            PairTokenizer limited = new PairTokenizer(tokenizer, template, limits);
            int n = read.examples().size();
            int[] prompt = new int[n];
            int[] chosen = new int[n];
            int[] rejected = new int[n];
            for (int i = 0; i < n; i++) {
                TokenizedPair pair = unlimited.tokenize(read.examples().get(i)).orElseThrow();
                prompt[i] = pair.promptIds().length;
                chosen[i] = pair.chosenIds().length;
                rejected[i] = pair.rejectedIds().length;
                Optional<TokenizedPair> cut = limited.tokenize(read.examples().get(i));
                if (shown.size() < SHOWN) cut.ifPresent(shown::add);
            }
            out.append("token lengths (before limits; responses include EOS):\n");
            out.append(histogram("prompt", prompt)).append(histogram("chosen", chosen)).append(histogram("rejected", rejected));
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
        for (int i = 0; i < Math.min(SHOWN, read.examples().size()); i++) {
            PreferenceExample e = read.examples().get(i);
            String p;
            String c;
            String r;
            if (tokenizer != null && i < shown.size()) {
                TokenizedPair pair = shown.get(i);
                p = tokenizer.decode(pair.promptIds());
                c = tokenizer.decode(pair.chosenIds());
                r = tokenizer.decode(pair.rejectedIds());
                e = read.examples().stream().filter(x -> x.source().equals(pair.source())).findFirst().orElse(e);
            } else {
                PreferenceExample.TextTriple t = e.render(template);
                p = t.prompt();
                c = t.chosen();
                r = t.rejected();
            }
            out.append("--- ").append(e.source()).append('\n');
            out.append("chosen:   ").append(tail(p)).append(BOUNDARY).append(head(c)).append('\n');
            out.append("rejected: ").append(tail(p)).append(BOUNDARY).append(head(r)).append('\n');
        }
        return out.toString();
    }

    private static String tail(String s) { return s.length() <= EXCERPT ? s : "…" + s.substring(s.length() - EXCERPT); }

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
