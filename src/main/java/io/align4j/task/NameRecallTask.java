package io.align4j.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.align4j.generate.BatchSampling;
import io.align4j.model.CausalLM;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds {@code name-recall}, a verifiable task for GRPO and pass@k on stories260K, from π_0 and
 * a seed alone, the way {@link TaskBuilder} builds {@code tinystories-happy}:
 * <ol>
 *   <li>story openings sampled from BOS and cut by {@link Openings}, kept when they introduce a
 *       character ({@code named X}, {@link NameRecall#names}); the first {@code evalPrompts}
 *       distinct ones are held out, the next {@code trainPrompts} train;</li>
 *   <li>the reward ({@link NameRecall}): a completion of exactly {@code responseTokens} tokens
 *       (BOS and EOS suppressed) succeeds when it names an introduced character;</li>
 *   <li>the base model's success on each held-out prompt, from {@code probeSamples} samples,
 *       summarised in {@code task.json}: the spread of per-prompt success from about 0 (the
 *       story has moved on, or the name is one the model rarely writes) to high (the prompt
 *       ends on the character), which is what makes pass@k at large k informative.</li>
 * </ol>
 * Files: {@code prompts_train.jsonl}, {@code prompts_eval.jsonl} ({@code {"prompt"}}) and
 * {@code task.json} (settings, base success summary, and per held-out prompt its names and
 * base success rate). Same seed, same files.
 */
public final class NameRecallTask {
    public static final String NAME = "name-recall";
    private static final long PROBE_STREAM = 6;

    private NameRecallTask() {}

    /**
     * @param seed           everything derives from it
     * @param responseTokens L, the exact completion length the task is scored at
     * @param openingTokens  tokens sampled from BOS per opening before the cut
     * @param minPromptChars shortest target cut, characters
     * @param maxPromptChars longest target cut
     * @param probeSamples   base-model samples per held-out prompt for its success rate
     * @param batch          rows per sampler call
     */
    public record Settings(long seed, int trainPrompts, int evalPrompts, int responseTokens, int openingTokens, int minPromptChars,
                           int maxPromptChars, int probeSamples, int batch) {
        public Settings {
            if (trainPrompts < 1 || evalPrompts < 1) throw new IllegalArgumentException("need at least one train and one eval prompt");
            if (responseTokens < 1 || openingTokens < 1 || probeSamples < 1 || batch < 1)
                throw new IllegalArgumentException("responseTokens, openingTokens, probeSamples and batch must be >= 1");
            if (minPromptChars < 1 || maxPromptChars < minPromptChars)
                throw new IllegalArgumentException("need 1 <= minPromptChars <= maxPromptChars");
        }

        public static Settings defaults() { return new Settings(2024, 1000, 100, 16, 64, 40, 200, 64, 256); }
    }

    /**
     * What the build measured: the base model's per-prompt success on the held-out prompts.
     *
     * @param meanSuccess      mean over prompts of the success rate (the base pass@1)
     * @param neverSolved      share of held-out prompts with no success in {@code probeSamples}
     * @param belowTenPercent  share with success rate below 0.1
     * @param aboveNinetyPercent share with success rate above 0.9
     * @param quartiles        25th, 50th and 75th percentile of the success rate
     */
    public record Summary(int trainPrompts, int evalPrompts, double meanSuccess, double neverSolved, double belowTenPercent,
                          double aboveNinetyPercent, double[] quartiles) {}

    public static Summary build(CausalLM model, TextTokenizer tokenizer, String modelName, Settings s, Path out) {
        int[] suppress = {tokenizer.bosId(), tokenizer.eosId()};
        List<String> prompts = TaskBuilder.sampleOpenings(model, tokenizer, s.seed(), s.evalPrompts() + s.trainPrompts(),
                s.openingTokens(), s.minPromptChars(), s.maxPromptChars(), s.batch(), suppress, p -> !NameRecall.names(p).isEmpty());
        List<String> eval = prompts.subList(0, s.evalPrompts()), train = prompts.subList(s.evalPrompts(), prompts.size());
        double[] success = baseSuccess(model, tokenizer, eval, s, suppress);
        double[] sorted = success.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(success).average().orElse(Double.NaN);
        Summary summary = new Summary(train.size(), eval.size(), mean, share(success, x -> x == 0), share(success, x -> x < 0.1),
                share(success, x -> x > 0.9), new double[] {quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)});
        try {
            Files.createDirectories(out);
            TaskBuilder.writePrompts(out.resolve(TaskBuilder.EVAL_PROMPTS), eval);
            TaskBuilder.writePrompts(out.resolve(TaskBuilder.TRAIN_PROMPTS), train);
            List<Map<String, Object>> perPrompt = new ArrayList<>();
            for (int p = 0; p < eval.size(); p++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("names", NameRecall.names(eval.get(p)));
                row.put("base_success", success[p]);
                perPrompt.add(row);
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("task", NAME);
            meta.put("model", modelName);
            meta.put("reward", NameRecall.NAME);
            meta.put("settings", s);
            meta.put("base", summary);
            meta.put("eval_prompts_base", perPrompt);
            meta.put("files", Map.of("train_prompts", TaskBuilder.TRAIN_PROMPTS, "eval_prompts", TaskBuilder.EVAL_PROMPTS));
            byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(meta);
            AtomicFiles.write(out.resolve(TaskBuilder.TASK_FILE), channel -> AtomicFiles.writeFully(channel, ByteBuffer.wrap(json)));
        } catch (IOException e) {
            throw new UncheckedIOException("writing task to " + out, e);
        }
        return summary;
    }

    /** Each prompt's share of {@code probeSamples} base completions that succeed. */
    private static double[] baseSuccess(CausalLM model, TextTokenizer tokenizer, List<String> prompts, Settings s, int[] suppress) {
        int m = s.probeSamples();
        List<int[]> rows = new ArrayList<>(prompts.size() * m);
        for (String p : prompts) {
            int[] ids = tokenizer.encode(p, true, false);
            for (int j = 0; j < m; j++) rows.add(ids);
        }
        var samples = BatchSampling.sample(model, rows, s.responseTokens(), suppress, BatchSampling.mix(s.seed(), PROBE_STREAM), s.batch());
        double[] success = new double[prompts.size()];
        for (int i = 0; i < samples.size(); i++)
            success[i / m] += NameRecall.score(prompts.get(i / m), tokenizer.decode(samples.get(i).tokens())) / m;
        return success;
    }

    private static double share(double[] x, java.util.function.DoublePredicate test) {
        return (double) Arrays.stream(x).filter(test).count() / x.length;
    }

    private static double quantile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }
}
