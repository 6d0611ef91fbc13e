package io.align4j.cli;

import io.align4j.config.ConfigLoader;
import io.align4j.config.RunConfig;
import io.align4j.train.TrainingLoop;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The flags every training command shares besides its settings' own (a picocli mixin), and the
 * resolution of a config from the command's defaults, {@code --config FILE.yaml}, the setting
 * flags given and {@code --set key=value}, in that order of precedence.
 */
public final class TrainingOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML file of settings (snake_case keys, as the flags"
            + " without their dashes); flags given override it.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any setting by its YAML key, e.g. --set warmup_steps=10"
            + " (repeatable; overrides the flags).")
    List<String> settings = List.of();

    /** The settings the command line gives: the setting flags (by key), then {@code --set}'s, which override them. */
    Map<String, Object> flags(CommandSpec spec) {
        Map<String, Object> flags = new LinkedHashMap<>(ConfigFlags.given(spec));
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw new UserError("--set " + s + ": expected key=value");
            flags.put(s.substring(0, eq).trim().toLowerCase(Locale.ROOT).replace('-', '_'), s.substring(eq + 1).trim());
        }
        return flags;
    }

    /** {@code defaults} (updated in place) with the YAML file's settings, then {@code flags} ({@link #flags}), applied. */
    <T extends RunConfig> T resolve(T defaults, Map<String, Object> flags) {
        return ConfigLoader.resolve(defaults, config, flags);
    }

    /** The run's end: where the model is (stderr), then the last training and held-out metrics (stdout, tab-separated). */
    static void report(String command, TrainingLoop.Result r) {
        System.err.println("align4j " + command + ": " + r.steps() + " steps; model and state in " + r.output());
        r.lastMetrics().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s\t%.6g%n", k, v));
        r.evalMetrics().forEach((k, v) -> System.out.printf(Locale.ROOT, "%s\t%.6g%n", k, v));
    }
}
