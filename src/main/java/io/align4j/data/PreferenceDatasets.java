package io.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads preference data in every {@link PreferenceFormat}, streaming, and checks each record:
 * required fields present and of the right type, prompts not empty, chosen different from
 * rejected. A response may be empty (an answer of nothing is still an answer); a
 * {@link PairFilter} can drop such pairs, or select a split or a minimum score gap.
 */
public final class PreferenceDatasets {
    /** Markers after which an assistant turn starts, tried when cutting an implicit prompt back to a turn. */
    private static final List<String> ASSISTANT_TURN_MARKERS = List.of(
            "Assistant:", "assistant:", "<|im_start|>assistant\n", "<|assistant|>\n", "<|assistant|>", "[/INST]",
            "### Assistant:\n", "<|start_header_id|>assistant<|end_header_id|>\n\n");

    private PreferenceDatasets() {}

    /** Reads all valid examples of {@code file} into memory. */
    public static DatasetRead<PreferenceExample> read(Path file, PreferenceFormat format, OnError onError) {
        return read(file, format, onError, PairFilter.ALL);
    }

    /** Reads the examples of {@code file} that {@code filter} keeps into memory. */
    public static DatasetRead<PreferenceExample> read(Path file, PreferenceFormat format, OnError onError, PairFilter filter) {
        List<PreferenceExample> examples = new ArrayList<>();
        ProblemTally problems = new ProblemTally();
        PreferenceFormat detected = stream(file, format, onError, filter, problems, examples::add);
        return new DatasetRead<>(file, detected == null ? format.label() : detected.label(), examples,
                problems.counts(), problems.firstMessages());
    }

