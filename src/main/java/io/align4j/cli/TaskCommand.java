package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import io.align4j.model.io.ModelLoader;
import io.align4j.task.NameRecallTask;
import io.align4j.task.TaskBuilder;
import io.align4j.task.TaskSettings;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align4j task tinystories-happy build ...}: preference tasks whose target is known; {@code task name-recall build}: a verifiable one. */
@Command(name = "task", mixinStandardHelpOptions = true, description = "Build preference tasks whose target distribution is known.",
        subcommands = {TaskCommand.TinyStoriesHappy.class, TaskCommand.NameRecallCommand.class})
final class TaskCommand {

    @Command(name = TaskSettings.NAME, mixinStandardHelpOptions = true,
            description = "Story openings of stories260K continued by 48 tokens; target π_0·exp(r/τ) with r a happiness judge.",
            subcommands = {Build.class})
    static final class TinyStoriesHappy {}

    @Command(name = NameRecallTask.NAME, mixinStandardHelpOptions = true,
            description = {"Verifiable task: story openings of stories260K that introduce a character ('named X');",
                    "a completion succeeds when it names that character (--reward-class name-recall)."},
            subcommands = {NameRecallBuild.class})
    static final class NameRecallCommand {}

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Write prompts_train.jsonl, prompts_eval.jsonl and task.json (the base model's per-prompt success).")
    static final class NameRecallBuild implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--out", required = true, description = "Output folder.") Path out;
        @Option(names = "--model", description = "π_0 (default: stories260K from the data folder).") Path model;
        @Option(names = "--tokenizer", description = "Its tokenizer (default: found beside the model).") Path tokenizer;
        @Option(names = "--seed", defaultValue = "2024", description = "Everything derives from it (default: ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--train-prompts", defaultValue = "1000", description = "default: ${DEFAULT-VALUE}") int trainPrompts;
        @Option(names = "--eval-prompts", defaultValue = "100", description = "default: ${DEFAULT-VALUE}") int evalPrompts;
        @Option(names = "--response-tokens", defaultValue = "16", description = "L, exact completion length (default: ${DEFAULT-VALUE}).")
        int responseTokens;
        @Option(names = "--probe-samples", defaultValue = "64",
                description = "Base-model samples per held-out prompt for its success rate (default: ${DEFAULT-VALUE}).") int probeSamples;

        @Override
        public Integer call() {
            NameRecallTask.Settings d = NameRecallTask.Settings.defaults(), settings;
            try {
                settings = new NameRecallTask.Settings(seed, trainPrompts, evalPrompts, responseTokens, d.openingTokens(), d.minPromptChars(),
                        d.maxPromptChars(), probeSamples, d.batch());
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            Path modelPath = model != null ? model : DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
            long start = System.nanoTime();
            try (NDManager manager = NDManager.newBaseManager();
                 ModelLoader.LoadedModel lm = ModelLoader.load(modelPath, tokenizer, manager)) {
                NameRecallTask.Summary s = NameRecallTask.build(lm.model(), lm.tokenizer(), modelPath.toString(), settings, out);
                var o = spec.commandLine().getOut();
                o.printf("%s: %d train prompts, %d held-out prompts, in %s%n", NameRecallTask.NAME, s.trainPrompts(), s.evalPrompts(), out);
                o.printf("base success per held-out prompt (%d samples of %d tokens): mean %.3f; never solved %.1f%%, below 0.1 %.1f%%,"
                                + " above 0.9 %.1f%%; quartiles %.3f / %.3f / %.3f%n", probeSamples, responseTokens, s.meanSuccess(),
                        100 * s.neverSolved(), 100 * s.belowTenPercent(), 100 * s.aboveNinetyPercent(), s.quartiles()[0], s.quartiles()[1],
                        s.quartiles()[2]);
                o.printf("took %.1f s%n", (System.nanoTime() - start) / 1e9);
                o.flush();
            }
            return 0;
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Write prompts_train/eval.jsonl, pairs.jsonl (standard prompt/chosen/rejected), reference_pool.jsonl and task.json.")
    static final class Build implements Callable<Integer> {
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--pairs", required = true, description = "Preference pairs to write.")
        int pairs;

        @Option(names = "--out", required = true, description = "Output folder.")
        Path out;

        @Option(names = "--model", description = "π_0 (default: stories260K from the data folder).")
        Path model;

        @Option(names = "--tokenizer", description = "Its tokenizer (default: found beside the model).")
        Path tokenizer;

        @Option(names = "--seed", defaultValue = "1234", description = "Everything derives from it (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--train-prompts", defaultValue = "2000", description = "default: ${DEFAULT-VALUE}")
        int trainPrompts;

        @Option(names = "--eval-prompts", defaultValue = "200", description = "default: ${DEFAULT-VALUE}")
        int evalPrompts;

        @Option(names = "--response-tokens", defaultValue = "48", description = "L, exact response length (default: ${DEFAULT-VALUE}).")
        int responseTokens;

        @Option(names = "--tau", defaultValue = "0.1", description = "τ of the target π_0·exp(r/τ) (default: ${DEFAULT-VALUE}).")
        double tau;

        @Option(names = "--gamma", defaultValue = "0.1", description = "γ of the labeller σ(γ Δ ln π*) (default: ${DEFAULT-VALUE}).")
        double gamma;

        @Option(names = "--reference-samples", defaultValue = "64",
                description = "M, π_0 samples per held-out prompt for ln Z by importance sampling (default: ${DEFAULT-VALUE}).")
        int referenceSamples;

        @Override
        public Integer call() {
            TaskSettings settings;
            try {
                settings = TaskSettings.defaults().withSeed(seed).withPrompts(trainPrompts, evalPrompts).withTarget(tau, gamma)
                        .withResponseTokens(responseTokens).withReferenceSamples(referenceSamples);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            if (pairs < 1) throw new UserError("--pairs must be >= 1, was " + pairs);
            Path modelPath = model != null ? model : DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
            Path absolute = modelPath.toAbsolutePath().normalize();
            String recorded = absolute.startsWith(DataPaths.root()) ? DataPaths.root().relativize(absolute).toString() : absolute.toString();
            long start = System.nanoTime();
            try (NDManager manager = NDManager.newBaseManager();
                 ModelLoader.LoadedModel lm = ModelLoader.load(modelPath, tokenizer, manager)) {
                TaskBuilder.Summary s = TaskBuilder.build(lm.model(), lm.tokenizer(), recorded, settings, pairs, out);
                var o = spec.commandLine().getOut();
                o.printf("%s: %d pairs over %d train prompts, %d held-out prompts, in %s%n", TaskSettings.NAME, s.pairs(),
                        s.trainPrompts(), s.evalPrompts(), out);
                o.printf("labels: %.1f%% agree with the gold reward alone, %.1f%% with ln π_0 alone; mean confidence %.3f;"
                                + " rms Δ ln π_0 %.2f, rms Δr/τ %.2f; mean reward %.3f; %d identical pairs redrawn%n",
                        100 * s.agreeWithReward(), 100 * s.agreeWithReference(), s.meanLabelConfidence(), s.rmsRefLogProbDiff(),
                        s.rmsRewardDiffOverTau(), s.meanReward(), s.skippedIdenticalPairs());
                o.printf("took %.1f s%n", (System.nanoTime() - start) / 1e9);
                o.flush();
            }
            return 0;
        }
    }
}
