package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.generate.Generation;
import io.align4j.generate.Sampler;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Rollouts made in this process, one request after the other: the batched sampler (which also
 * returns π_t's per-token log-probs, so π_t costs no extra forward), the reward source, and one
 * reference forward for ln π_0. A cluster's executors run exactly this on their shards.
 */
public final class LocalRollouts implements RolloutSource {
    private final CausalLM reference;
    private final RewardSource reward;
    private final int padId;

    /** @param reference π_0, or null when the task needs none (GRPO with β = 0) */
    public LocalRollouts(CausalLM reference, RewardSource reward, int padId) {
        this.reference = reference;
        this.reward = reward;
        this.padId = padId;
    }

    @Override
    public List<Rollout> rollouts(CausalLM policy, List<RolloutRequest> requests) {
        List<Rollout> out = new ArrayList<>(requests.size());
        for (RolloutRequest r : requests) out.add(rollout(policy, r));
        return out;
    }

    /** Responses sampled per prompt, scored, with their reference log-probs; no gradients recorded. */
    public Rollout rollout(CausalLM policy, RolloutRequest request) {
        int k = request.samplesPerPrompt();
        List<int[]> prompts = new ArrayList<>(request.rows());
        for (int[] p : request.groupPrompts()) for (int j = 0; j < k; j++) prompts.add(p);
        int groups = request.groupPrompts().size();
        try (NoGradient noGrad = new NoGradient()) {
            List<Generation> samples = Sampler.generate(policy, prompts, request.sampling(), request.firstRow());
            List<int[]> responses = samples.stream().map(Generation::tokens).toList();
            double[][] tokenLogProbs = samples.stream().map(Generation::logProbs).toArray(double[][]::new);
            double[] logProbs = samples.stream().mapToDouble(Generation::sequenceLogProb).toArray();
            double[] scores = reward.score(prompts, responses);
            var rewardMetrics = new LinkedHashMap<>(reward.lastMetrics());
            if (reference == null) // GRPO with β = 0 loads no reference: nothing to compute against it
                return new Rollout(prompts, responses, tokenLogProbs, logProbs, null, null, null, scores, groups, rewardMetrics);
            try (NDManager sub = reference.manager().newSubManager()) {
                ResponseBatch batch = ResponseBatch.rightPadded(sub, prompts, responses, padId);
                NDArray hidden = reference.hidden(batch.ids(), null, null, null);
                NDArray tokenRef = SequenceScorer.responseTokenLogProbs(reference, hidden, batch);
                double[] ref = SequenceScorer.sumByRow(tokenRef, batch).toType(DataType.FLOAT64, false).toDoubleArray();
                double[][] refTokens = new double[prompts.size()][];
                float[] refFlat = tokenRef.toType(DataType.FLOAT32, false).toFloatArray();
                for (int b = 0, i = 0; b < refTokens.length; i += refTokens[b].length, b++) {
                    refTokens[b] = new double[responses.get(b).length];
                    for (int j = 0; j < refTokens[b].length; j++) refTokens[b][j] = refFlat[i + j];
                }
                float[][] features = request.referenceFeatures() ? responseAligned(hidden, batch) : null;
                return new Rollout(prompts, responses, tokenLogProbs, logProbs, ref, refTokens, features, scores, groups, rewardMetrics);
            }
        }
    }

    /** [row][t·dim + d]: hidden [B, T, dim] at the position that predicts response token t (prompt length − 1 + t). */
    private static float[][] responseAligned(NDArray hidden, ResponseBatch batch) {
        int rows = batch.promptLengths().length, dim = (int) hidden.getShape().get(2);
        long t = hidden.getShape().get(1);
        float[] h = hidden.toType(DataType.FLOAT32, false).toFloatArray();
        float[][] out = new float[rows][];
        for (int b = 0; b < rows; b++) {
            int start = batch.promptLengths()[b] - 1, len = batch.responseLengths()[b];
            out[b] = new float[len * dim];
            System.arraycopy(h, (int) ((b * t + start) * dim), out[b], 0, len * dim);
        }
        return out;
    }
}
