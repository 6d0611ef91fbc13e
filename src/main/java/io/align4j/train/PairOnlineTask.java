package io.align4j.train;

import io.align4j.config.OnlineConfig;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.objective.PairLogProbs;
import io.align4j.objective.PairwiseObjective;
import io.align4j.objective.Rloo;
import java.util.List;
import java.util.Map;

/**
 * Preference distillation (Algorithm 1 of the specification) and REBEL on fresh pairs: each
 * step samples two responses (a1, a2) per prompt from the current policy π_t, scores both, and
 * takes the inner epochs of updates on the pairwise objective with every field of
 * {@link PairLogProbs} filled: policy (differentiable), reference, scores and the sampling
 * policy's log-probs (from the sampler), so both switches of PD work. "Chosen" and "rejected"
 * in the metrics mean a1 and a2. PD's explicit {@code β KL(π_θ ‖ π_0)} is estimated on the same
 * two samples with the leave-one-out estimator ({@link Rloo#kl}); metric {@code kl}.
 */
public final class PairOnlineTask extends OnlineTask {
    private final PairwiseObjective objective;

    public PairOnlineTask(CausalLM policy, CausalLM reference, RewardSource reward, PairwiseObjective objective,
                          List<int[]> train, List<int[]> eval, int padId, int[] stopIds, int[] suppressIds, OnlineConfig c) {
        super(policy, reference, reward, train, eval, padId, stopIds, suppressIds, 2, c);
        this.objective = objective;
    }

    @Override
    protected Map<String, Double> prepare(NDManager step, Rollout rollout) { return Map.of(); }

    @Override
    protected ObjectiveOutput update(NDManager m, Rollout r, int[] rows) {
        int pairs = rows.length / 2;
        int[] ordered = new int[rows.length]; // every a1 of the mini-batch, then every a2
        for (int i = 0; i < pairs; i++) {
            ordered[i] = rows[2 * i];
            ordered[pairs + i] = rows[2 * i + 1];
        }
        ResponseBatch batch = ResponseBatch.rightPadded(m, pick(r.prompts(), ordered), pick(r.responses(), ordered), padId);
        NDArray both = SequenceScorer.sequenceLogProbs(policy, batch);
        DataType dt = both.getDataType();
        NDArray first = both.get(new NDIndex("0:{}", pairs)), second = both.get(new NDIndex("{}:", pairs));
        NDArray ref = m.create(pick(r.refLogProbs(), ordered)).toType(dt, false);
        NDArray score = m.create(pick(r.scores(), ordered)).toType(dt, false);
        NDArray sampling = m.create(pick(r.logProbs(), ordered)).toType(dt, false);
        PairLogProbs lp = PairLogProbs.of(first, second, half(ref, pairs, true), half(ref, pairs, false))
                .withScores(half(score, pairs, true), half(score, pairs, false))
                .withSampling(half(sampling, pairs, true), half(sampling, pairs, false));
        if (objective.klWeight() == 0) return objective.loss(lp);
        NDArray logp = NDArrays.stack(new NDList(first, second), 1);
        NDArray refLogp = NDArrays.stack(new NDList(half(ref, pairs, true), half(ref, pairs, false)), 1);
        return objective.loss(lp, Rloo.kl(logp, refLogp));
    }

    private static NDArray half(NDArray a, int n, boolean firstHalf) {
        return a.get(new NDIndex(firstHalf ? "0:{}" : "{}:", n));
    }
}
