package io.align4j.eval;

import io.align4j.generate.BatchSampling;
import io.align4j.task.HappyTask;
import io.align4j.task.KnownTarget;
import io.align4j.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores a policy π̂ on a task whose target π* is known, on the task's held-out prompts with k
 * samples per prompt (the same seed for every policy). The distances come first because they
 * are what the task exists to measure:
 * <ul>
 *   <li>{@code kl/target_forward} KL(π* ‖ π̂) and {@code kl/target_reverse} KL(π̂ ‖ π*), by
 *       {@link PooledSamples}: the task's M samples of π_0 per prompt pooled with π̂'s own k,
 *       weighted against their mixture, so ln Ẑ and E_π* use both; {@code ess} is the effective
 *       sample size of those weights, with a warning when its mean over prompts is below
 *       {@code essWarning};</li>
 *   <li>with an {@code optimum} (the population optimum the policy's method should reach, a
 *       {@link Tilt} π_0^a·e^{b·r}), {@code kl/optimum_forward}, {@code kl/optimum_reverse} and
 *       {@code ess/optimum} the same way, with M/2 samples per prompt of π_0 at temperature 1/a
 *       pooled too when a ≠ 1 (π_0's own samples see π_0^a only through π_0^{a−1}, which spreads
 *       over tens of nats between responses);</li>
 *   <li>{@code kl/ref} E_π̂[ln π̂ − ln π_0];</li>
 *   <li>{@code gold/reward} E_π̂[r]; {@code gold/win_rate} E[σ(γ[ln π*(a) − ln π*(b)])] with
 *       a ~ π̂ and b the first k samples of π_0's reference pool;</li>
 *   <li>{@code entropy} mean next-token entropy of π̂ on its samples; {@code distinct-2},
 *       {@code distinct-3} within each prompt's k samples; {@code length} mean response tokens.</li>
 * </ul>
 * Every metric is a mean over prompts of a per-prompt mean, with the standard error across prompts.
 * All log-probs come from the scoring forward, so a policy that is π_0 itself gets kl/ref = 0
 * exactly and the target KLs equal their closed forms ln Ẑ − E_π0[r]/τ and E_π*[r]/τ − ln Ẑ
 * (on the M + k pooled samples of π_0).
 */
public final class TaskEvaluation {
    private TaskEvaluation() {}

    public record Settings(int samplesPerPrompt, long seed, double essWarning) {
        public static Settings defaults() { return new Settings(4, 20240601L, 8); }
    }

    /**
     * @param metrics  metric name → mean ± standard error
     * @param warnings human-readable problems (low effective sample size)
     * @param details  the per-prompt numbers behind the metrics
     * @param samples  the policy's responses, {@code samplesPerPrompt} per held-out prompt in prompt order
     *                 (for other scorers, such as a reward model, and for showing continuations)
     */
    public record Result(String policy, Map<String, Estimate> metrics, List<String> warnings, Details details, List<int[]> samples) {}

    /**
     * @param sampleRewards [prompt][k] r of the policy's samples
     * @param pooled        π_0's pool and the policy's samples, scored by both
     * @param toTarget      the distances to π*, with ln Ẑ and the pooled samples' weights
     */
    public record Details(double[][] sampleRewards, PooledSamples pooled, PooledSamples.Distances toTarget) {}

    public static final String KL_TARGET_FORWARD = "kl/target_forward", KL_TARGET_REVERSE = "kl/target_reverse",
            KL_OPTIMUM_FORWARD = "kl/optimum_forward", KL_OPTIMUM_REVERSE = "kl/optimum_reverse",
            ESS_TARGET = "ess", ESS_OPTIMUM = "ess/optimum";

    public static Result evaluate(Policy policy, ModelPolicy reference, HappyTask task, TextTokenizer tokenizer, Settings settings) {
        return evaluate(policy, reference, task, tokenizer, settings, null);
    }

    /**
     * As {@link #evaluate(Policy, ModelPolicy, HappyTask, TextTokenizer, Settings)}, and with {@code optimum} (may be null)
     * the distances to the distribution the policy's method should converge to, as {@code kl/optimum_forward},
     * {@code kl/optimum_reverse} and {@code ess/optimum}.
     */
    public static Result evaluate(Policy policy, ModelPolicy reference, HappyTask task, TextTokenizer tokenizer, Settings settings,
                                  Tilt optimum) {
        return evaluate(policy, new ReferenceSide(reference, task, tokenizer, settings), optimum);
    }

    /**
     * What an evaluation computes of π_0 alone (its pool's scores, its tempered pools), the same for
     * every policy evaluated against it, so that a caller evaluating several keeps it and pays once.
     */
    public static final class ReferenceSide {
        final ModelPolicy reference;
        final HappyTask task;
        final TextTokenizer tokenizer;
        final Settings settings;
        final KnownTarget target;
        final List<int[]> prompts = new ArrayList<>(), pool = new ArrayList<>();
        final int m;
        final double[][] poolRef;
        private final Map<Double, TemperedPool> tempered = new java.util.HashMap<>();

