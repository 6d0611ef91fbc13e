package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Log-probabilities of responses given prompts under a causal LM, from one forward pass:
 * <pre>
 *   ln π(a_t | x, a_&lt;t) = logits_t[a_t] − logsumexp(logits_t)
 *   ln π(a | x)        = Σ_t mask_t · ln π(a_t | x, a_&lt;t)      (response tokens only)
 *   H_t                = −Σ_v p_t(v) ln p_t(v)
 * </pre>
 * Everything is an engine op, so the log-probs stay differentiable when the parameters require
 * gradients (record the call inside a {@code GradientCollector}); the entropy is a metric and detached.
 */
public final class SequenceScorer {
    private SequenceScorer() {}

    /**
     * Scores of a batch; arrays live in the batch's manager and have the parameters' dtype.
     *
     * @param sequenceLogProbs [B] summed response log-probs
     * @param tokenLogProbs    [B, T−1] log-prob of token t+1, zero outside the response
     * @param tokenEntropy     [B, T−1] entropy of the next-token distribution, zero outside the response (detached)
     * @param responseMask     [B, T−1] 1 on response targets
     * @param tokenCounts      [B] response tokens per row
     */
    public record Scores(NDArray sequenceLogProbs, NDArray tokenLogProbs, NDArray tokenEntropy,
                         NDArray responseMask, NDArray tokenCounts) {
        /** [B] mean entropy over each row's response tokens. */
        public NDArray meanEntropy() { return tokenEntropy.sum(new int[] {1}).div(tokenCounts); }
    }

    /**
     * As the class comment says, with the classifier run on the response positions only and in
     * chunks ({@link CausalLM#targetScores}); the entropy is detached (a metric), so the step's graph
     * holds no [B, T, vocab] array for it.
     */
    public static Scores score(CausalLM model, ResponseBatch batch) {
        CausalLM.TargetScores response = responseTargetScores(model, model.hidden(batch.ids(), null, null, null), batch, true);
        NDArray mask = batch.responseMask().toType(response.logProbs().getDataType(), false);
        NDArray spread = spreadIndex(batch);
        NDArray tokenLogProbs = spread(response.logProbs(), spread), entropy = spread(response.entropy(), spread);
        return new Scores(tokenLogProbs.sum(new int[] {1}), tokenLogProbs, entropy, mask, mask.sum(new int[] {1}));
    }

    /** int64 [B, T−1]: at each response target the index of its row in the [N, 1] response tokens, N elsewhere. */
    private static NDArray spreadIndex(ResponseBatch batch) {
        int rows = batch.responseLengths().length, width = (int) batch.ids().getShape().get(1) - 1;
        int tokens = Arrays.stream(batch.responseLengths()).sum();
        long[] index = new long[rows * width];
        Arrays.fill(index, tokens);
        for (int b = 0, i = 0; b < rows; b++) {
            int first = batch.promptLengths()[b] - 1;
            for (int t = first; t < first + batch.responseLengths()[b]; t++, i++) index[b * width + t] = i;
        }
        return batch.ids().getManager().create(index, new Shape(rows, width));
    }

    /** [B, T−1] from [N, 1] response-token values: value i at its position, 0 elsewhere (differentiable). */
    private static NDArray spread(NDArray responseValues, NDArray spreadIndex) {
        NDArray withZero = responseValues.reshape(-1).concat(responseValues.getManager().zeros(new Shape(1), responseValues.getDataType()));
        return withZero.take(spreadIndex);
    }

    /**
     * [B] summed response log-probs alone: what training steps need, without the entropy pass
     * over the vocabulary that {@link #score} adds.
     */
    public static NDArray sequenceLogProbs(CausalLM model, ResponseBatch batch) {
        return sequenceLogProbs(model, model.hidden(batch.ids(), null, null, null), batch);
    }

