package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import io.align4j.data.TokenLimits;
import io.align4j.eval.EvalReport;
import io.align4j.eval.Estimate;
import io.align4j.eval.ImplicitRewards;
import io.align4j.eval.ModelPolicy;
import io.align4j.eval.Policy;
import io.align4j.eval.TargetPolicy;
import io.align4j.eval.TaskEvaluation;
import io.align4j.model.io.ModelLoader;
import io.align4j.task.HappyTask;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code align4j eval}: one table, a row per model, and a JSON file of every metric with its standard error. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate models on a known-target task (--task) and/or a held-out preference file (--data).")
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

    @Override
    public Integer call() {
        if (task == null && data == null) throw new UserError("give --task DIR, --data FILE, or both");
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
            for (String m : models) {
                if (m.equals(TARGET)) {
                    if (loadedTask == null) throw new UserError("--model target needs --task");
                    TargetPolicy target = new TargetPolicy(refPolicy, loadedTask.target(tok), loadedTask.settings().referenceSamples(), seed + 1);
                    report.add(evaluate(target, refPolicy, loadedTask, tok));
                    continue;
                }
                try (NDManager sub = manager.newSubManager();
                     ModelLoader.LoadedModel lm = ModelLoader.load(Path.of(m), tokenizer, sub)) {
                    report.add(evaluate(new ModelPolicy(m, lm.model(), suppress, tok.padId(), batch), refPolicy, loadedTask, tok));
                }
            }
        }
        report.writeJson(out);
        spec.commandLine().getOut().print(report.table());
        spec.commandLine().getOut().println("wrote " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private EvalReport.Row evaluate(Policy policy, ModelPolicy reference, HappyTask loadedTask, TextTokenizer tok) {
        Map<String, Estimate> metrics = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        if (loadedTask != null) {
            TaskEvaluation.Result r = TaskEvaluation.evaluate(policy, reference, loadedTask, tok,
                    new TaskEvaluation.Settings(k, seed, essWarning));
            metrics.putAll(r.metrics());
            warnings.addAll(r.warnings());
        }
        if (data != null && !(policy instanceof TargetPolicy)) metrics.putAll(ImplicitRewards.evaluate(policy, reference, data, tok, beta, TokenLimits.NONE));
        return new EvalReport.Row(policy.name(), metrics, warnings);
    }
}