        public ReferenceSide(ModelPolicy reference, HappyTask task, TextTokenizer tokenizer, Settings settings) {
            this.reference = reference;
            this.task = task;
            this.tokenizer = tokenizer;
            this.settings = settings;
            this.target = task.target(tokenizer);
            for (String p : task.evalPrompts()) prompts.add(tokenizer.encode(p, true, false));
            m = task.poolResponses()[0].length;
            for (int[][] responses : task.poolResponses()) {
                if (responses.length != m) throw new IllegalArgumentException("reference pool sizes differ between prompts");
                pool.addAll(List.of(responses));
            }
            poolRef = grid(reference.score(repeat(prompts, m), pool).logProbs(), prompts.size(), m);
        }

        /** M/2 samples per prompt of π_0 at {@code temperature}, scored by π_0 and by tempered π_0, with the pool's tempered scores. */
        TemperedPool tempered(double temperature) {
            return tempered.computeIfAbsent(temperature, t -> {
                int n = prompts.size(), count = Math.max(1, m / 2);
                List<int[]> samples = reference.sampleAtTemperature(prompts, count, task.settings().responseTokens(), settings.seed() + 2, t);
                List<int[]> samplePrompts = repeat(prompts, count);
                double[][] rewards = new double[n][count];
                for (int i = 0; i < samples.size(); i++) rewards[i / count][i % count] = target.reward(samples.get(i));
                return new TemperedPool(t, samples, samplePrompts, grid(reference.score(samplePrompts, samples).logProbs(), n, count), rewards,
                        grid(reference.logProbsAtTemperature(samplePrompts, samples, t), n, count),
                        grid(reference.logProbsAtTemperature(repeat(prompts, m), pool, t), n, m));
            });
        }
    }

    /**
     * π_0 at one temperature as a proposal: its samples with their ln π_0, rewards and tempered
     * log-probs, and the tempered log-probs of π_0's pool.
     */
    record TemperedPool(double temperature, List<int[]> samples, List<int[]> samplePrompts, double[][] refLogp, double[][] rewards,
                        double[][] temperedLogp, double[][] poolTemperedLogp) {}

    /** {@link #evaluate(Policy, ModelPolicy, HappyTask, TextTokenizer, Settings, Tilt)} against a {@link ReferenceSide} kept by the caller. */
    public static Result evaluate(Policy policy, ReferenceSide side, Tilt optimum) {
        ModelPolicy reference = side.reference;
        HappyTask task = side.task;
        Settings settings = side.settings;
        KnownTarget target = side.target;
        List<int[]> prompts = side.prompts;
        int promptCount = prompts.size(), k = settings.samplesPerPrompt(), length = task.settings().responseTokens(), m = side.m;

        List<int[]> samples = policy.sample(prompts, k, length, settings.seed());
        List<int[]> samplePrompts = repeat(prompts, k);
        BatchSampling.Scored own = policy.score(samplePrompts, samples);
        double[][] logp = grid(own.logProbs(), promptCount, k);
        double[][] refLogp = grid(reference.score(samplePrompts, samples).logProbs(), promptCount, k);
        double[][] rewards = new double[promptCount][k];
        for (int i = 0; i < samples.size(); i++) rewards[i / k][i % k] = target.reward(samples.get(i));

        double[][] poolRef = side.poolRef;
        double[][] policyOnPool = policy == reference ? poolRef : grid(policy.score(repeat(prompts, m), side.pool).logProbs(), promptCount, m);
        PooledSamples pooled = PooledSamples.pool(poolRef, policyOnPool, task.poolRewards(), refLogp, logp, rewards);
        PooledSamples.Distances toTarget = pooled.distances(Tilt.target(target.tau()));
        PooledSamples optimumPool = optimum == null ? null : withTemperedReference(pooled, optimum, policy, side, samplePrompts, samples,
                policyOnPool, logp, refLogp, rewards);
        PooledSamples.Distances toOptimum = optimum == null ? null : optimumPool.distances(optimum);

        int baseK = Math.min(k, m);
        double[][] baseRef = new double[promptCount][], baseRewards = new double[promptCount][];
        for (int p = 0; p < promptCount; p++) {
            baseRef[p] = java.util.Arrays.copyOf(poolRef[p], baseK);
            baseRewards[p] = java.util.Arrays.copyOf(task.poolRewards()[p], baseK);
        }

        Map<String, Estimate> metrics = new LinkedHashMap<>();
        metrics.put(KL_TARGET_FORWARD, toTarget.forwardKl());
        metrics.put(KL_TARGET_REVERSE, toTarget.reverseKl());
        if (toOptimum != null) {
            metrics.put(KL_OPTIMUM_FORWARD, toOptimum.forwardKl());
            metrics.put(KL_OPTIMUM_REVERSE, toOptimum.reverseKl());
        }
        metrics.put("kl/ref", TargetEstimators.klToReference(logp, refLogp));
        metrics.put("gold/reward", perPromptMean(rewards));
        metrics.put("gold/win_rate", TargetEstimators.winRate(refLogp, rewards, baseRef, baseRewards, target.tau(), target.gamma()));
        metrics.put("entropy", own.meanEntropy() == null ? new Estimate(Double.NaN, Double.NaN)
                : perPromptMean(grid(own.meanEntropy(), promptCount, k)));
        double[] d2 = new double[promptCount], d3 = new double[promptCount], len = new double[promptCount];
        for (int p = 0; p < promptCount; p++) {
            List<int[]> mine = samples.subList(p * k, (p + 1) * k);
            d2[p] = Diversity.distinctN(mine, 2);
            d3[p] = Diversity.distinctN(mine, 3);
            len[p] = mine.stream().mapToInt(a -> a.length).average().orElse(0);
        }
        metrics.put("distinct-2", Estimate.of(d2));
        metrics.put("distinct-3", Estimate.of(d3));
        metrics.put("length", Estimate.of(len));
        metrics.put(ESS_TARGET, toTarget.ess());
        if (toOptimum != null) metrics.put(ESS_OPTIMUM, toOptimum.ess());

        List<String> warnings = new ArrayList<>();
        if (toTarget.ess().mean() < settings.essWarning()) warnings.add(essWarning(toTarget, pooled, settings));
        if (toOptimum != null && toOptimum.ess().mean() < settings.essWarning()) warnings.add(essWarning(toOptimum, optimumPool, settings));
        return new Result(policy.name(), metrics, warnings, new Details(rewards, pooled, toTarget), samples);
    }

