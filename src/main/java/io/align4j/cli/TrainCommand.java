package io.align4j.cli;

import io.align4j.config.ConfigLoader;
import io.align4j.train.PreferenceTrainer;
import io.align4j.train.TrainConfig;
import io.align4j.train.TrainingLoop;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j train}: offline pairwise preference training. Parses and delegates. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a policy on preference pairs with a pairwise objective.",
                "Settings come from the defaults, then --config FILE.yaml (snake_case keys), then the flags given."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", description = "YAML file of settings (keys as in TrainConfig, snake_case)")
    Path config;

    @Option(names = "--objective", description = "dpo, cdpo, robust, hinge, ipo, simpo, pmle or mio (default dpo)")
    String objective;

    @Option(names = "--model", description = "starting policy: Hugging Face folder or llama2.c .bin (default stories260K)")
    String model;

    @Option(names = "--tokenizer") String tokenizer;
    @Option(names = "--reference", description = "reference model (default: frozen copy of the starting policy)") String reference;
    @Option(names = "--data", description = "preference file (JSONL, JSON, ShareGPT, OpenAI layout; .gz too)") String data;
    @Option(names = "--eval-data") String evalData;
    @Option(names = "--output", description = "output folder (default runs/train)") String output;
    @Option(names = "--beta") Double beta;
    @Option(names = "--gamma") Double gamma;
    @Option(names = "--learning-rate") Double learningRate;
    @Option(names = "--epochs") Integer epochs;
    @Option(names = "--max-steps") Integer maxSteps;
    @Option(names = "--batch-size") Integer batchSize;
    @Option(names = "--seed") Long seed;
    @Option(names = "--resume", description = "continue from the newest complete checkpoint in the output folder") Boolean resume;

    @Option(names = "--set", description = "any other setting, e.g. --set warmup_steps=10 --set save_every=50")
    List<String> settings = List.of();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("objective", objective);
        flags.put("model", model);
        flags.put("tokenizer", tokenizer);
        flags.put("reference", reference);
        flags.put("data", data);
        flags.put("eval_data", evalData);
        flags.put("output", output);
        flags.put("beta", beta);
        flags.put("gamma", gamma);
        flags.put("learning_rate", learningRate);
        flags.put("epochs", epochs);
        flags.put("max_steps", maxSteps);
        flags.put("batch_size", batchSize);
        flags.put("seed", seed);
        flags.put("resume", resume);
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw new UserError("--set " + s + ": expected key=value");
            flags.put(s.substring(0, eq).trim().toLowerCase(Locale.ROOT).replace('-', '_'), s.substring(eq + 1).trim());
        }
        TrainConfig c = ConfigLoader.resolve(new TrainConfig(), config, flags);
        TrainingLoop.Result r = PreferenceTrainer.run(c, msg -> System.err.println("align4j train: " + msg));
        System.err.println("align4j train: " + r.steps() + " steps; model and state in " + r.output());
        r.lastMetrics().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s\t%.6g%n", k, v));
        r.evalMetrics().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s\t%.6g%n", k, v));
        return 0;
    }
}
