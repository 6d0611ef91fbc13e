package io.align4j.train;

import io.align4j.config.OfflineConfig;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.align4j.data.TokenizedPair;
import io.align4j.generate.Generation;
import io.align4j.generate.Sampler;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.objective.PairLogProbs;
import io.align4j.objective.PairwiseObjective;
import io.align4j.objective.Rloo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Offline pairwise training: the loss of a batch of tokenized (prompt, chosen, rejected) pairs
 * under any {@link PairwiseObjective}, with the reference log-probs precomputed once.
 */
public final class PreferenceTask implements TrainingLoop.Task {
    private final CausalLM policy;
    private final CausalLM reference;
    private final PairwiseObjective objective;
    private final List<TokenizedPair> train, eval;
    private final ReferenceCache.Values trainRef, evalRef;
    private final int padId;
    private final int[] stopIds;
    private final boolean concatenated;
    private final int batchSize, klSamples;

    /**
     * @param reference frozen reference: run inside each step when the reference values are
     *                  null (no precomputation), and for the on-policy KL term (PMLE with β &gt; 0)
     * @param trainRef  precomputed reference log-probs of {@code train}, or null
     * @param evalRef   precomputed reference log-probs of {@code eval}, or null
     */
    public PreferenceTask(CausalLM policy, CausalLM reference, PairwiseObjective objective,
                          List<TokenizedPair> train, ReferenceCache.Values trainRef,
                          List<TokenizedPair> eval, ReferenceCache.Values evalRef,
                          int padId, int[] stopIds, OfflineConfig config) {
        this.policy = policy;
        this.reference = reference;
        this.objective = objective;
        this.train = train;
        this.eval = eval;
        this.trainRef = trainRef;
        this.evalRef = evalRef;
        this.padId = padId;
        this.stopIds = stopIds;
        this.concatenated = config.concatenatedForward;
        this.batchSize = config.batchSize;
        this.klSamples = config.klSamples;
    }

    @Override
    public int trainSize() { return train.size(); }

    @Override
    public ObjectiveOutput loss(NDManager step, int[] examples, long seed) {
        List<TokenizedPair> pairs = Arrays.stream(examples).mapToObj(train::get).toList();
        PairLogProbs lp = pairLogProbs(step, policy, pairs, trainRef, examples);
        if (objective.klWeight() == 0) return objective.loss(lp);
        return objective.loss(lp, onPolicyKl(step, pairs, seed));
    }

    @Override
    public Map<String, Double> evaluate(NDManager manager) {
        return HeldOut.means(eval.size(), batchSize, manager, (m, from, to) -> {
            PairLogProbs lp = pairLogProbs(m, policy, eval.subList(from, to), evalRef,
                    java.util.stream.IntStream.range(from, to).toArray());
            return new ObjectiveOutput(objective.losses(lp).mean(), objective.metrics(lp)).values();
        });
    }

    /**
     * Policy log-probs of both responses of each pair, with the cached reference values and the
     * response lengths. With {@code concatenated} the chosen and rejected sequences share one
     * forward pass of twice the batch, which costs less than two passes of one batch each.
     */
    private PairLogProbs pairLogProbs(NDManager m, CausalLM model, List<TokenizedPair> pairs,
                                      ReferenceCache.Values ref, int[] refIndex) {
        return pairLogProbs(m, model, reference, pairs, ref, refIndex, padId, concatenated);
    }

