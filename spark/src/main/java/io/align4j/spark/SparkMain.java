package io.align4j.spark;

import ai.djl.ndarray.NDManager;
import io.align4j.config.ConfigLoader;
import io.align4j.config.OfflineConfig;
import io.align4j.data.ChatTemplate;
import io.align4j.data.OnError;
import io.align4j.data.PromptDatasets;
import io.align4j.data.PromptExample;
import io.align4j.eval.EvalReport;
import io.align4j.eval.PassAtK;
import io.align4j.model.io.ModelLoader;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.train.RewardSpec;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j-spark}: the core CLI with Spark behind it. {@code train} and every other core
 * command run as in {@code align4j}; with this jar on the class path, {@code train --spark-master M}
 * makes its rollouts on Spark (the core finds {@link SparkRolloutCluster} by ServiceLoader).
 * Two commands are the module's own: {@code eval-pass-at-k} and {@code reference}, the jobs
 * that are all fan-out and no training.
 */
@Command(name = "align4j-spark", mixinStandardHelpOptions = true, version = "align4j-spark 0.1.0",
        description = {"Align4j with Spark executors: 'train --spark-master M' (online methods), 'eval-pass-at-k', 'reference';",
                "any other command is the core's (align4j)."},
        subcommands = {SparkMain.PassAtKCommand.class, SparkMain.ReferenceCommand.class})
public final class SparkMain {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        if (args.length > 0 && !args[0].equals("eval-pass-at-k") && !args[0].equals("reference") && !args[0].startsWith("-"))
            return io.align4j.cli.Main.run(args);
        CommandLine cli = new CommandLine(new SparkMain());
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (!(e instanceof UserError)) throw e;
            line.getErr().println("error: " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }

    @Command(name = "eval-pass-at-k", mixinStandardHelpOptions = true,
            description = "align4j eval --pass-at-k on Spark executors: the same numbers, the prompts' samples made and scored there.")
    static final class PassAtKCommand implements Callable<Integer> {
        @Option(names = "--spark-master", required = true, description = "local[N], spark://host:port, …") String master;
        @Option(names = "--shards", description = "Tasks the prompts are cut into (default: the context's default parallelism).") Integer shards;
        @Option(names = "--model", required = true, description = "A model to evaluate (repeatable).") List<String> models;
        @Option(names = "--tokenizer") Path tokenizer;
        @Option(names = "--prompts", required = true, description = "Prompt file (JSONL of {\"prompt\"}).") Path prompts;
        @Option(names = "--pass-at-k", required = true, split = ",", description = "pass@k for these k, e.g. 1,4,16") List<Integer> ks;
        @Option(names = "--samples", description = "Samples per prompt n (default: the largest k).") Integer samples;
        @Option(names = "--max-new-tokens", defaultValue = "16") int maxNewTokens;
        @Option(names = "--seed", defaultValue = "20240601") long seed;
        @Option(names = "--success-threshold", defaultValue = "0.5") double threshold;
        @Option(names = "--reward-model", description = "A reward-model folder, or 'gold' for the tinystories-happy judge.") String rewardModel;
        @Option(names = "--reward-class") List<String> rewardClasses;
        @Option(names = "--reward-regex") List<String> rewardRegexes;
        @Option(names = "--reward-command") List<String> rewardCommands;
        @Option(names = "--reward-timeout", defaultValue = "60") double rewardTimeout;
        @Option(names = "--out", defaultValue = "eval.json") Path out;

        @Override
        public Integer call() {
            int n = samples != null ? samples : ks.stream().mapToInt(Integer::intValue).max().orElseThrow();
            RewardSpec reward = new RewardSpec(rewardModel, rewardClasses, rewardRegexes, rewardCommands, null, rewardTimeout);
            if (reward.count() == 0) throw new UserError("eval-pass-at-k needs a reward: --reward-model, --reward-class, --reward-regex or --reward-command");
            List<int[]> ids = new ArrayList<>();
            try (NDManager manager = NDManager.newBaseManager()) {
                TextTokenizer tok = ModelLoader.load(Path.of(models.get(0)), tokenizer, manager).tokenizer();
                for (PromptExample p : PromptDatasets.read(prompts, OnError.FAIL).examples())
                    ids.add(tok.encode(p.render(ChatTemplate.forTokenizer(tok)), true, false));
            }
            if (ids.isEmpty()) throw new UserError("no prompts in " + prompts);
            EvalReport report = new EvalReport();
            try (SparkSessions.Lease lease = SparkSessions.lease(master, "align4j eval-pass-at-k")) {
                JavaSparkContext spark = lease.context();
                int tasks = shards != null ? shards : spark.defaultParallelism();
                for (String m : models) {
                    var job = new SparkPassAtK.Job(Path.of(m).toAbsolutePath().toString(), tokenizer == null ? null : tokenizer.toAbsolutePath().toString(),
                            reward, n, maxNewTokens, seed, threshold);
                    int[] successes = SparkPassAtK.successes(spark, job, ids, tasks);
                    report.add(new EvalReport.Row(m, PassAtK.estimates(successes, n, ks), List.of()));
                }
            }
            report.writeJson(out);
            System.out.print(report.table());
            System.out.println("wrote " + out);
            return 0;
        }
    }

    @Command(name = "reference", mixinStandardHelpOptions = true,
            description = {"Reference log-probs of a preference run's pairs (train and held-out) on Spark executors, into the",
                    "reference cache that 'align4j train --config FILE' then reads instead of running π_0."})
    static final class ReferenceCommand implements Callable<Integer> {
        @Option(names = "--spark-master", required = true, description = "local[N], spark://host:port, …") String master;
        @Option(names = "--shards", description = "Tasks the pairs are cut into, whole batches each (default: the context's default parallelism).")
        Integer shards;
        @Option(names = "--config", required = true, description = "The run's YAML config (an offline pairwise objective, e.g. dpo).") Path config;

        @Override
        public Integer call() throws Exception {
            OfflineConfig c = ConfigLoader.resolve(new OfflineConfig(), config, Map.of());
            String model = c.reference != null ? c.reference
                    : c.model != null ? c.model : DataPaths.root().resolve(DataPaths.STORIES260K_MODEL).toString();
            var where = new SparkReference.Model(Path.of(model).toAbsolutePath().toString(),
                    c.tokenizer == null ? null : Path.of(c.tokenizer).toAbsolutePath().toString(), c.device, c.dtype);
            try (SparkSessions.Lease lease = SparkSessions.lease(master, "align4j reference")) {
                int tasks = shards != null ? shards : lease.context().defaultParallelism();
                PreferenceTrainerBridge.precompute(c, new SparkReference(lease.context(), where, tasks));
            }
            return 0;
        }
    }

    /** The core's precomputation, logging to stderr as the core CLI does. */
    private static final class PreferenceTrainerBridge {
        static void precompute(OfflineConfig c, SparkReference scorer) throws java.io.IOException {
            io.align4j.train.PreferenceTrainer.precomputeReference(c, scorer, System.err::println);
        }
    }
}
