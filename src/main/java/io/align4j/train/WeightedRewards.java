package io.align4j.train;

import io.align4j.reward.CommandReward;
import io.align4j.reward.RewardFunction;
import io.align4j.reward.SampleFailure;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The reward of the online methods as TRL combines several: {@code r = Σ_i w_i r_i} over its
 * parts, each a token-level {@link RewardSource} (gold judge, reward model) or a text-level
 * {@link RewardFunction}. Every part's answer is checked (one finite number per sample); any
 * failure becomes one {@link UserError} naming the reward and the sample (its index in the
 * rollout, its prompt and completion), so the run stops before the step's update and its last
 * checkpoint stays the newest. A Java reward runs on a daemon thread and must answer a batch
 * within the timeout; when it throws on a batch, it is called again sample by sample to find the
 * first one it fails on. An external command times each answer itself ({@link CommandReward}).
 * Metrics: {@code rewards/NAME/mean} of each part.
 */
final class WeightedRewards implements RewardSource {
    /** One reward and its weight; exactly one of {@code ids} and {@code text} is set. */
    record Part(String name, double weight, RewardSource ids, RewardFunction text) {}

    private final List<Part> parts;
    private final TextTokenizer tokenizer;
    private final long timeoutMillis;
    private ExecutorService executor;
    private Map<String, Double> last = Map.of();

    WeightedRewards(List<Part> parts, TextTokenizer tokenizer, double timeoutSeconds) {
        this.parts = List.copyOf(parts);
        this.tokenizer = tokenizer;
        this.timeoutMillis = (long) Math.ceil(timeoutSeconds * 1000);
    }

    @Override
    public double[] score(List<int[]> prompts, List<int[]> responses) {
        int n = responses.size();
        Texts texts = new Texts(prompts, responses);
        double[] total = new double[n];
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Part p : parts) {
            double[] s = p.ids() != null ? tokenLevel(p, prompts, responses, texts) : textLevel(p, texts);
            if (s == null || s.length != n)
                throw failure(p, texts, -1, "returned " + (s == null ? "null" : s.length + " scores") + " for " + n + " samples");
            double mean = 0;
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(s[i])) throw failure(p, texts, i, "returned " + s[i] + ", not a finite number");
                total[i] += p.weight() * s[i];
                mean += s[i] / n;
            }
            metrics.put("rewards/" + p.name() + "/mean", mean);
        }
        last = metrics;
        return total;
    }

    @Override
    public Map<String, Double> lastMetrics() { return last; }

    private double[] tokenLevel(Part p, List<int[]> prompts, List<int[]> responses, Texts texts) {
        try {
            return p.ids().score(prompts, responses);
        } catch (RuntimeException e) {
            throw failure(p, texts, -1, "threw " + e);
        }
    }

    private double[] textLevel(Part p, Texts texts) {
        if (p.text() instanceof CommandReward) { // it times each answer itself and knows the sample it waits for
            try {
                return p.text().score(texts.prompts(), texts.completions());
            } catch (SampleFailure e) {
                throw failure(p, texts, e.row(), e.getMessage());
            } catch (Exception e) {
                throw failure(p, texts, -1, "failed: " + e);
            }
        }
        try {
            return call(p, texts.prompts(), texts.completions());
        } catch (TimeoutException e) {
            throw failure(p, texts, -1, "did not answer within " + timeoutMillis / 1000.0 + " s");
        } catch (SampleFailure e) {
            throw failure(p, texts, e.row(), e.getMessage());
        } catch (Exception batchError) {
            for (int i = 0; i < texts.completions().size(); i++) { // which sample does it fail on?
                try {
                    call(p, texts.prompts().subList(i, i + 1), texts.completions().subList(i, i + 1));
                } catch (TimeoutException e) {
                    throw failure(p, texts, i, "did not answer within " + timeoutMillis / 1000.0 + " s");
                } catch (Exception e) {
                    throw failure(p, texts, i, "threw " + e);
                }
            }
            throw failure(p, texts, -1, "threw " + batchError + " on the batch (but on no sample alone)");
        }
    }

    private double[] call(Part p, List<String> prompts, List<String> completions) throws Exception {
        if (executor == null)
            executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "align4j-reward");
                t.setDaemon(true); // a hung reward must not keep the JVM alive after the run has stopped
                return t;
            });
        Future<double[]> f = executor.submit(() -> p.text().score(prompts, completions));
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            executor.shutdownNow();
            executor = null; // the hung thread is abandoned
            throw e;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** "reward 'NAME' failed on sample I of N (prompt "...", completion "..."): WHAT"; row −1 names the batch. */
    private UserError failure(Part p, Texts texts, int row, String what) {
        int n = texts.completions().size();
        String where = row < 0 ? "on the batch of " + n + " samples (first: " + sample(texts, 0) + ")"
                : "on sample " + row + " of " + n + " (" + sample(texts, row) + ")";
        return new UserError(String.format(Locale.ROOT, "reward '%s' failed %s: %s", p.name(), where, what));
    }

    private static String sample(Texts texts, int row) {
        if (texts.completions().isEmpty()) return "no samples";
        return "prompt \"" + quote(texts.prompts().get(row)) + "\", completion \"" + quote(texts.completions().get(row)) + "\"";
    }

    private static String quote(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() <= 80 ? one : one.substring(0, 80) + "...";
    }

    @Override
    public void close() {
        if (executor != null) executor.shutdownNow();
        List<String> problems = new ArrayList<>();
        for (Part p : parts) {
            try {
                if (p.text() != null) p.text().close();
                else p.ids().close();
            } catch (Exception e) {
                problems.add(p.name() + ": " + e);
            }
        }
        if (!problems.isEmpty()) System.err.println("align4j: closing rewards: " + problems);
    }

    /** The batch decoded once, on first use. */
    private final class Texts {
        private final List<int[]> promptIds, responseIds;
        private List<String> prompts, completions;

        Texts(List<int[]> promptIds, List<int[]> responseIds) {
            this.promptIds = promptIds;
            this.responseIds = responseIds;
        }

        List<String> prompts() {
            if (prompts == null) prompts = promptIds.stream().map(tokenizer::decode).toList();
            return prompts;
        }

        List<String> completions() {
            if (completions == null) completions = responseIds.stream().map(tokenizer::decode).toList();
            return completions;
        }
    }
}
