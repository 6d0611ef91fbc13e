package io.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads preference data in every {@link PreferenceFormat}, streaming, and checks each record:
 * required fields present, of the right type and not empty, chosen different from rejected.
 */
public final class PreferenceDatasets {
    /** Markers after which an assistant turn starts, tried when cutting an implicit prompt back to a turn. */
    private static final List<String> ASSISTANT_TURN_MARKERS = List.of(
            "Assistant:", "assistant:", "<|im_start|>assistant\n", "<|assistant|>\n", "<|assistant|>", "[/INST]",
            "### Assistant:\n", "<|start_header_id|>assistant<|end_header_id|>\n\n");

    private PreferenceDatasets() {}

    /** Reads all examples of {@code file} into memory. */
    public static DatasetRead<PreferenceExample> read(Path file, PreferenceFormat format, OnError onError) {
        List<PreferenceExample> examples = new ArrayList<>();
        ProblemTally problems = new ProblemTally();
        PreferenceFormat detected = stream(file, format, onError, problems, examples::add);
        return new DatasetRead<>(file, detected == null ? format.label() : detected.label(), examples,
                problems.counts(), problems.firstMessages());
    }

    /**
     * Streams the examples of {@code file} to {@code sink} without holding them; returns the
     * format used (null if the file had no valid record to detect it from).
     */
    static PreferenceFormat stream(Path file, PreferenceFormat format, OnError onError, ProblemTally problems,
            Consumer<PreferenceExample> sink) {
        PreferenceFormat[] chosen = {format == PreferenceFormat.AUTO ? null : format};
        RecordReader.forEachJson(file, onError, problems, (record, where) -> {
            if (chosen[0] == null) {
                PreferenceFormat detected = PreferenceFormat.detect(record);
                if (detected == null) {
                    throw where.error(Problem.UNKNOWN_FORMAT, null, "keys " + fieldNames(record) + " fit no preference format"
                            + " (expected prompt/chosen/rejected, chosen/rejected, conversations/chosen/rejected,"
                            + " or input/preferred_output/non_preferred_output)");
                }
                chosen[0] = detected;
            }
            sink.accept(parse(record, chosen[0], where));
        });
        return chosen[0];
    }

