package io.align4j;

import io.align4j.config.RunConfig;
import io.align4j.data.DatasetRead;
import io.align4j.data.OnError;
import io.align4j.data.PreferenceDatasets;
import io.align4j.data.PreferenceExample;
import io.align4j.data.PreferenceFormat;
import io.align4j.data.TokenLimits;
import io.align4j.eval.Estimate;
import io.align4j.eval.ImplicitRewards;
import io.align4j.eval.ModelPolicy;
import io.align4j.train.Training;
import io.align4j.train.TrainingLoop;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The library's entry points besides {@link LanguageModel}: read preference data, train with any
 * method, evaluate a policy against its reference. Each is what the CLI command of the same name
 * calls; the README's "Use it from Java" shows them together.
 */
public final class Align4j {
    private Align4j() {}

    /**
     * Trains as {@code config} says: its class picks the family of methods
     * ({@link io.align4j.config.SftConfig}, {@link io.align4j.config.RewardModelConfig},
     * {@link io.align4j.config.OfflineConfig}, {@link io.align4j.config.OnlineConfig}) and its
     * {@code objective} the method. The resolved config, metrics, checkpoints and the final model
     * go to {@code config.output}; {@link TrainingLoop.Result#output()} is the final model's folder,
     * which {@link LanguageModel#load(Path)} opens.
     *
     * @param log receives progress lines (e.g. {@code System.err::println})
     */
    public static TrainingLoop.Result train(RunConfig config, Consumer<String> log) throws IOException {
        return Training.run(config, log);
    }

    /** A config at its defaults for {@code objective}, of the class that method reads (cast to set its own fields). */
    public static RunConfig config(String objective) { return Training.newConfig(objective); }

    /**
     * The preference pairs of a file in any supported layout (detected), failing on the first
     * malformed record with its file, line and field.
     */
    public static DatasetRead<PreferenceExample> readPreferences(Path file) {
        return PreferenceDatasets.read(file, PreferenceFormat.AUTO, OnError.FAIL);
    }

    /**
     * Implicit-reward accuracy and margins of {@code policy} against {@code reference} on a
     * held-out preference file ({@code align4j eval --data}): with {@code r = β(ln π − ln π_0)},
     * the share of pairs where the chosen response's reward exceeds the rejected one's, with
     * standard errors.
     */
    public static Map<String, Estimate> evaluatePreferences(LanguageModel policy, LanguageModel reference, Path file, double beta) {
        int pad = reference.tokenizer().padId();
        return ImplicitRewards.evaluate(new ModelPolicy("policy", policy.model(), new int[0], pad, 64),
                new ModelPolicy("reference", reference.model(), new int[0], pad, 64), file, reference.tokenizer(), beta, TokenLimits.NONE);
    }
}
