package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
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
import picocli.CommandLine.Option;

/**
 * Scores (prompt, response) records: per line, the response's summed log-prob, its token count
 * and the mean next-token entropy over it, tab-separated.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Print, per JSONL record {\"prompt\":[ids],\"response\":[ids]}: log-prob, tokens, mean entropy.")
public final class ScoreCommand implements Callable<Integer> {
    private static final int BATCH = 16;

    @Option(names = "--model", required = true, description = "llama2.c checkpoint (.bin)")
    Path model;

    @Option(names = "--data", required = true, description = "JSONL file of {\"prompt\": [ids], \"response\": [ids]}")
    Path data;

    @Override
    public Integer call() throws IOException {
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        readRecords(prompts, responses);
        try (NDManager manager = NDManager.newBaseManager(); CausalLM lm = ModelFiles.load(model, manager)) {
            for (int start = 0; start < prompts.size(); start += BATCH) {
                int end = Math.min(start + BATCH, prompts.size());
                try (NDManager step = manager.newSubManager()) {
                    SequenceScorer.Scores s = SequenceScorer.score(lm,
                            ResponseBatch.rightPadded(step, prompts.subList(start, end), responses.subList(start, end), 0));
                    double[] logProbs = s.sequenceLogProbs().toType(DataType.FLOAT64, false).toDoubleArray();
                    double[] entropy = s.meanEntropy().toType(DataType.FLOAT64, false).toDoubleArray();
                    for (int i = 0; i < end - start; i++)
                        System.out.printf(Locale.ROOT, "%.6f\t%d\t%.6f%n", logProbs[i], responses.get(start + i).length, entropy[i]);
                }
            }
        }
        return 0;
    }

    private void readRecords(List<int[]> prompts, List<int[]> responses) throws IOException {
        ObjectMapper json = new ObjectMapper();
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
                prompts.add(ids(record, "prompt", number));
                responses.add(ids(record, "response", number));
            }
        } catch (NoSuchFileException e) {
            throw new UserError("data file " + data + " does not exist");
        }
    }

    private int[] ids(JsonNode record, String field, int line) {
        JsonNode node = record.get(field);
        if (node == null || !node.isArray() || node.isEmpty())
            throw new UserError(data + " line " + line + ": field \"" + field + "\" must be a non-empty array of token ids");
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!node.get(i).canConvertToInt())
                throw new UserError(data + " line " + line + ": field \"" + field + "\" item " + i + " is not a token id");
            ids[i] = node.get(i).intValue();
        }
        return ids;
    }
}
