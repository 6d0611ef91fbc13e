package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * A causal language model as a pure function of named parameters. One forward pass serves
 * training (autograd records it), scoring and sampling (with a {@link KvCache}).
 *
 * <p>Parameters are keyed by the names Hugging Face checkpoints use for the family, so that
 * reading and writing a checkpoint is a name-for-name copy. A parameter is trained iff its
 * array requires a gradient; a frozen reference model simply has none that do.
 */
public interface CausalLM extends AutoCloseable {

    ModelConfig config();

    /** Parameters by checkpoint name, in checkpoint order. */
    Map<String, NDArray> parameters();

    /** The manager that owns the parameters. */
    NDManager manager();

    /**
     * Next-token logits.
     *
     * @param ids           int32 [B, T] tokens
     * @param positions     int32 [B, T] absolute positions, or null for {@code cache.length() + 0..T-1}
     *                      (left-padded batches pass their own so every row starts at 0)
     * @param attentionMask [B, cacheLength + T], 1 where a key may be attended, 0 for padding;
     *                      null when nothing is padded
     * @param cache         null for a plain forward; otherwise the new keys and values are appended
     * @return float logits [B, T, vocab] (dtype of the parameters)
     */
    NDArray forward(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache);

    /**
     * The final-normed hidden states the classifier reads, {@code forward = classifier(hidden)};
     * a reward model puts its own scalar head on them. Arguments as for {@link #forward}.
     *
     * @return float [B, T, dim] (dtype of the parameters)
     */
    NDArray hidden(NDArray ids, NDArray positions, NDArray attentionMask, KvCache cache);

    /** The classifier (LM head) on hidden states: {@code forward(...) = classifier(hidden(...))}. */
    NDArray classifier(NDArray hidden);

    /**
     * [N, 1] {@code log_softmax(classifier(h_i))[targets_i]}: the log-prob of each target token
     * given the hidden state [N, dim] that predicts it, differentiable like {@link #classifier}.
     *
     * @param targets int64 [N, 1]
     */
    default NDArray targetLogProbs(NDArray hidden, NDArray targets) {
        return targetScores(hidden, targets, false).logProbs();
    }

    /**
     * The log-probs of {@link #targetLogProbs} and, when {@code withEntropy}, the entropy
     * {@code H_i = −Σ_v p_i(v) ln p_i(v)} of each next-token distribution, from the same logits.
     * This computes all [N, vocab] logits at once; {@link Transformer} overrides it to go through
     * them in chunks of positions ({@link ChunkedLogProbs}).
     *
     * @param targets int64 [N, 1]
     */
    default TargetScores targetScores(NDArray hidden, NDArray targets, boolean withEntropy) {
        NDArray logits = classifier(hidden);
        NDArray logProbs = logits.logSoftmax(-1);
        logits.close(); // log_softmax's backward needs only its output: the [N, V] logits need not outlive this line
        NDArray entropy = withEntropy ? ChunkedLogProbs.entropy(logProbs) : null;
        return new TargetScores(logProbs.gather(targets, -1), entropy);
    }

    /**
     * @param logProbs [N, 1] ln p_i(target_i), differentiable
     * @param entropy  [N, 1] H_i, detached (a metric, never a loss term here); null when not asked for
     */
    record TargetScores(NDArray logProbs, NDArray entropy) {}

    /** An empty cache for this model. */
    KvCache newCache();

    @Override
    void close();
}
