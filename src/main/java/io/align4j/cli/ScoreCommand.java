package io.align4j.cli;

import io.align4j.LanguageModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.data.BoundarySplit;
import io.align4j.util.UserError;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Scores (prompt, response) records: per line, the response's summed log-prob, its token count
 * and the mean next-token entropy over it, tab-separated.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Print, per JSONL record {\"prompt\", \"response\"} (texts or token-id arrays): "
                + "log-prob, tokens, mean entropy.")
public final class ScoreCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--data", required = true, description = "JSONL file of {\"prompt\": ..., \"response\": ...}, "
            + "each a text (tokenized so that prompt + response ids equal the whole text's) or an array of token ids")
    Path data;

    @Override
    public Integer call() throws IOException {
        List<JsonNode> records = readRecords();
        try (LanguageModel lm = modelOptions.open()) {
            List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                JsonNode r = records.get(i);
                int line = r.get(LINE).intValue();
                if (r.get("prompt").isTextual() && r.get("response").isTextual()) {
                    BoundarySplit split = BoundarySplit.of(lm.tokenizer(), true, r.get("prompt").textValue(),
                            r.get("response").textValue());
                    if (split.responseIds()[0].length == 0)
                        throw new UserError(data + " line " + line + ": field \"response\" has no tokens");
                    prompts.add(split.promptIds());
                    responses.add(split.responseIds()[0]);
                } else {
                    prompts.add(ids(r, "prompt", line));
                    responses.add(ids(r, "response", line));
                }
            }
            for (LanguageModel.Score s : lm.scoreIds(prompts, responses))
                System.out.printf(Locale.ROOT, "%.6f\t%d\t%.6f%n", s.logProb(), s.tokens(), s.meanEntropy());
        }
        return 0;
    }

    /** Field under which a record keeps its 1-based line number, for messages. */
    private static final String LINE = "__line";

    private List<JsonNode> readRecords() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> records = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(data)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                JsonNode record;
                try {
                    record = json.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new UserError(data + " line " + number + ": not JSON (" + e.getOriginalMessage() + ")");
                }
                for (String field : new String[] {"prompt", "response"})
                    if (!record.isObject() || !record.has(field))
                        throw new UserError(data + " line " + number + ": field \"" + field + "\" is missing");
                ((com.fasterxml.jackson.databind.node.ObjectNode) record).put(LINE, number);
                records.add(record);
            }
        } catch (NoSuchFileException e) {
            throw new UserError("data file " + data + " does not exist");
        }
        return records;
    }

    private int[] ids(JsonNode record, String field, int line) {
        JsonNode node = record.get(field);
        if (node == null || !node.isArray() || node.isEmpty())
            throw new UserError(data + " line " + line + ": field \"" + field
                    + "\" must be a text or a non-empty array of token ids (both fields of one kind)");
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!node.get(i).canConvertToInt())
                throw new UserError(data + " line " + line + ": field \"" + field + "\" item " + i + " is not a token id");
            ids[i] = node.get(i).intValue();
        }
        return ids;
    }
}
