package io.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads supervised fine-tuning data: JSONL (or a JSON array) of {@code {"text"}},
 * {@code {"prompt", "completion"}} (strings or message lists) or {@code {"messages"}}, the format
 * fixed by the first record; or a plain text file, one example per blank-line-separated paragraph.
 */
public final class SftDatasets {
    private SftDatasets() {}

    public static DatasetRead<SftExample> read(Path file, OnError onError) {
        List<SftExample> examples = new ArrayList<>();
        ProblemTally problems = new ProblemTally();
        if (RecordReader.layout(file) == RecordReader.Layout.PLAIN_TEXT) {
            RecordReader.forEachParagraph(file, onError, problems,
                    (paragraph, where) -> examples.add(SftExample.text("", paragraph, where.toString())));
            return new DatasetRead<>(file, "text", examples, problems.counts(), problems.firstMessages());
        }
        String[] format = {null};
        RecordReader.forEachJson(file, onError, problems, (record, where) -> {
            if (format[0] == null) {
                format[0] = record.has("messages") ? "messages" : record.has("completion") ? "prompt-completion"
                        : record.has("text") ? "text" : null;
                if (format[0] == null) {
                    throw where.error(Problem.UNKNOWN_FORMAT, null, "keys " + PreferenceDatasets.fieldNames(record)
                            + " fit no SFT format (expected text, prompt/completion, or messages)");
                }
            }
            examples.add(parse(record, format[0], where));
        });
        return new DatasetRead<>(file, format[0] == null ? "unknown" : format[0], examples, problems.counts(), problems.firstMessages());
    }

    /**
     * {@code {prompt, completion}}, strings or message lists (a string beside a list becomes one
     * user or assistant turn). The prompt must not be empty; the completion may be only when
     * {@code emptyCompletionAllowed} (unpaired preference data, where saying nothing can be the
     * labelled answer; SFT would have nothing to train on).
     */
    static SftExample promptCompletion(JsonNode record, RecordLocation where, boolean emptyCompletionAllowed) {
        String source = where.toString();
        JsonNode prompt = Fields.require(record, "prompt", "prompt", where);
        JsonNode completion = Fields.require(record, "completion", "completion", where);
        if (prompt.isArray() || completion.isArray()) {
            return SftExample.conversation(
                    prompt.isTextual() ? List.of(Message.user(prompt.asText())) : Fields.messages(prompt, "prompt", where, false),
                    completion.isTextual() ? List.of(Message.assistant(completionText(record, where, emptyCompletionAllowed)))
                            : Fields.messages(completion, "completion", where, !emptyCompletionAllowed), source);
        }
        return SftExample.text(Fields.text(record, "prompt", "prompt", where), completionText(record, where, emptyCompletionAllowed), source);
    }

    private static String completionText(JsonNode record, RecordLocation where, boolean emptyAllowed) {
        return emptyAllowed ? Fields.string(record, "completion", "completion", where) : Fields.text(record, "completion", "completion", where);
    }

    private static SftExample parse(JsonNode record, String format, RecordLocation where) {
        String source = where.toString();
        switch (format) {
            case "text":
                return SftExample.text("", Fields.text(record, "text", "text", where), source);
            case "prompt-completion":
                return promptCompletion(record, where, false);
            default: {
                List<Message> messages = Fields.messages(record, "messages", "messages", where, false);
                int split = messages.size();
                while (split > 0 && messages.get(split - 1).role().equals("assistant")) split--;
                if (split == messages.size()) {
                    throw where.error(Problem.MISSING_FIELD, "messages", "the conversation does not end with an assistant turn to train on");
                }
                List<Message> completion = messages.subList(split, messages.size());
                if (completion.stream().allMatch(m -> m.content().isBlank())) {
                    throw where.error(Problem.EMPTY_FIELD, "messages[" + split + "].content", "empty");
                }
                return SftExample.conversation(messages.subList(0, split), completion, source);
            }
        }
    }
}