    static List<String> fieldNames(JsonNode record) {
        List<String> names = new ArrayList<>();
        record.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** One record in a known format. */
    static PreferenceExample parse(JsonNode record, PreferenceFormat format, RecordLocation where) {
        String source = where.toString();
        PreferenceExample example = switch (format) {
            case STANDARD, CONVERSATIONAL -> standard(record, where, source);
            case IMPLICIT -> implicit(record, where, source);
            case SHAREGPT -> {
                List<Message> prompt = new ArrayList<>();
                JsonNode system = record.get("system");
                if (system != null && system.isTextual() && !system.asText().isBlank()) prompt.add(Message.system(system.asText()));
                prompt.addAll(Fields.messages(record, "conversations", "conversations", where, false));
                yield PreferenceExample.conversation(prompt,
                        Fields.messages(record, "chosen", "chosen", where, true),
                        Fields.messages(record, "rejected", "rejected", where, true), source);
            }
            case OPENAI -> {
                JsonNode input = Fields.require(record, "input", "input", where);
                if (!input.isObject()) throw where.error(Problem.WRONG_TYPE, "input", "expected an object, got " + Fields.typeName(input));
                yield PreferenceExample.conversation(
                        Fields.messages(input, "messages", "input.messages", where, false),
                        Fields.messages(record, "preferred_output", "preferred_output", where, true),
                        Fields.messages(record, "non_preferred_output", "non_preferred_output", where, true), source);
            }
            case AUTO -> throw new IllegalArgumentException("AUTO is resolved before parsing");
        };
        boolean identical = example.isConversation()
                ? example.chosenMessages().equals(example.rejectedMessages())
                : example.chosen().equals(example.rejected());
        if (identical) {
            throw where.error(Problem.IDENTICAL_RESPONSES, format == PreferenceFormat.OPENAI ? "non_preferred_output" : "rejected",
                    "identical to the chosen response");
        }
        return example;
    }

    /** prompt/chosen/rejected; if any of them is a message list, strings become one user (prompt) or assistant (response) turn. */
    private static PreferenceExample standard(JsonNode record, RecordLocation where, String source) {
        JsonNode prompt = Fields.require(record, "prompt", "prompt", where);
        JsonNode chosen = Fields.require(record, "chosen", "chosen", where);
        JsonNode rejected = Fields.require(record, "rejected", "rejected", where);
        if (prompt.isArray() || chosen.isArray() || rejected.isArray()) {
            return PreferenceExample.conversation(
                    prompt.isTextual() ? List.of(Message.user(Fields.text(record, "prompt", "prompt", where)))
                            : Fields.messages(prompt, "prompt", where, false),
                    chosen.isTextual() ? List.of(Message.assistant(Fields.text(record, "chosen", "chosen", where)))
                            : Fields.messages(chosen, "chosen", where, true),
                    rejected.isTextual() ? List.of(Message.assistant(Fields.text(record, "rejected", "rejected", where)))
                            : Fields.messages(rejected, "rejected", where, true), source);
        }
        return PreferenceExample.text(Fields.text(record, "prompt", "prompt", where),
                Fields.text(record, "chosen", "chosen", where), Fields.text(record, "rejected", "rejected", where), source);
    }

    /**
     * chosen/rejected only. Message lists: the prompt is their longest common run of leading
     * turns. Texts: the prompt is their longest common prefix, cut back to the end of the last
     * assistant-turn marker inside it ({@code Assistant:}, {@code <|im_start|>assistant\n},
     * {@code [/INST]}, ...) when there is one, else to a word boundary so neither response starts
     * mid-word.
     */
    private static PreferenceExample implicit(JsonNode record, RecordLocation where, String source) {
        JsonNode chosen = Fields.require(record, "chosen", "chosen", where);
        JsonNode rejected = Fields.require(record, "rejected", "rejected", where);
        if (chosen.isArray() && rejected.isArray()) {
            List<Message> c = Fields.messages(chosen, "chosen", where, false);
            List<Message> r = Fields.messages(rejected, "rejected", where, false);
            int k = 0;
            while (k < c.size() && k < r.size() && c.get(k).equals(r.get(k))) k++;
            if (k == c.size() && k == r.size()) throw where.error(Problem.IDENTICAL_RESPONSES, "rejected", "identical to the chosen dialogue");
            if (k == 0) throw where.error(Problem.NO_COMMON_PROMPT, "chosen", "chosen and rejected share no leading turn to use as the prompt");
            if (k == c.size()) throw where.error(Problem.EMPTY_FIELD, "chosen", "no turns after the common prompt");
            if (k == r.size()) throw where.error(Problem.EMPTY_FIELD, "rejected", "no turns after the common prompt");
            checkResponse(c.subList(k, c.size()), "chosen", where);
            checkResponse(r.subList(k, r.size()), "rejected", where);
            return PreferenceExample.conversation(c.subList(0, k), c.subList(k, c.size()), r.subList(k, r.size()), source);
        }
        String c = Fields.text(record, "chosen", "chosen", where);
        String r = Fields.text(record, "rejected", "rejected", where);
        if (c.equals(r)) throw where.error(Problem.IDENTICAL_RESPONSES, "rejected", "identical to the chosen text");
        int k = implicitPromptLength(c, r);
        if (k == 0) throw where.error(Problem.NO_COMMON_PROMPT, "chosen", "chosen and rejected have no common start to use as the prompt");
        if (c.substring(k).isBlank()) throw where.error(Problem.EMPTY_FIELD, "chosen", "nothing after the common prompt");
        if (r.substring(k).isBlank()) throw where.error(Problem.EMPTY_FIELD, "rejected", "nothing after the common prompt");
        return PreferenceExample.text(c.substring(0, k), c.substring(k), r.substring(k), source);
    }

    private static void checkResponse(List<Message> turns, String field, RecordLocation where) {
        if (turns.stream().allMatch(m -> m.content().isBlank())) throw where.error(Problem.EMPTY_FIELD, field, "the response turns are empty");
    }

    /** Length of the implicit prompt of two texts (see {@link #implicit}). */
    static int implicitPromptLength(String chosen, String rejected) {
        int common = 0;
        int max = Math.min(chosen.length(), rejected.length());
        while (common < max && chosen.charAt(common) == rejected.charAt(common)) common++;
        String prefix = chosen.substring(0, common);
        int turnEnd = -1;
        for (String marker : ASSISTANT_TURN_MARKERS) {
            int at = prefix.lastIndexOf(marker);
            if (at >= 0) turnEnd = Math.max(turnEnd, at + marker.length());
        }
        if (turnEnd > 0) return turnEnd;
        int k = common;
        while (k > 0 && (midWord(chosen, k) || midWord(rejected, k))) k--;
        return k;
    }

    /** True when position {@code k} falls between two word characters or inside a surrogate pair. */
    private static boolean midWord(String s, int k) {
        if (k >= s.length()) return false;
        if (Character.isLowSurrogate(s.charAt(k))) return true;
        return Character.isLetterOrDigit(s.charAt(k - 1)) && Character.isLetterOrDigit(s.charAt(k));
    }
}
