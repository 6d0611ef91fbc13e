package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import io.align4j.data.TokenLimits;
import io.align4j.data.ChatTemplate;
import io.align4j.data.OnError;
import io.align4j.data.PromptDatasets;
import io.align4j.data.PromptExample;
import io.align4j.eval.EvalReport;
import io.align4j.eval.PassAtK;
import io.align4j.train.RewardSource;
import io.align4j.train.RewardSpec;
import io.align4j.eval.Estimate;
import io.align4j.eval.ImplicitRewards;
import io.align4j.eval.ModelPolicy;
import io.align4j.eval.Policy;
import io.align4j.eval.TargetPolicy;
import io.align4j.eval.TaskEvaluation;
import io.align4j.eval.Tilt;
import io.align4j.quickstart.PredictedOptimum;
import io.align4j.model.io.ModelLoader;
import io.align4j.task.HappyTask;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align4j eval}: one table, a row per model, and a JSON file of every metric with its standard error. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate models on a known-target task (--task) and/or a held-out preference file (--data),",
                "or their pass@k on prompts (--pass-at-k 1,4,16 --prompts FILE with a reward and --success-threshold)."})
final class EvalCommand implements Callable<Integer> {
    static final String TARGET = "target";

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true,
            description = "A model to evaluate (repeatable); the word 'target' evaluates the task's π* itself.")
    List<String> models;

    @Option(names = "--task", description = "A folder written by 'align4j task ... build'.")
    Path task;

    @Option(names = "--data", description = "A held-out preference file: implicit-reward accuracy and margins against --reference.")
    Path data;

    @Option(names = "--reference", description = "π_0 (default: the task's model).")
    Path reference;

    @Option(names = "--tokenizer", description = "Tokenizer (default: found beside the reference).")
    Path tokenizer;

    @Option(names = "--k", defaultValue = "4", description = "Samples per held-out prompt (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--seed", defaultValue = "20240601", description = "Sampling seed, the same for every model (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--beta", defaultValue = "0.1", description = "β of the implicit reward β(ln π − ln π_0) (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--ess-warning", defaultValue = "8", description = "Warn when the mean effective sample size is below (default: ${DEFAULT-VALUE}).")
    double essWarning;

    @Option(names = "--out", defaultValue = "eval.json", description = "JSON output (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--optimum", defaultValue = "auto",
            description = {"--task: also the distances to a predicted optimum pi_0^c * pi*^d: 'auto' reads each model's run",
                    "(config.yaml in its folder or above) and uses its method's optimum, if any; 'none'; or c,d for every model",
                    "(default: ${DEFAULT-VALUE})."})
    String optimum;

    @Option(names = "--pass-at-k", split = ",", description = "pass@k for these k (e.g. 1,4,16,64,256), unbiased estimator of Chen et al. 2021")
    List<Integer> passAtK;

    @Option(names = "--prompts", description = "pass@k: prompt file (JSONL of {\"prompt\"}), e.g. a name-recall task's prompts_eval.jsonl")
    Path prompts;

    @Option(names = "--samples", description = "pass@k: samples per prompt n (>= every k; default the largest k)")
    Integer samples;

    @Option(names = "--max-new-tokens", defaultValue = "16", description = "pass@k: exact completion length (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--success-threshold", defaultValue = "0.5", description = "pass@k: a sample succeeds when its reward is >= this (default: ${DEFAULT-VALUE}).")
    double successThreshold;

    @Option(names = "--per-prompt", description = "pass@k: also write each prompt's success count per model to this JSONL file")
    Path perPrompt;

    @Option(names = "--reward-model", description = "pass@k reward: a reward-model folder, or 'gold' for the tinystories-happy judge") String rewardModel;
    @picocli.CommandLine.Mixin RewardOptions rewards;
    @Option(names = "--reward-timeout", defaultValue = "60", description = "pass@k reward: seconds per batch or answer (default: ${DEFAULT-VALUE}).")
    double rewardTimeout;

    @Override
    public Integer call() {
        if (passAtK != null) return passAtK();
        if (task == null && data == null) throw new UserError("give --task DIR, --data FILE, or both (or --pass-at-k with --prompts)");
        if (k < 1) throw new UserError("--k must be >= 1, was " + k);
        HappyTask loadedTask = task == null ? null : HappyTask.load(task);
        Path referencePath = reference != null ? reference : loadedTask != null ? loadedTask.model() : null;
        if (referencePath == null) throw new UserError("--data needs --reference (the model the implicit reward is measured against)");
        EvalReport report = new EvalReport();
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel ref = ModelLoader.load(referencePath, tokenizer, manager)) {
            TextTokenizer tok = ref.tokenizer();
            int[] suppress = {tok.bosId(), tok.eosId()};
            int batch = loadedTask != null ? loadedTask.settings().batch() : 64;
            ModelPolicy refPolicy = new ModelPolicy("reference", ref.model(), suppress, tok.padId(), batch);
            TaskEvaluation.ReferenceSide side = loadedTask == null ? null
                    : new TaskEvaluation.ReferenceSide(refPolicy, loadedTask, tok, new TaskEvaluation.Settings(k, seed, essWarning));
            for (String m : models) {
                if (m.equals(TARGET)) {
                    if (loadedTask == null) throw new UserError("--model target needs --task");
                    TargetPolicy target = new TargetPolicy(refPolicy, loadedTask.target(tok), loadedTask.settings().referenceSamples(), seed + 1);
                    report.add(evaluate(target, refPolicy, side, tok, null));
                    continue;
                }
                try (NDManager sub = manager.newSubManager();
                     ModelLoader.LoadedModel lm = ModelLoader.load(Path.of(m), tokenizer, sub)) {
                    Tilt tilt = loadedTask == null ? null : optimumOf(Path.of(m), loadedTask);
                    report.add(evaluate(new ModelPolicy(m, lm.model(), suppress, tok.padId(), batch), refPolicy, side, tok, tilt));
                }
            }
        }
        report.writeJson(out);
        spec.commandLine().getOut().print(report.table());
        spec.commandLine().getOut().println("wrote " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** {@code --pass-at-k}: n samples per prompt of every model, each scored by the reward; pass@k ± SE per k. */
    private int passAtK() {
        if (task != null || data != null) throw new UserError("--pass-at-k runs on its own: give --prompts FILE, not --task or --data");
        if (prompts == null) throw new UserError("--pass-at-k needs --prompts FILE");
        if (passAtK.isEmpty() || passAtK.stream().anyMatch(k -> k == null || k < 1)) throw new UserError("--pass-at-k: every k must be >= 1, got " + passAtK);
        int n = samples != null ? samples : passAtK.stream().mapToInt(Integer::intValue).max().orElseThrow();
        if (n < passAtK.stream().mapToInt(Integer::intValue).max().orElseThrow())
            throw new UserError("--samples " + n + " is below the largest k " + passAtK + ": the estimator needs n >= k");
        if (maxNewTokens < 1) throw new UserError("--max-new-tokens must be >= 1, was " + maxNewTokens);
        RewardSpec rewardSpec = rewards.spec(rewardModel, rewardTimeout);
        if (rewardSpec.count() == 0) throw new UserError("--pass-at-k needs a reward: --reward-class, --reward-regex, --reward-command or --reward-model");
        EvalReport report = new EvalReport();
        List<String> perPromptLines = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            TextTokenizer tok = ModelLoader.load(Path.of(models.get(0)), tokenizer, manager).tokenizer();
            List<int[]> ids = new ArrayList<>();
            for (PromptExample p : PromptDatasets.read(prompts, OnError.FAIL).examples())
                ids.add(tok.encode(p.render(ChatTemplate.forTokenizer(tok)), true, false));
            if (ids.isEmpty()) throw new UserError("no prompts in " + prompts);
            try (RewardSource reward = rewardSpec.build(tok, manager)) {
                for (String m : models) {
                    try (NDManager sub = manager.newSubManager();
                         ModelLoader.LoadedModel lm = ModelLoader.load(Path.of(m), tokenizer, sub)) {
                        ModelPolicy policy = new ModelPolicy(m, lm.model(), new int[] {tok.bosId(), tok.eosId()}, tok.padId(), 256);
                        int[] successes = PassAtK.successes(policy, ids, n, maxNewTokens, seed, reward, successThreshold, 4096);
                        Map<String, Estimate> metrics = PassAtK.estimates(successes, n, passAtK);
                        report.add(new EvalReport.Row(m, metrics, List.of()));
                        for (int p = 0; p < successes.length; p++)
                            perPromptLines.add(String.format(Locale.ROOT, "{\"model\": %s, \"prompt_index\": %d, \"successes\": %d, \"samples\": %d}",
                                    new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(m), p, successes[p], n));
                    }
                }
            }
        }
        report.writeJson(out);
        if (perPrompt != null) {
            try {
                java.nio.file.Files.write(perPrompt, perPromptLines);
            } catch (java.io.IOException e) {
                throw new UserError("cannot write " + perPrompt + ": " + e.getMessage(), e);
            }
        }
        var o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "pass@k over %d prompts, n = %d samples of %d tokens each, success = reward >= %s (%s)%n", perPromptLines.size() / models.size(),
                n, maxNewTokens, successThreshold, rewardSpec.describe());
        o.print(report.table());
        o.println("wrote " + out + (perPrompt != null ? " and " + perPrompt : ""));
        o.flush();
        return 0;
    }

    /** The optimum {@code --optimum} names for {@code model}, or null. */
    private Tilt optimumOf(Path model, HappyTask loadedTask) {
        double gamma = loadedTask.settings().gamma(), tau = loadedTask.settings().tau();
        if (optimum.equalsIgnoreCase("none")) return null;
        if (optimum.equalsIgnoreCase("auto")) return PredictedOptimum.ofRun(model, gamma, tau).orElse(null);
        String[] cd = optimum.split(",");
        try {
            if (cd.length == 2) return PredictedOptimum.of(Double.parseDouble(cd[0].trim()), Double.parseDouble(cd[1].trim()), tau);
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new UserError("--optimum must be auto, none or c,d (two numbers: pi_0^c * pi*^d), was '" + optimum + "'");
    }

    private EvalReport.Row evaluate(Policy policy, ModelPolicy reference, TaskEvaluation.ReferenceSide side, TextTokenizer tok, Tilt tilt) {
        Map<String, Estimate> metrics = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        if (side != null) {
            TaskEvaluation.Result r = TaskEvaluation.evaluate(policy, side, tilt);
            metrics.putAll(r.metrics());
            warnings.addAll(r.warnings());
        }
        if (data != null && !(policy instanceof TargetPolicy)) metrics.putAll(ImplicitRewards.evaluate(policy, reference, data, tok, beta, TokenLimits.NONE));
        return new EvalReport.Row(policy.name(), tilt == null ? null : tilt.formula(), metrics, warnings);
    }
}
