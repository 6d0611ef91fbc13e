package io.align4j.cli;

import io.align4j.config.ConfigLoader;
import io.align4j.train.TrainConfig;
import io.align4j.train.TrainingLoop;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags every training command shares (a picocli mixin), and the resolution of a
 * {@link TrainConfig} from the command's defaults, {@code --config FILE.yaml}, these flags, the
 * command's own flags and {@code --set key=value}, in that order of precedence.
 */
public final class TrainingOptions {
    @Option(names = "--config", description = "YAML file of settings (keys as in TrainConfig, snake_case)")
    Path config;

    @Option(names = "--model", description = "starting model: Hugging Face folder or llama2.c .bin (default stories260K)")
    String model;

    @Option(names = "--tokenizer") String tokenizer;
    @Option(names = "--data", description = "training data file (JSONL, JSON, text; .gz too)") String data;
    @Option(names = "--eval-data", description = "held-out data (default: a hash split of --data by eval_fraction)") String evalData;
    @Option(names = "--output", description = "output folder: config, metrics, checkpoints") String output;
    @Option(names = "--learning-rate") Double learningRate;
    @Option(names = "--epochs") Integer epochs;
    @Option(names = "--max-steps") Integer maxSteps;
    @Option(names = "--batch-size") Integer batchSize;
    @Option(names = "--seed") Long seed;
    @Option(names = "--resume", description = "continue from the newest complete checkpoint in the output folder") Boolean resume;

    @Option(names = "--lora-r", description = "LoRA rank; 0 (default) trains every weight") Integer loraR;
    @Option(names = "--lora-alpha", description = "LoRA alpha: updates are scaled by alpha/r (default 8)") Double loraAlpha;
    @Option(names = "--lora-dropout", description = "dropout on adapted layers' inputs in training (default 0)") Double loraDropout;
    @Option(names = "--lora-target", description = "layers to adapt, e.g. q_proj,v_proj or all-linear (default: PEFT's for the family)")
    String loraTarget;
    @Option(names = "--set", description = "any other setting, e.g. --set warmup_steps=10 --set save_every=50")
    List<String> settings = List.of();

    /**
     * @param defaults the command's defaults, updated in place
     * @param own      the command's own flags by snake_case key (null = not given)
     */
    TrainConfig resolve(TrainConfig defaults, Map<String, Object> own) {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("model", model);
        flags.put("tokenizer", tokenizer);
        flags.put("data", data);
        flags.put("eval_data", evalData);
        flags.put("output", output);
        flags.put("learning_rate", learningRate);
        flags.put("epochs", epochs);
        flags.put("max_steps", maxSteps);
        flags.put("batch_size", batchSize);
        flags.put("seed", seed);
        flags.put("resume", resume);
        flags.put("lora_r", loraR);
        flags.put("lora_alpha", loraAlpha);
        flags.put("lora_dropout", loraDropout);
        flags.put("lora_target", loraTarget);
        flags.putAll(own);
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw new UserError("--set " + s + ": expected key=value");
            flags.put(s.substring(0, eq).trim().toLowerCase(Locale.ROOT).replace('-', '_'), s.substring(eq + 1).trim());
        }
        return ConfigLoader.resolve(defaults, config, flags);
    }

    /** The run's end: where the model is (stderr), then the last training and held-out metrics (stdout, tab-separated). */
    static void report(String command, TrainingLoop.Result r) {
        System.err.println("align4j " + command + ": " + r.steps() + " steps; model and state in " + r.output());
        r.lastMetrics().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s\t%.6g%n", k, v));
        r.evalMetrics().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s\t%.6g%n", k, v));
    }
}
