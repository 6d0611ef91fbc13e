package io.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads prompts for online methods: JSONL (or a JSON array) of {@code {"prompt"}} (a string or
 * messages) or {@code {"messages"}} (trailing assistant turns dropped), or the prompts of any
 * preference file ({@link PreferenceFormat}).
 */
public final class PromptDatasets {
    private PromptDatasets() {}

    public static DatasetRead<PromptExample> read(Path file, OnError onError) {
        List<PromptExample> examples = new ArrayList<>();
        ProblemTally problems = new ProblemTally();
        String[] format = {null};
        RecordReader.forEachJson(file, onError, problems, (record, where) -> {
            if (format[0] == null) format[0] = detect(record, where);
            examples.add(parse(record, format[0], where));
        });
        return new DatasetRead<>(file, format[0] == null ? "unknown" : format[0], examples, problems.counts(), problems.firstMessages());
    }

    private static String detect(JsonNode record, RecordLocation where) {
        PreferenceFormat preference = PreferenceFormat.detect(record);
        if (preference != null) return preference.label();
        if (record.has("prompt")) return "prompt";
        if (record.has("messages")) return "messages";
        throw where.error(Problem.UNKNOWN_FORMAT, null, "keys " + PreferenceDatasets.fieldNames(record)
                + " fit no prompt format (expected prompt, messages, or a preference format)");
    }

    private static PromptExample parse(JsonNode record, String format, RecordLocation where) {
        String source = where.toString();
        if (format.equals("prompt")) {
            JsonNode prompt = Fields.require(record, "prompt", "prompt", where);
            if (prompt.isArray()) return new PromptExample(null, Fields.messages(prompt, "prompt", where, false), source);
            return new PromptExample(Fields.text(record, "prompt", "prompt", where), List.of(), source);
        }
        if (format.equals("messages")) {
            List<Message> messages = Fields.messages(record, "messages", "messages", where, false);
            int end = messages.size();
            while (end > 0 && messages.get(end - 1).role().equals("assistant")) end--;
            if (end == 0) throw where.error(Problem.EMPTY_FIELD, "messages", "no turn before the assistant's to use as the prompt");
            return new PromptExample(null, messages.subList(0, end), source);
        }
        PreferenceExample example = PreferenceDatasets.parse(record, PreferenceFormat.parse(format), where);
        return example.isConversation()
                ? new PromptExample(null, example.promptMessages(), source)
                : new PromptExample(example.prompt(), List.of(), source);
    }
}
