package io.align4j.lab;

import ai.djl.ndarray.NDManager;
import io.align4j.config.OfflineConfig;
import io.align4j.config.OnlineConfig;
import io.align4j.config.PolicyConfig;
import io.align4j.eval.Estimate;
import io.align4j.eval.ModelPolicy;
import io.align4j.eval.RewardModelFit;
import io.align4j.eval.TargetPolicy;
import io.align4j.eval.TaskEvaluation;
import io.align4j.eval.Tilt;
import io.align4j.model.RewardModel;
import io.align4j.model.io.ModelLoader;
import io.align4j.model.io.RewardModelFolder;
import io.align4j.quickstart.Budget;
import io.align4j.quickstart.PredictedOptimum;
import io.align4j.quickstart.Preset;
import io.align4j.quickstart.Quickstart;
import io.align4j.report.Plots;
import io.align4j.task.HappyTask;
import io.align4j.task.TaskBuilder;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.train.OnlineTrainer;
import io.align4j.train.PreferenceTrainer;
import io.align4j.train.RewardTrainer;
import io.align4j.util.AtomicFiles;
import io.align4j.util.UserError;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code align4j lab lm-convergence}: does each method reach, on a language model, the
 * distribution its theory says it reaches, and does it get closer as the data grows?
 *
 * <p>It builds {@code tinystories-happy} once with the largest n pairs, then for each n (nested:
 * the first n pairs) trains the reward model and every method at the {@link Preset#THEORY}
 * settings, and evaluates each policy against the known target π* and against its method's
 * predicted optimum ({@link PredictedOptimum}) in both directions. The distribution-learning
 * source predicts KL(π* ‖ π̂) = O(1/n) for PMLE, PD and RKL (slope −1 on a log–log plot) and
 * that DPO and RLHF converge to π_0·π*^{γ/β} instead; the contrastive source that MIO's chosen
 * reward does not decline while DPO's does.
 *
 * <p>Offline methods take max(minOfflineSteps, n / batch) steps (one pass at least, and enough
 * steps at small n that the optimiser, not the data, is not what stops them); the reward model
 * as many passes as make rewardMinSteps steps; online methods a fixed number of rollouts, since
 * n reaches them only through the reward model. Every row is written to the CSV as soon as it
 * is measured and every training run resumes from its checkpoint, so an interrupted sweep
 * continues where it stopped with the same numbers.
 */
public final class LmConvergence {
    private LmConvergence() {}

    public static final String CSV = "lm-convergence.csv", PNG = "lm-convergence.png", SUMMARY = "lm-convergence.txt";

    /**
     * @param pairCounts       the n of each round, ascending; the task is built with the largest
     * @param methods          the methods trained at each n
     * @param trainPrompts     distinct training prompts of the task
     * @param evalPrompts      held-out prompts of the evaluation
     * @param responseTokens   exact response length
     * @param referenceSamples π_0 samples per held-out prompt (ln Z, E_π*)
     * @param samplesPerPrompt the policy's own samples per held-out prompt
     * @param batchSize        pairs or prompts per step
     * @param minOfflineSteps  the fewest steps of an offline method
     * @param rewardMinSteps   the fewest steps of the reward model
     * @param onlineSteps      rollouts of each online method
     */
    public record Config(List<Integer> pairCounts, List<String> methods, int trainPrompts, int evalPrompts, int responseTokens,
                         int referenceSamples, int samplesPerPrompt, int batchSize, int minOfflineSteps, int rewardMinSteps,
                         int onlineSteps) {
        public Config {
            pairCounts = List.copyOf(pairCounts);
            methods = List.copyOf(methods);
            for (int i = 1; i < pairCounts.size(); i++)
                if (pairCounts.get(i) <= pairCounts.get(i - 1)) throw new UserError("--pairs must ascend, was " + pairCounts);
            for (String m : methods)
                if (!Quickstart.OFFLINE.contains(m) && !Quickstart.ONLINE.contains(m))
                    throw new UserError("lm-convergence trains " + String.join(", ", Quickstart.OFFLINE) + ", "
                            + String.join(", ", Quickstart.ONLINE) + "; not " + m);
        }

        /** n = 1k, 4k, 16k; every method with a stated optimum, and MIO for the chosen-reward claim. */
        public static Config defaults() {
            return new Config(List.of(1000, 4000, 16000), List.of("dpo", "pmle", "mio", "pd", "rlhf", "rkl"),
                    2000, 48, 32, 128, 8, 16, 150, 250, 40);
        }

        /** Seconds: every stage runs, the numbers mean nothing. */
        public static Config quick() {
            return new Config(List.of(24, 48), List.of("dpo", "pmle", "rlhf"), 24, 4, 8, 8, 2, 4, 3, 3, 2);
        }

        public Config withPairCounts(List<Integer> n) {
            return new Config(n, methods, trainPrompts, evalPrompts, responseTokens, referenceSamples, samplesPerPrompt, batchSize,
                    minOfflineSteps, rewardMinSteps, onlineSteps);
        }

        public Config withMethods(List<String> m) {
            return new Config(pairCounts, m, trainPrompts, evalPrompts, responseTokens, referenceSamples, samplesPerPrompt, batchSize,
                    minOfflineSteps, rewardMinSteps, onlineSteps);
        }

        /** The quickstart budget of round n: its pairs, its steps. */
        Budget budget(int n) {
            int offlineSteps = Math.max(minOfflineSteps, (n + batchSize - 1) / batchSize);
            int rewardEpochs = Math.max(1, (int) Math.ceil((double) rewardMinSteps * 2 * batchSize / n));
            return new Budget("n=" + n, n, trainPrompts, evalPrompts, responseTokens, referenceSamples, samplesPerPrompt, rewardEpochs,
                    offlineSteps, onlineSteps, batchSize);
        }
    }

    /** The metrics of a row, in CSV order; each is written as mean and standard error. */
    static final List<String> METRICS = List.of(TaskEvaluation.KL_TARGET_FORWARD, TaskEvaluation.KL_TARGET_REVERSE,
            TaskEvaluation.KL_OPTIMUM_FORWARD, TaskEvaluation.KL_OPTIMUM_REVERSE, "kl/ref", "gold/win_rate", "gold/reward",
            TaskEvaluation.ESS_TARGET, TaskEvaluation.ESS_OPTIMUM, "entropy");

    /**
     * One policy at one n (n = 0 for π_0 and π*, which do not depend on it).
     *
     * @param chosenRewardEnd the offline run's implicit reward of the chosen responses β(ln π − ln π_0), mean of its last
     *                        tenth of logged steps (it starts at 0); NaN for online runs
     * @param rewardModel     the fit to γ ln π* of the reward model trained on n pairs (online rows), else null
     */
    public record Row(int n, String method, String optimum, Map<String, Estimate> metrics, double chosenRewardEnd,
                      RewardModelFit rewardModel, double seconds) {
        String key() {
            return n + "/" + method;
        }
    }

    public record Result(Config config, List<Row> rows) {
        Row row(int n, String method) {
            return rows.stream().filter(r -> r.n() == n && r.method().equals(method)).findFirst().orElse(null);
        }

        /** Least-squares slope of ln KL against ln n for one method and metric; NaN when a value is not positive. */
        public double slope(String method, String metric) {
            List<Integer> ns = config.pairCounts();
            double[] x = new double[ns.size()], y = new double[ns.size()];
            for (int i = 0; i < x.length; i++) {
                Row r = row(ns.get(i), method);
                Estimate e = r == null ? null : r.metrics().get(metric);
                if (e == null || !(e.mean() > 0)) return Double.NaN;
                x[i] = ns.get(i);
                y[i] = e.mean();
            }
            return x.length < 2 ? Double.NaN : LabStats.logLogSlope(x, y);
        }

        public String summary() {
            StringBuilder s = new StringBuilder();
            Row pi0 = row(0, "pi0"), target = row(0, "target");
            int largest = config.pairCounts().get(config.pairCounts().size() - 1);
            s.append(String.format(Locale.ROOT, "lm-convergence: n = %s; π_0 KL(π* ‖ π_0) = %s, π* itself %s%n",
                    config.pairCounts(), format(pi0, TaskEvaluation.KL_TARGET_FORWARD), format(target, TaskEvaluation.KL_TARGET_FORWARD)));
            s.append(String.format(Locale.ROOT, "%-6s %-12s %22s %22s %22s %22s %12s %12s%n", "method", "optimum",
                    "KL(π*‖π̂) at n=" + largest, "KL(π̂‖π*)", "KL(opt‖π̂)", "KL(π̂‖opt)", "slope π*", "slope opt"));
            for (String m : config.methods()) {
                Row r = row(largest, m);
                s.append(String.format(Locale.ROOT, "%-6s %-12s %22s %22s %22s %22s %12.2f %12.2f%n", m,
                        r == null || r.optimum() == null ? "-" : r.optimum(),
                        format(r, TaskEvaluation.KL_TARGET_FORWARD), format(r, TaskEvaluation.KL_TARGET_REVERSE),
                        format(r, TaskEvaluation.KL_OPTIMUM_FORWARD), format(r, TaskEvaluation.KL_OPTIMUM_REVERSE),
                        slope(m, TaskEvaluation.KL_TARGET_FORWARD), slope(m, TaskEvaluation.KL_OPTIMUM_FORWARD)));
            }
            return s.toString();
        }

        private static String format(Row r, String metric) {
            Estimate e = r == null ? null : r.metrics().get(metric);
            return e == null || Double.isNaN(e.mean()) ? "-" : String.format(Locale.ROOT, "%.3f ± %.3f", e.mean(), e.stderr());
        }

        public void writeCsv(Path file) {
            StringBuilder sb = new StringBuilder(header()).append('\n');
            for (Row r : rows) sb.append(line(r)).append('\n');
            byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(file, out -> AtomicFiles.writeFully(out, ByteBuffer.wrap(bytes)));
        }

        /** KL(π* ‖ π̂) and KL(opt ‖ π̂) against n, log–log, one line per method with ± 1 SE bars, π_0's level drawn flat. */
        public void plot(Path png) {
            List<Integer> ns = config.pairCounts();
            double[] x = new double[ns.size()];
            for (int i = 0; i < x.length; i++) x[i] = ns.get(i);
            List<Plots.Panel> panels = new ArrayList<>();
            for (String metric : List.of(TaskEvaluation.KL_TARGET_FORWARD, TaskEvaluation.KL_OPTIMUM_FORWARD)) {
                List<Plots.Series> series = new ArrayList<>();
                boolean allPositive = true;
                for (String m : config.methods()) {
                    double[] y = new double[x.length], lo = new double[x.length], hi = new double[x.length];
                    boolean complete = true;
                    for (int i = 0; i < x.length; i++) {
                        Row r = row(ns.get(i), m);
                        Estimate e = r == null ? null : r.metrics().get(metric);
                        if (e == null || !Double.isFinite(e.mean())) {
                            complete = false;
                            break;
                        }
                        double se = Double.isFinite(e.stderr()) ? e.stderr() : 0;
                        y[i] = e.mean();
                        lo[i] = e.mean() - se;
                        hi[i] = e.mean() + se;
                        allPositive &= lo[i] > 0;
                    }
                    if (complete) series.add(new Plots.Series(m, x, y, lo, hi, config.methods().indexOf(m)));
                }
                Row pi0 = row(0, "pi0");
                if (metric.equals(TaskEvaluation.KL_TARGET_FORWARD) && pi0 != null) {
                    double level = pi0.metrics().get(metric).mean();
                    double[] flat = new double[x.length];
                    java.util.Arrays.fill(flat, level);
                    series.add(new Plots.Series("pi_0", x, flat, null, null, config.methods().size()));
                    allPositive &= level > 0;
                }
                if (series.isEmpty()) continue;
                panels.add(new Plots.Panel(metric.equals(TaskEvaluation.KL_TARGET_FORWARD)
                        ? "distance to the target pi* (mean ± 1 SE)" : "distance to the method's predicted optimum (mean ± 1 SE)",
                        "n preference pairs", metric.equals(TaskEvaluation.KL_TARGET_FORWARD) ? "KL(pi* || pi_hat)" : "KL(opt || pi_hat)",
                        true, allPositive, series));
            }
            if (!panels.isEmpty()) Plots.save(png, 2, panels);
        }

        static String header() {
            StringBuilder h = new StringBuilder("n,method,optimum,seconds");
            for (String m : METRICS) h.append(',').append(m).append(',').append(m).append("_se");
            return h.append(",chosen_reward_end,rm_correlation,rm_slope,rm_fluency_correlation,rm_reward_correlation").toString();
        }

        static String line(Row r) {
            StringBuilder l = new StringBuilder().append(r.n()).append(',').append(r.method()).append(',')
                    .append(r.optimum() == null ? "" : '"' + r.optimum() + '"').append(',').append(number(r.seconds()));
            for (String m : METRICS) {
                Estimate e = r.metrics().get(m);
                l.append(',').append(e == null ? "" : number(e.mean())).append(',').append(e == null ? "" : number(e.stderr()));
            }
            RewardModelFit f = r.rewardModel();
            l.append(',').append(number(r.chosenRewardEnd()));
            for (double v : f == null ? new double[4] : new double[] {f.correlation(), f.slope(), f.fluencyCorrelation(), f.rewardCorrelation()})
                l.append(',').append(f == null ? "" : number(v));
            return l.toString();
        }

        private static String number(double v) {
            return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
        }
    }

    public static Result run(Path model, Path out, Config config, Consumer<String> log) throws IOException {
        Files.createDirectories(out);
        int largest = config.pairCounts().get(config.pairCounts().size() - 1);
        Path taskDir = out.resolve("task");
        Quickstart.buildTask(model, taskDir, config.budget(largest), log);
        HappyTask happy = HappyTask.load(taskDir);
        Path csv = out.resolve(CSV);
        Map<String, Row> done = readRows(csv);
        List<Row> rows = new ArrayList<>(done.values());
        TaskEvaluation.Settings evalSettings = new TaskEvaluation.Settings(config.samplesPerPrompt(), 20240601L, 8);
        try (NDManager manager = NDManager.newBaseManager(); ModelLoader.LoadedModel reference = ModelLoader.load(model, null, manager)) {
            TextTokenizer tok = reference.tokenizer();
            int[] suppress = {tok.bosId(), tok.eosId()};
            ModelPolicy pi0 = new ModelPolicy("pi0", reference.model(), suppress, tok.padId(), happy.settings().batch());
            TaskEvaluation.ReferenceSide side = new TaskEvaluation.ReferenceSide(pi0, happy, tok, evalSettings);
            if (!done.containsKey("0/pi0")) {
                log.accept("evaluating pi0");
                // its distance to DPO's and RLHF's optimum at β = γ, π_0·π*: where they start from
                Tilt dpoOptimum = PredictedOptimum.of(1, 1, happy.settings().tau());
                rows.add(new Row(0, "pi0", dpoOptimum.formula(), TaskEvaluation.evaluate(pi0, side, dpoOptimum).metrics(), Double.NaN, null, 0));
                new Result(config, rows).writeCsv(csv);
            }
            if (!done.containsKey("0/target")) {
                log.accept("evaluating the target pi*");
                TargetPolicy target = new TargetPolicy(pi0, happy.target(tok), happy.settings().referenceSamples(), evalSettings.seed() + 1);
                rows.add(new Row(0, "target", null, TaskEvaluation.evaluate(target, side, null).metrics(), Double.NaN, null, 0));
                new Result(config, rows).writeCsv(csv);
            }
            for (int n : config.pairCounts()) {
                Budget budget = config.budget(n);
                Path round = out.resolve("n" + n);
                Path pairs = nestedPairs(taskDir.resolve(TaskBuilder.PAIRS), round.resolve("pairs.jsonl"), n);
                Path rewardModel = null;
                RewardModelFit fit = null;
                for (String method : config.methods()) {
                    if (done.containsKey(n + "/" + method)) continue;
                    boolean online = Quickstart.ONLINE.contains(method);
                    if (online && rewardModel == null) {
                        log.accept("n = " + n + ": training the reward model (" + budget.rewardEpochs() + " passes)");
                        rewardModel = RewardTrainer.run(Quickstart.rewardConfig(model, pairs, round.resolve("reward"), budget), log).output();
                        try (NDManager sub = manager.newSubManager(); RewardModel rm = RewardModelFolder.load(rewardModel, sub)) {
                            fit = Quickstart.rewardModelFit(rm, pi0, happy, tok);
                        }
                    }
                    log.accept("n = " + n + ": training " + method);
                    long t = System.nanoTime();
                    Path output = round.resolve(method);
                    PolicyConfig c;
                    Path trained;
                    if (online) {
                        OnlineConfig oc = Quickstart.onlineConfig(method, model, taskDir, rewardModel, output, budget, Preset.THEORY);
                        trained = OnlineTrainer.run(oc, log).output();
                        c = oc;
                    } else {
                        OfflineConfig oc = Quickstart.offlineConfig(method, model, pairs, output, budget, Preset.THEORY);
                        trained = PreferenceTrainer.run(oc, log).output();
                        c = oc;
                    }
                    double seconds = (System.nanoTime() - t) / 1e9;
                    Tilt optimum = PredictedOptimum.of(c, happy.settings().gamma(), happy.settings().tau()).orElse(null);
                    log.accept("n = " + n + ": evaluating " + method);
                    try (NDManager sub = manager.newSubManager(); ModelLoader.LoadedModel lm = ModelLoader.load(trained, null, sub)) {
                        TaskEvaluation.Result r = TaskEvaluation.evaluate(new ModelPolicy(method, lm.model(), suppress, tok.padId(),
                                happy.settings().batch()), side, optimum);
                        r.warnings().forEach(w -> log.accept("warning: n = " + n + ", " + method + ": " + w));
                        rows.add(new Row(n, method, optimum == null ? null : optimum.formula(), r.metrics(),
                                online ? Double.NaN : chosenRewardEnd(output.resolve("metrics.jsonl")), online ? fit : null, seconds));
                    }
                    new Result(config, rows).writeCsv(csv);
                }
            }
        }
        Result result = new Result(config, rows);
        result.plot(out.resolve(PNG));
        Files.writeString(out.resolve(SUMMARY), result.summary());
        return result;
    }

    /** The first n lines of the task's pairs (the rounds are nested), written once. */
    static Path nestedPairs(Path all, Path subset, int n) throws IOException {
        if (Files.exists(subset)) return subset;
        Files.createDirectories(subset.getParent());
        List<String> lines = new ArrayList<>(n);
        try (BufferedReader r = Files.newBufferedReader(all, StandardCharsets.UTF_8)) {
            String line;
            while (lines.size() < n && (line = r.readLine()) != null) lines.add(line);
        }
        if (lines.size() < n) throw new UserError(all + " has " + lines.size() + " pairs, fewer than n = " + n);
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(subset, out -> AtomicFiles.writeFully(out, ByteBuffer.wrap(bytes)));
        return subset;
    }

    /** The mean of the last tenth of an offline run's logged {@code rewards/chosen}. */
    static double chosenRewardEnd(Path metricsFile) throws IOException {
        List<Double> chosen = Quickstart.curves(metricsFile).get("rewards/chosen");
        if (chosen == null || chosen.isEmpty()) return Double.NaN;
        int from = chosen.size() - Math.max(1, chosen.size() / 10);
        double s = 0;
        for (int i = from; i < chosen.size(); i++) s += chosen.get(i);
        return s / (chosen.size() - from);
    }

    /** Rows already measured, by n/method, from an earlier (interrupted) run's CSV. */
    static Map<String, Row> readRows(Path csv) throws IOException {
        Map<String, Row> rows = new LinkedHashMap<>();
        if (!Files.exists(csv)) return rows;
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(Result.header()))
            throw new UserError(csv + " was written by another version of lm-convergence (its header differs); move it away to start again");
        for (int i = 1; i < lines.size(); i++) {
            String[] f = splitCsv(lines.get(i));
            int col = 4;
            Map<String, Estimate> metrics = new LinkedHashMap<>();
            for (String m : METRICS) {
                String mean = f[col++], se = f[col++];
                if (!mean.isEmpty()) metrics.put(m, new Estimate(Double.parseDouble(mean), se.isEmpty() ? Double.NaN : Double.parseDouble(se)));
            }
            double chosen = parse(f[col++]);
            RewardModelFit fit = f[col].isEmpty() ? null
                    : new RewardModelFit(parse(f[col]), parse(f[col + 1]), Double.NaN, Double.NaN, parse(f[col + 2]), parse(f[col + 3]));
            Row r = new Row(Integer.parseInt(f[0]), f[1], f[2].isEmpty() ? null : f[2], metrics, chosen, fit, parse(f[3]));
            rows.put(r.key(), r);
        }
        return rows;
    }

    private static double parse(String s) {
        return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    /** Splits one CSV line whose only quoted field holds no quote or comma of its own. */
    private static String[] splitCsv(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char ch : line.toCharArray()) {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) {
                fields.add(cur.toString());
                cur.setLength(0);
            } else cur.append(ch);
        }
        fields.add(cur.toString());
        return fields.toArray(new String[0]);
    }
}