    private static String essWarning(PooledSamples.Distances d, PooledSamples pool, Settings settings) {
        return String.format("%s: mean effective sample size %.1f of %d pooled samples per prompt is below %.1f: its ln Z and"
                + " expectations are poorly estimated (ln Ẑ of a few heavy samples runs low, and the reverse KL with it); build the task"
                + " with more --reference-samples, evaluate with more samples per prompt or a larger --tau", d.tilt().formula(),
                d.ess().mean(), pool.refLogp()[0].length, settings.essWarning());
    }

    /**
     * The pool for a tilt π_0^a·e^{b·r} with a ≠ 1: π_0's and π̂'s samples plus M/2 per prompt of π_0 at
     * temperature 1/a (a proposal close to π_0^a, whatever π̂ is), every sample scored under all three.
     * With a = 1 the first two suffice, and the pool is returned as it is.
     */
    private static PooledSamples withTemperedReference(PooledSamples pooled, Tilt optimum, Policy policy, ReferenceSide side,
                                                       List<int[]> samplePrompts, List<int[]> samples, double[][] policyOnPool,
                                                       double[][] logp, double[][] refLogp, double[][] rewards) {
        double a = optimum.refPower();
        if (a == 1 || !(a > 0)) return pooled;
        int promptCount = side.prompts.size(), k = samples.size() / promptCount;
        TemperedPool t = side.tempered(1 / a);
        int count = t.samples().size() / promptCount;
        double[][] policyOnTempered = policy == side.reference ? t.refLogp()
                : grid(policy.score(t.samplePrompts(), t.samples()).logProbs(), promptCount, count);
        return PooledSamples.pool(
                new PooledSamples.Draws(side.poolRef, policyOnPool, side.task.poolRewards(), t.poolTemperedLogp()),
                new PooledSamples.Draws(refLogp, logp, rewards,
                        grid(side.reference.logProbsAtTemperature(samplePrompts, samples, t.temperature()), promptCount, k)),
                new PooledSamples.Draws(t.refLogp(), policyOnTempered, t.rewards(), t.temperedLogp()));
    }

    static Estimate perPromptMean(double[][] x) {
        double[] means = new double[x.length];
        for (int p = 0; p < x.length; p++) {
            double s = 0;
            for (double v : x[p]) s += v;
            means[p] = s / x[p].length;
        }
        return Estimate.of(means);
    }

    private static List<int[]> repeat(List<int[]> prompts, int times) {
        List<int[]> out = new ArrayList<>(prompts.size() * times);
        for (int[] p : prompts) for (int j = 0; j < times; j++) out.add(p);
        return out;
    }

    private static double[][] grid(double[] flat, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) System.arraycopy(flat, i * cols, out[i], 0, cols);
        return out;
    }
}
