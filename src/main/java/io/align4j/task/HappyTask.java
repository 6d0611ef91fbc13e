package io.align4j.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.data.OnError;
import io.align4j.data.PromptDatasets;
import io.align4j.data.PromptExample;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A built {@code tinystories-happy} task, as the evaluation reads it back: its settings, the
 * held-out prompts and π_0's reference pool for them.
 *
 * @param model          the model the task was built from (its π_0), resolved against the data root when relative
 * @param evalPrompts    held-out prompt texts
 * @param poolResponses  [prompt][M] responses of π_0
 * @param poolRewards    [prompt][M] their gold rewards
 */
public record HappyTask(Path dir, TaskSettings settings, Path model, List<String> evalPrompts,
                        int[][][] poolResponses, double[][] poolRewards) {

    /** The target and labeller of this task over {@code tokenizer}. */
    public KnownTarget target(TextTokenizer tokenizer) {
        return new KnownTarget(tokenizer, new HappinessJudge(), settings.tau(), settings.gamma());
    }

    /** Reads the task in {@code dir}; a missing or malformed file is a {@link UserError} naming it. */
    public static HappyTask load(Path dir) {
        Path meta = dir.resolve(TaskBuilder.TASK_FILE);
        if (!Files.isRegularFile(meta))
            throw new UserError("task folder " + dir + " has no " + TaskBuilder.TASK_FILE + " (build one with: align4j task "
                    + TaskSettings.NAME + " build --pairs N --out " + dir + ")");
        ObjectMapper json = new ObjectMapper();
        TaskSettings settings;
        Path model;
        try {
            JsonNode root = json.readTree(meta.toFile());
            if (!TaskSettings.NAME.equals(root.path("task").asText()))
                throw new UserError(meta + ": field task is '" + root.path("task").asText() + "', expected " + TaskSettings.NAME);
            settings = json.treeToValue(root.get("settings"), TaskSettings.class);
            model = DataPaths.root().resolve(root.path("model").asText());
        } catch (IOException | IllegalArgumentException e) {
            throw new UserError(meta + ": cannot read the task settings: " + e.getMessage(), e);
        }
        List<String> prompts = new ArrayList<>();
        for (PromptExample p : PromptDatasets.read(dir.resolve(TaskBuilder.EVAL_PROMPTS), OnError.FAIL).examples()) prompts.add(p.prompt());
        Path poolFile = dir.resolve(TaskBuilder.REFERENCE_POOL);
        int[][][] responses = new int[prompts.size()][][];
        double[][] rewards = new double[prompts.size()][];
        try (BufferedReader r = Files.newBufferedReader(poolFile, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                JsonNode rec = json.readTree(line);
                int p = rec.path("prompt_index").asInt(-1);
                if (p < 0 || p >= prompts.size())
                    throw new UserError(poolFile + " line " + lineNo + ": field prompt_index " + rec.get("prompt_index")
                            + " is not one of the " + prompts.size() + " held-out prompts");
                responses[p] = json.treeToValue(rec.get("responses"), int[][].class);
                rewards[p] = json.treeToValue(rec.get("rewards"), double[].class);
                if (responses[p] == null || rewards[p] == null || responses[p].length != rewards[p].length)
                    throw new UserError(poolFile + " line " + lineNo + ": fields responses and rewards must be arrays of one length");
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + poolFile + ": " + e.getMessage(), e);
        }
        for (int p = 0; p < prompts.size(); p++)
            if (responses[p] == null) throw new UserError(poolFile + " has no line for held-out prompt " + p);
        return new HappyTask(dir, settings, model, List.copyOf(prompts), responses, rewards);
    }
}
