package io.align4j.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.util.UserError;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads unpaired preference data, TRL's format for KTO: JSONL (or a JSON array) of
 * {@code {"prompt", "completion", "label": true|false}}, prompt and completion strings or
 * message lists. The prompt must not be empty and the label must be a JSON boolean; the
 * completion may be empty unless {@code dropEmpty}, which leaves such records out and counts them.
 *
 * <p>A preference file (any {@link PreferenceFormat}) is read and unpaired as TRL's
 * {@code unpair_preference_dataset} does: every chosen response desirable, then every rejected
 * one undesirable, in file order.
 */
public final class UnpairedDatasets {
    /** The format label of a file that was already unpaired. */
    public static final String FORMAT = "unpaired";
    private static final ObjectMapper JSON = new ObjectMapper();

    private UnpairedDatasets() {}

    public static DatasetRead<UnpairedExample> read(Path file, OnError onError, boolean dropEmpty) {
        if (!isUnpaired(file)) {
            DatasetRead<PreferenceExample> pairs = PreferenceDatasets.read(file, PreferenceFormat.AUTO, onError,
                    new PairFilter(dropEmpty, null, null));
            return new DatasetRead<>(file, pairs.format() + ", unpaired", unpair(pairs.examples()), pairs.problems(),
                    pairs.firstProblemMessages());
        }
        List<UnpairedExample> examples = new ArrayList<>();
        ProblemTally problems = new ProblemTally();
        RecordReader.forEachJson(file, onError, problems, (record, where) -> {
            UnpairedExample example = new UnpairedExample(SftDatasets.promptCompletion(record, where, true),
                    Fields.bool(record, "label", "label", where));
            if (dropEmpty && example.completionIsEmpty()) problems.count(where.error(Problem.EMPTY_RESPONSE, "completion", "empty, dropped"));
            else examples.add(example);
        });
        return new DatasetRead<>(file, FORMAT, examples, problems.counts(), problems.firstMessages());
    }

    /** Whether the file's first well-formed record has the unpaired keys ({@code completion} and {@code label}). */
    private static boolean isUnpaired(Path file) {
        com.fasterxml.jackson.databind.JsonNode first = RecordReader.firstRecord(file);
        return first != null && first.has("completion") && first.has("label");
    }

    /** Every chosen response as desirable, then every rejected one as undesirable (TRL's order). */
    public static List<UnpairedExample> unpair(List<PreferenceExample> pairs) {
        List<UnpairedExample> out = new ArrayList<>(2 * pairs.size());
        for (PreferenceExample p : pairs) out.add(UnpairedExample.chosenOf(p));
        for (PreferenceExample p : pairs) out.add(UnpairedExample.rejectedOf(p));
        return out;
    }

    /** Writes {@code examples} as JSONL {@code {"prompt", "completion", "label"}} (message lists for conversations). */
    public static void write(List<UnpairedExample> examples, Path out) {
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (UnpairedExample e : examples) {
                ObjectNode record = JSON.createObjectNode();
                SftExample x = e.example();
                if (x.isConversation()) {
                    record.set("prompt", messages(x.promptMessages()));
                    record.set("completion", messages(x.completionMessages()));
                } else {
                    record.put("prompt", x.prompt());
                    record.put("completion", x.completion());
                }
                record.put("label", e.desirable());
                w.write(JSON.writeValueAsString(record));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UserError("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    private static ArrayNode messages(List<Message> messages) {
        ArrayNode list = JSON.createArrayNode();
        for (Message m : messages) list.addObject().put("role", m.role()).put("content", m.content());
        return list;
    }
}
