package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Log-probabilities of responses given prompts under a causal LM, from one forward pass:
 * <pre>
 *   ln π(a_t | x, a_&lt;t) = logits_t[a_t] − logsumexp(logits_t)
 *   ln π(a | x)        = Σ_t mask_t · ln π(a_t | x, a_&lt;t)      (response tokens only)
 *   H_t                = −Σ_v p_t(v) ln p_t(v)
 * </pre>
 * Everything is an engine op, so the results stay differentiable when the parameters require
 * gradients (record the call inside a {@code GradientCollector}).
 */
public final class SequenceScorer {
    private SequenceScorer() {}

    /**
     * Scores of a batch; arrays live in the batch's manager and have the parameters' dtype.
     *
     * @param sequenceLogProbs [B] summed response log-probs
     * @param tokenLogProbs    [B, T−1] log-prob of token t+1, zero outside the response
     * @param tokenEntropy     [B, T−1] entropy of the next-token distribution, zero outside the response
     * @param responseMask     [B, T−1] 1 on response targets
     * @param tokenCounts      [B] response tokens per row
     */
    public record Scores(NDArray sequenceLogProbs, NDArray tokenLogProbs, NDArray tokenEntropy,
                         NDArray responseMask, NDArray tokenCounts) {
        /** [B] mean entropy over each row's response tokens. */
        public NDArray meanEntropy() { return tokenEntropy.sum(new int[] {1}).div(tokenCounts); }
    }

    public static Scores score(CausalLM model, ResponseBatch batch) {
        NDArray logProbs = nextTokenLogProbs(model.forward(batch.ids(), null, null, null), batch);
        NDArray mask = batch.responseMask().toType(logProbs.getDataType(), false);
        NDArray tokenLogProbs = targetLogProbs(logProbs, batch.ids()).mul(mask);
        NDArray entropy = logProbs.exp().mul(logProbs).sum(new int[] {-1}).neg().mul(mask);
        return new Scores(tokenLogProbs.sum(new int[] {1}), tokenLogProbs, entropy, mask, mask.sum(new int[] {1}));
    }

    /**
     * [B] summed response log-probs alone: what training steps need, without the entropy pass
     * over the vocabulary that {@link #score} adds.
     */
    public static NDArray sequenceLogProbs(CausalLM model, ResponseBatch batch) {
        return sequenceLogProbs(model.forward(batch.ids(), null, null, null), batch);
    }

    /** As {@link #sequenceLogProbs(CausalLM, ResponseBatch)}, from the logits [B, T, V] of the batch's forward pass. */
    public static NDArray sequenceLogProbs(NDArray logits, ResponseBatch batch) {
        return tokenLogProbs(logits, batch).sum(new int[] {1});
    }

    /** [B, T−1] log-prob of token t+1 from the logits [B, T, V] of the batch's forward pass, zero outside the response. */
    public static NDArray tokenLogProbs(NDArray logits, ResponseBatch batch) {
        NDArray logProbs = nextTokenLogProbs(logits, batch);
        NDArray mask = batch.responseMask().toType(logProbs.getDataType(), false);
        return targetLogProbs(logProbs, batch.ids()).mul(mask);
    }

    /** [B, T−1, V] log-distribution of the token after each position but the last. */
    private static NDArray nextTokenLogProbs(NDArray logits, ResponseBatch batch) {
        long width = batch.ids().getShape().get(1);
        return logits.get(new NDIndex(":, :{}", width - 1)).logSoftmax(-1);
    }

    /** [B, T−1] log-prob of each actual next token. */
    private static NDArray targetLogProbs(NDArray logProbs, NDArray ids) {
        NDArray targets = ids.get(new NDIndex(":, 1:")).toType(DataType.INT64, false).expandDims(-1);
        return logProbs.gather(targets, -1).squeeze(-1);
    }
}
