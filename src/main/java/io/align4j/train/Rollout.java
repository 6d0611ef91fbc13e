package io.align4j.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rollout of the online methods as a plain value (OpenRLHF's {@code Experience}): row
 * {@code g·k + j} is sample j of prompt group g. Rows are ragged, not padded, so the response
 * mask of row b is its first {@code responses().get(b).length} tokens. It is serialisable, so a
 * rollout made on a cluster's executors comes back to the trainer as is.
 *
 * @param prompts          [row] prompt ids (BOS first)
 * @param responses        [row] sampled response ids
 * @param tokenLogProbs    [row][t] ln π_t of each sampled token, from the sampler
 * @param logProbs         [row] ln π_t(a|x)
 * @param refLogProbs      [row] ln π_0(a|x)
 * @param refTokenLogProbs [row][t] ln π_0 of each sampled token
 * @param referenceFeatures [row][t·dim + d] the reference's final-normed hidden state at the
 *                         position that predicts response token t; null unless asked for (PPO's value head)
 * @param scores           [row] the reward source's score
 * @param groups           prompt groups
 * @param rewardMetrics    the reward source's metrics of these rows ({@link RewardSource#lastMetrics})
 * The reference's arrays are null when the task has no reference (GRPO with β = 0).
 */
public record Rollout(List<int[]> prompts, List<int[]> responses, double[][] tokenLogProbs,
                      double[] logProbs, double[] refLogProbs, double[][] refTokenLogProbs,
                      float[][] referenceFeatures, double[] scores, int groups,
                      Map<String, Double> rewardMetrics) implements Serializable {

    public int rows() { return scores.length; }

    /**
     * Shards of one rollout, in row order, as one. A single shard is returned as it is, so a
     * run that does not shard computes exactly what it did before sharding existed; the reward
     * metrics of several are their means weighted by rows.
     */
    public static Rollout concat(List<Rollout> shards) {
        if (shards.size() == 1) return shards.get(0);
        int rows = shards.stream().mapToInt(Rollout::rows).sum(), groups = 0;
        Rollout first = shards.get(0);
        boolean ref = first.refLogProbs() != null, features = first.referenceFeatures() != null;
        List<int[]> prompts = new ArrayList<>(rows), responses = new ArrayList<>(rows);
        double[][] tokenLogProbs = new double[rows][], refTokens = ref ? new double[rows][] : null;
        double[] logProbs = new double[rows], refLogProbs = ref ? new double[rows] : null, scores = new double[rows];
        float[][] hidden = features ? new float[rows][] : null;
        Map<String, Double> metrics = new LinkedHashMap<>();
        int at = 0;
        for (Rollout s : shards) {
            int n = s.rows();
            prompts.addAll(s.prompts());
            responses.addAll(s.responses());
            System.arraycopy(s.tokenLogProbs(), 0, tokenLogProbs, at, n);
            System.arraycopy(s.logProbs(), 0, logProbs, at, n);
            System.arraycopy(s.scores(), 0, scores, at, n);
            if (ref) {
                System.arraycopy(s.refLogProbs(), 0, refLogProbs, at, n);
                System.arraycopy(s.refTokenLogProbs(), 0, refTokens, at, n);
            }
            if (features) System.arraycopy(s.referenceFeatures(), 0, hidden, at, n);
            double share = (double) n / rows;
            s.rewardMetrics().forEach((k, v) -> metrics.merge(k, v * share, Double::sum));
            groups += s.groups();
            at += n;
        }
        return new Rollout(prompts, responses, tokenLogProbs, logProbs, refLogProbs, refTokens, hidden, scores, groups, metrics);
    }

    /**
     * The given prompt groups ({part, group} each), in that order, of the rollouts in
     * {@code parts} taken as one (GRPO's dynamic sampling); the reward metrics are the last part's.
     */
    static Rollout groups(List<Rollout> parts, List<int[]> partAndGroup) {
        int k = parts.get(0).prompts().size() / Math.max(1, parts.get(0).groups());
        boolean ref = parts.get(0).refLogProbs() != null, features = parts.get(0).referenceFeatures() != null;
        int rows = partAndGroup.size() * k;
        List<int[]> prompts = new ArrayList<>(rows), responses = new ArrayList<>(rows);
        double[][] tokenLogProbs = new double[rows][], refTokens = ref ? new double[rows][] : null;
        double[] logProbs = new double[rows], refLogProbs = ref ? new double[rows] : null, scores = new double[rows];
        float[][] hidden = features ? new float[rows][] : null;
        int out = 0;
        for (int[] pg : partAndGroup) {
            Rollout r = parts.get(pg[0]);
            for (int j = 0; j < k; j++, out++) {
                int row = pg[1] * k + j;
                prompts.add(r.prompts().get(row));
                responses.add(r.responses().get(row));
                tokenLogProbs[out] = r.tokenLogProbs()[row];
                logProbs[out] = r.logProbs()[row];
                scores[out] = r.scores()[row];
                if (ref) {
                    refLogProbs[out] = r.refLogProbs()[row];
                    refTokens[out] = r.refTokenLogProbs()[row];
                }
                if (features) hidden[out] = r.referenceFeatures()[row];
            }
        }
        return new Rollout(prompts, responses, tokenLogProbs, logProbs, refLogProbs, refTokens, hidden, scores,
                partAndGroup.size(), parts.get(parts.size() - 1).rewardMetrics());
    }
}