    /**
     * Streams the examples of {@code file} that {@code filter} keeps to {@code sink} without
     * holding them, counting those it leaves out in {@code problems}; returns the format used
     * (null if the file had no valid record to detect it from).
     */
    static PreferenceFormat stream(Path file, PreferenceFormat format, OnError onError, PairFilter filter, ProblemTally problems,
            Consumer<PreferenceExample> sink) {
        PreferenceFormat[] chosen = {format == PreferenceFormat.AUTO ? null : format};
        RecordReader.forEachJson(file, onError, problems, (record, where) -> {
            if (chosen[0] == null) {
                PreferenceFormat detected = PreferenceFormat.detect(record);
                if (detected == null) {
                    boolean unpaired = record.has("completion") && record.has("label");
                    throw where.error(Problem.UNKNOWN_FORMAT, null, "keys " + fieldNames(record) + " fit no preference format"
                            + " (expected prompt/chosen/rejected, chosen/rejected, conversations/chosen/rejected,"
                            + " input/preferred_output/non_preferred_output, info/summaries/choice,"
                            + " or chosen/rejected/score_chosen/score_rejected)"
                            + (unpaired ? "; unpaired prompt/completion/label data trains with --objective kto" : ""));
                }
                chosen[0] = detected;
            }
            PreferenceExample example = parse(record, chosen[0], where);
            RecordError leftOut = filter.reasonToLeaveOut(example, where);
            if (leftOut == null) sink.accept(example);
            else problems.count(leftOut);
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
                        Fields.messages(record, "chosen", "chosen", where, false),
                        Fields.messages(record, "rejected", "rejected", where, false), source);
            }
            case OPENAI -> {
                JsonNode input = Fields.object(record, "input", "input", where);
                yield PreferenceExample.conversation(
                        Fields.messages(input, "messages", "input.messages", where, false),
                        Fields.messages(record, "preferred_output", "preferred_output", where, false),
                        Fields.messages(record, "non_preferred_output", "non_preferred_output", where, false), source);
            }
            case SUMMARIZE_FROM_FEEDBACK -> SummarizeFromFeedback.parse(record, where, source);
            case SCORED -> scored(record, where, source);
            case AUTO -> throw new IllegalArgumentException("AUTO is resolved before parsing");
        };
        boolean identical = example.isConversation()
                ? example.chosenMessages().equals(example.rejectedMessages())
                : example.chosen().equals(example.rejected());
        if (identical) {
            String field = switch (format) {
                case OPENAI -> "non_preferred_output";
                case SUMMARIZE_FROM_FEEDBACK -> "summaries";
                default -> "rejected";
            };
            throw where.error(Problem.IDENTICAL_RESPONSES, field, "identical to the chosen response");
        }
        return example;
    }

    /**
     * prompt/chosen/rejected; if any of them is a message list, strings become one user (prompt) or
     * assistant (response) turn. The prompt must not be empty; the responses may be.
     */
    private static PreferenceExample standard(JsonNode record, RecordLocation where, String source) {
        JsonNode prompt = Fields.require(record, "prompt", "prompt", where);
        JsonNode chosen = Fields.require(record, "chosen", "chosen", where);
        JsonNode rejected = Fields.require(record, "rejected", "rejected", where);
        if (prompt.isArray() || chosen.isArray() || rejected.isArray()) {
            return PreferenceExample.conversation(
                    prompt.isTextual() ? List.of(Message.user(Fields.text(record, "prompt", "prompt", where)))
                            : Fields.messages(prompt, "prompt", where, false),
                    chosen.isTextual() ? List.of(Message.assistant(Fields.string(record, "chosen", "chosen", where)))
                            : Fields.messages(chosen, "chosen", where, false),
                    rejected.isTextual() ? List.of(Message.assistant(Fields.string(record, "rejected", "rejected", where)))
                            : Fields.messages(rejected, "rejected", where, false), source);
        }
        return PreferenceExample.text(Fields.text(record, "prompt", "prompt", where),
                Fields.string(record, "chosen", "chosen", where), Fields.string(record, "rejected", "rejected", where), source);
    }

    /**
     * UltraFeedback's scored pairs: when {@code chosen} is a whole dialogue (its first turn is not
     * the assistant's) the prompt is the dialogues' common leading turns, as in {@link #implicit};
     * otherwise the responses follow {@code prompt}, as in {@link #standard}. Both scores are
     * required numbers.
     */
    private static PreferenceExample scored(JsonNode record, RecordLocation where, String source) {
        double scoreChosen = Fields.number(record, "score_chosen", "score_chosen", where);
        double scoreRejected = Fields.number(record, "score_rejected", "score_rejected", where);
        JsonNode chosen = Fields.require(record, "chosen", "chosen", where);
        boolean wholeDialogue = chosen.isArray() && !chosen.isEmpty() && !"assistant".equals(chosen.get(0).path("role").asText());
        PreferenceExample pair = wholeDialogue || !record.has("prompt") ? implicit(record, where, source) : standard(record, where, source);
        return pair.withAnnotations(PairAnnotations.scores(scoreChosen, scoreRejected));
    }

    /**
     * chosen/rejected only. Message lists: the prompt is their longest common run of leading
     * turns. Texts: the prompt is their longest common prefix, cut back to the end of the last
     * assistant-turn marker inside it ({@code Assistant:}, {@code <|im_start|>assistant\n},
     * {@code [/INST]}, ...) when there is one, else to a word boundary so neither response starts
     * mid-word. A response may be empty (hh-rlhf's dialogues where the assistant said nothing).
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
            return PreferenceExample.conversation(c.subList(0, k), c.subList(k, c.size()), r.subList(k, r.size()), source);
        }
        String c = Fields.text(record, "chosen", "chosen", where);
        String r = Fields.text(record, "rejected", "rejected", where);
        if (c.equals(r)) throw where.error(Problem.IDENTICAL_RESPONSES, "rejected", "identical to the chosen text");
        int k = implicitPromptLength(c, r);
        if (k == 0) throw where.error(Problem.NO_COMMON_PROMPT, "chosen", "chosen and rejected have no common start to use as the prompt");
        return PreferenceExample.text(c.substring(0, k), c.substring(k), r.substring(k), source);
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
