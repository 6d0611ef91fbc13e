package io.align4j.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.align4j.eval.RewardModelFit;
import io.align4j.util.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the quickstart measured, as written to {@code metrics.json} by the orchestration and read
 * by {@link QuickstartReport}: the single source of every number the report shows.
 * <pre>
 * { "task": {"pairs", "train_prompts", "eval_prompts", "samples_per_prompt", "budget", "seconds", "model",
 *            "preset", "label_gamma", "target_tau"},
 *   "methods": [ {"name", "kind": "base|target|offline|online", "seconds", "optimum" (when the method has one),
 *                 "eval":   {"kl/target_forward": {"mean", "se"}, ...},
 *                 "curves": {"step": [...], "loss": [...], ...},
 *                 "samples": {"prompt", "continuations": [...]}} ],
 *   "reward_model": {"correlation", "slope", ...} (how close R̂ is to γ ln π*) }
 * </pre>
 * Non-finite numbers are written as the strings {@code "NaN"}, {@code "Infinity"} (Jackson's
 * default) and read back as such.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QuickstartMetrics(Task task, List<Method> methods, @JsonProperty("reward_model") RewardModelFit rewardModel) {
    public static final String GOLD_REWARD = "gold/reward";
    public static final String GOLD_WIN_RATE = "gold/win_rate";
    public static final String RM_SCORE = "rm/score";
    public static final String KL_REF = "kl/ref";
    public static final String KL_TARGET_FORWARD = "kl/target_forward";
    public static final String KL_TARGET_REVERSE = "kl/target_reverse";
    public static final String KL_OPTIMUM_FORWARD = "kl/optimum_forward";
    public static final String KL_OPTIMUM_REVERSE = "kl/optimum_reverse";
    public static final String ENTROPY = "entropy";
    public static final String DISTINCT_2 = "distinct-2";
    public static final String LENGTH = "length";
    /** The x axis of {@link Method#curves()}; every other curve has as many values. */
    public static final String STEP = "step";
    /** The training curves the report draws, in order. */
    public static final List<String> CURVES = List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "entropy");
    public static final Set<String> KINDS = Set.of("base", "target", "offline", "online");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public QuickstartMetrics {
        methods = List.copyOf(methods == null ? List.of() : methods);
    }

    public QuickstartMetrics(Task task, List<Method> methods) {
        this(task, methods, null);
    }

    /**
     * The task's settings: data sizes, the budget name, wall time, which model, the methods'
     * preset ({@code theory} or {@code win-rate}) and the labeller's γ and target's τ.
     */
    public record Task(int pairs,
                       @JsonProperty("train_prompts") int trainPrompts,
                       @JsonProperty("eval_prompts") int evalPrompts,
                       @JsonProperty("samples_per_prompt") int samplesPerPrompt,
                       String budget, double seconds, String model, String preset,
                       @JsonProperty("label_gamma") double gamma, @JsonProperty("target_tau") double tau) {}

    /**
     * One method's results.
     *
     * @param name    pi0, sft, dpo, pmle, mio, pd, rebel, rlhf, rkl, ...
     * @param kind    base (the untrained π_0), target (the known π*, sampled by importance resampling), offline (fixed pairs) or online (own samples)
     * @param seconds its training time
     * @param optimum the distribution its method converges to in theory ({@code "π_0·π*"}), null when it has none
     * @param eval    held-out metrics by name ({@link #KL_TARGET_FORWARD}, ...)
     * @param curves  training curves by name, each indexed like {@link #STEP}; empty for π_0
     * @param samples continuations of one prompt, the same prompt for every method
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Method(String name, String kind, double seconds, String optimum, Map<String, Stat> eval,
                         Map<String, List<Double>> curves, Samples samples) {
        public Method {
            eval = eval == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(eval));
            curves = curves == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(curves));
        }

        /** The metric, if this method has it. */
        public Optional<Stat> metric(String metric) {
            return Optional.ofNullable(eval.get(metric));
        }
    }

    /** A mean over held-out prompts and its standard error. */
    public record Stat(double mean, double se) {}

    /** A prompt and the method's continuations of it. */
    public record Samples(String prompt, List<String> continuations) {
        public Samples {
            continuations = List.copyOf(continuations == null ? List.of() : continuations);
        }
    }

    /** Reads and checks {@code file}; problems are {@link UserError}s naming the file and field. */
    public static QuickstartMetrics read(Path file) {
        QuickstartMetrics metrics;
        try {
            metrics = JSON.readValue(file.toFile(), QuickstartMetrics.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new UserError(file + ": no such metrics file", e);
        } catch (JsonProcessingException e) {
            throw new UserError(file + ": not a quickstart metrics file at line " + e.getLocation().getLineNr()
                    + " (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        metrics.check(file.toString());
        return metrics;
    }

    /** Writes this as indented JSON, creating the folder. */
    public void write(Path file) {
        try {
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            JSON.writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The fields a report needs: a task, named methods of a known kind, curves as long as their steps. */
    private void check(String source) {
        if (task == null) throw new UserError(source + ": field \"task\" is missing");
        if (methods.isEmpty()) throw new UserError(source + ": field \"methods\" is missing or empty");
        for (int i = 0; i < methods.size(); i++) {
            Method m = methods.get(i);
            String where = source + ": methods[" + i + "]";
            if (m.name() == null || m.name().isBlank()) throw new UserError(where + ".name is missing");
            where = source + ": methods[" + i + "] (" + m.name() + ")";
            if (!KINDS.contains(m.kind())) throw new UserError(where + ".kind is \"" + m.kind() + "\", expected one of base, target, offline, online");
            for (Map.Entry<String, Stat> e : m.eval().entrySet()) {
                if (e.getValue() == null) throw new UserError(where + ".eval." + e.getKey() + " is null, expected {\"mean\", \"se\"}");
            }
            if (m.curves().isEmpty()) continue;
            List<Double> step = m.curves().get(STEP);
            if (step == null) throw new UserError(where + ".curves has no \"step\"");
            for (Map.Entry<String, List<Double>> e : m.curves().entrySet()) {
                if (e.getValue() == null || e.getValue().size() != step.size()) {
                    throw new UserError(where + ".curves." + e.getKey() + " has " + (e.getValue() == null ? 0 : e.getValue().size())
                            + " values but step has " + step.size());
                }
            }
        }
    }
}
