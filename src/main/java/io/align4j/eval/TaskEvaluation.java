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
 * samples per prompt (the same seed for every policy):
 * <ul>
 *   <li>{@code gold/reward} E_π̂[r]; {@code gold/win_rate} E[σ(γ[ln π*(a) − ln π*(b)])] with
 *       a ~ π̂ and b the first k samples of π_0's reference pool;</li>
 *   <li>{@code kl/ref} E_π̂[ln π̂ − ln π_0];</li>
 *   <li>{@code kl/target_reverse} E_π̂[ln π̂ − ln π_0 − r/τ] + ln Ẑ and {@code kl/target_forward}
 *       Σ_j w_j (ln π_0 + r/τ − ln Ẑ − ln π̂)(a_j) over the M pool samples of π_0, with
 *       ln Ẑ = ln (1/M) Σ_j e^{r_j/τ} and w_j ∝ e^{r_j/τ} (self-normalised importance sampling);
 *       the effective sample size (Σw)²/Σw² is reported, with a warning when its mean over
 *       prompts is below {@code essWarning};</li>
 *   <li>{@code entropy} mean next-token entropy of π̂ on its samples; {@code distinct-2},
 *       {@code distinct-3} within each prompt's k samples; {@code length} mean response tokens.</li>
 * </ul>
 * Every metric is a mean over prompts of a per-prompt mean, with the standard error across prompts.
 * All log-probs come from the scoring forward, so a policy that is π_0 itself gets kl/ref = 0
 * exactly and the target KLs equal their closed forms ln Ẑ − E_π0[r]/τ and E_π*[r]/τ − ln Ẑ.
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
     * @param logZ          [prompt] ln Ẑ(x)
     * @param poolRewards   [prompt][M] r of π_0's pool
     * @param poolWeights   [prompt][M] normalised importance weights of the pool for π*
     * @param ess           [prompt] effective sample size of those weights
     */
    public record Details(double[][] sampleRewards, double[] logZ, double[][] poolRewards, double[][] poolWeights, double[] ess) {}

    public static Result evaluate(Policy policy, ModelPolicy reference, HappyTask task, TextTokenizer tokenizer, Settings settings) {
        KnownTarget target = task.target(tokenizer);
        int promptCount = task.evalPrompts().size(), k = settings.samplesPerPrompt(), length = task.settings().responseTokens();
        List<int[]> prompts = new ArrayList<>();
        for (String p : task.evalPrompts()) prompts.add(tokenizer.encode(p, true, false));

        List<int[]> samples = policy.sample(prompts, k, length, settings.seed());
        List<int[]> samplePrompts = repeat(prompts, k);
        BatchSampling.Scored own = policy.score(samplePrompts, samples);
        double[][] logp = grid(own.logProbs(), promptCount, k);
        double[][] refLogp = grid(reference.score(samplePrompts, samples).logProbs(), promptCount, k);
        double[][] rewards = new double[promptCount][k];
        for (int i = 0; i < samples.size(); i++) rewards[i / k][i % k] = target.reward(samples.get(i));

        int m = task.poolResponses()[0].length;
        List<int[]> poolPrompts = repeat(prompts, m), pool = new ArrayList<>();
        for (int[][] responses : task.poolResponses()) {
            if (responses.length != m) throw new IllegalArgumentException("reference pool sizes differ between prompts");
            pool.addAll(List.of(responses));
        }
        double[] poolRefFlat = reference.score(poolPrompts, pool).logProbs();
        double[][] poolRef = grid(poolRefFlat, promptCount, m);
        double[][] policyOnPool = policy == reference ? poolRef : grid(policy.score(poolPrompts, pool).logProbs(), promptCount, m);
        double[] logZ = TargetEstimators.logPartition(task.poolRewards(), target.tau());
        double[][] weights = TargetEstimators.targetWeights(task.poolRewards(), target.tau());
        double[] ess = TargetEstimators.effectiveSampleSize(weights);

        int baseK = Math.min(k, m);
        double[][] baseRef = new double[promptCount][], baseRewards = new double[promptCount][];
        for (int p = 0; p < promptCount; p++) {
            baseRef[p] = java.util.Arrays.copyOf(poolRef[p], baseK);
            baseRewards[p] = java.util.Arrays.copyOf(task.poolRewards()[p], baseK);
        }

        Map<String, Estimate> metrics = new LinkedHashMap<>();
        metrics.put("gold/reward", perPromptMean(rewards));
        metrics.put("gold/win_rate", TargetEstimators.winRate(refLogp, rewards, baseRef, baseRewards, target.tau(), target.gamma()));
        metrics.put("kl/ref", TargetEstimators.klToReference(logp, refLogp));
        metrics.put("kl/target_reverse", TargetEstimators.reverseKl(logp, refLogp, rewards, target.tau(), logZ));
        metrics.put("kl/target_forward", TargetEstimators.forwardKl(poolRef, task.poolRewards(), policyOnPool, weights, target.tau(), logZ));
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
        Estimate essEstimate = Estimate.of(ess);
        metrics.put("ess", essEstimate);

        List<String> warnings = new ArrayList<>();
        if (essEstimate.mean() < settings.essWarning())
            warnings.add(String.format("mean effective sample size %.1f of %d pool samples per prompt is below %.1f:"
                    + " ln Z and E_π* are poorly estimated; build the task with more --reference-samples or a larger --tau",
                    essEstimate.mean(), m, settings.essWarning()));
        return new Result(policy.name(), metrics, warnings, new Details(rewards, logZ, task.poolRewards(), weights, ess), samples);
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