    /**
     * As {@link #sequenceLogProbs(CausalLM, ResponseBatch)}, from the final hidden states [B, T, dim] of
     * the batch's forward pass. Only the N positions that predict a response token reach the
     * classifier, as one contiguous [N, dim] block:
     * <pre>
     *   ln π(a | x) = Σ_{i ∈ rows of b} log_softmax(h_i Wᵀ)[a_i] = (S · ℓ)_b,   S_{b,i} = 1 iff token i belongs to row b
     * </pre>
     * Prompt and padding positions would only be masked out afterwards, yet each costs a classifier
     * row (2·dim·V FLOPs forwards, twice that backwards: the largest matmul of a small model) and
     * V floats in every pass over the logits; selecting rows first also spares the copies that a
     * strided [:, :T−1] slice of the logits costs forwards and backwards (the saving is in the
     * README, "Measured"). The result equals the masked sum of {@link #score}
     * up to float round-off (summation order). A fused log_softmax over the selected logits
     * followed by a gather is used rather than {@code gather − logsumexp}: without a fused
     * logsumexp in the engine, {@code max, sub, exp, sum, log} write more [N, V] buffers
     * forwards and backwards than log_softmax does. The classifier and log_softmax run through
     * {@link CausalLM#targetLogProbs}, which on a {@link Transformer} takes the positions in chunks
     * ({@link ChunkedLogProbs}), so the [N, V] logits never exist whole.
     */
    public static NDArray sequenceLogProbs(CausalLM model, NDArray hidden, ResponseBatch batch) {
        return sumByRow(responseTokenLogProbs(model, hidden, batch), batch);
    }

    /**
     * [N, 1] ln π of each response token, row by row and in order within a row (N the batch's
     * response tokens), from the final hidden states [B, T, dim]: the classifier and log_softmax
     * on the N positions that predict them only ({@link #sequenceLogProbs(CausalLM, NDArray, ResponseBatch)}).
     */
    public static NDArray responseTokenLogProbs(CausalLM model, NDArray hidden, ResponseBatch batch) {
        return responseTargetScores(model, hidden, batch, false).logProbs();
    }

    /** {@link #responseTokenLogProbs} and, when {@code withEntropy}, the detached [N, 1] entropy at the same positions. */
    private static CausalLM.TargetScores responseTargetScores(CausalLM model, NDArray hidden, ResponseBatch batch, boolean withEntropy) {
        NDManager m = batch.ids().getManager();
        Shape shape = hidden.getShape();
        int rows = (int) shape.get(0), width = (int) shape.get(1);
        int tokens = Arrays.stream(batch.responseLengths()).sum();
        int[] ids = batch.ids().toIntArray();
        long[] positions = new long[tokens], targets = new long[tokens];
        for (int b = 0, i = 0; b < rows; b++) {
            int first = batch.promptLengths()[b] - 1; // the position whose logits predict the first response token
            for (int t = first; t < first + batch.responseLengths()[b]; t++, i++) {
                positions[i] = (long) b * width + t;
                targets[i] = ids[b * width + t + 1];
            }
        }
        NDArray selected = hidden.reshape(shape.get(0) * width, shape.get(2)).get(m.create(positions));
        return model.targetScores(selected, m.create(targets, new Shape(tokens, 1)), withEntropy);
    }

    /** [B] row sums of {@link #responseTokenLogProbs}' [N, 1], as the matrix product with S_{b,i} = 1 iff token i belongs to row b. */
    public static NDArray sumByRow(NDArray responseTokenLogProbs, ResponseBatch batch) {
        int rows = batch.responseLengths().length, tokens = (int) responseTokenLogProbs.getShape().get(0);
        float[] membership = new float[rows * tokens];
        for (int b = 0, i = 0; b < rows; b++)
            for (int j = 0; j < batch.responseLengths()[b]; j++, i++) membership[b * tokens + i] = 1;
        NDArray rowOfToken = batch.ids().getManager().create(membership, new Shape(rows, tokens))
                .toType(responseTokenLogProbs.getDataType(), false);
        return rowOfToken.matMul(responseTokenLogProbs).reshape(rows);
    }
}