    /**
     * The same for any task on pairs of sequences sharing a prompt: {@code reference} runs only
     * when {@code ref} (the precomputed values, read at {@code refIndex}) is null.
     */
    static PairLogProbs pairLogProbs(NDManager m, CausalLM model, CausalLM reference, List<TokenizedPair> pairs,
                                     ReferenceCache.Values ref, int[] refIndex, int padId, boolean concatenated) {
        int n = pairs.size();
        NDArray chosen, rejected;
        if (concatenated) {
            NDArray both = SequenceScorer.sequenceLogProbs(model, HeldOut.chosenThenRejected(m, pairs, padId));
            chosen = both.get(new NDIndex("0:{}", n));
            rejected = both.get(new NDIndex("{}:", n));
        } else {
            List<int[]> prompts = pairs.stream().map(TokenizedPair::promptIds).toList();
            chosen = SequenceScorer.sequenceLogProbs(model, ResponseBatch.rightPadded(m, prompts,
                    pairs.stream().map(TokenizedPair::chosenIds).toList(), padId));
            rejected = SequenceScorer.sequenceLogProbs(model, ResponseBatch.rightPadded(m, prompts,
                    pairs.stream().map(TokenizedPair::rejectedIds).toList(), padId));
        }
        DataType dt = chosen.getDataType();
        ReferenceCache.Values batchRef = ref != null ? ref.select(refIndex)
                : referenceLogProbs(reference, m, pairs, padId, pairs.size());
        double[] rc = batchRef.chosen(), rr = batchRef.rejected(), lc = new double[n], lr = new double[n];
        for (int i = 0; i < n; i++) {
            lc[i] = pairs.get(i).chosenIds().length;
            lr[i] = pairs.get(i).rejectedIds().length;
        }
        return PairLogProbs.of(chosen, rejected, m.create(rc).toType(dt, false), m.create(rr).toType(dt, false))
                .withLengths(m.create(lc).toType(dt, false), m.create(lr).toType(dt, false));
    }

    /**
     * {@code KL(π_θ ‖ π_0)} on {@code klSamples} fresh policy samples per prompt of the batch
     * (RLOO estimator), for objectives with a KL term. Samples are drawn with the step's seed.
     */
    private io.align4j.objective.KlPenalty onPolicyKl(NDManager m, List<TokenizedPair> pairs, long seed) {
        List<int[]> prompts = new ArrayList<>();
        for (TokenizedPair p : pairs) for (int k = 0; k < klSamples; k++) prompts.add(p.promptIds());
        int maxNew = pairs.stream().mapToInt(p -> Math.max(p.chosenIds().length, p.rejectedIds().length)).max().orElse(1);
        List<Generation> samples;
        try (var noGrad = new NoGradient()) {
            samples = Sampler.generate(policy, prompts, SamplingConfig.sampling(1.0, maxNew, seed, stopIds));
        }
        List<int[]> responses = samples.stream().map(Generation::tokens).toList();
        ResponseBatch batch = ResponseBatch.rightPadded(m, prompts, responses, padId);
        NDArray logp = SequenceScorer.sequenceLogProbs(policy, batch).reshape(pairs.size(), klSamples);
        NDArray refLogp;
        try (var noGrad = new NoGradient()) {
            refLogp = SequenceScorer.sequenceLogProbs(reference, batch).stopGradient().reshape(pairs.size(), klSamples);
        }
        return Rloo.kl(logp, refLogp);
    }

    /** Computes reference log-probs of pairs with a frozen model, without recording gradients. */
    public static ReferenceCache.Values referenceLogProbs(CausalLM reference, NDManager manager, List<TokenizedPair> pairs,
                                                          int padId, int batchSize) {
        double[] c = new double[pairs.size()], r = new double[pairs.size()];
        try (var noGrad = new NoGradient()) {
            for (int start = 0; start < pairs.size(); start += batchSize) {
                int end = Math.min(pairs.size(), start + batchSize);
                List<TokenizedPair> chunk = pairs.subList(start, end);
                try (NDManager m = manager.newSubManager()) {
                    double[] both = SequenceScorer.sequenceLogProbs(reference, HeldOut.chosenThenRejected(m, chunk, padId))
                            .toType(DataType.FLOAT64, false).toDoubleArray();
                    int n = chunk.size();
                    System.arraycopy(both, 0, c, start, n);
                    System.arraycopy(both, n, r, start, n);
                }
            }
        }
        return new ReferenceCache.Values(c, r);
    }

}
