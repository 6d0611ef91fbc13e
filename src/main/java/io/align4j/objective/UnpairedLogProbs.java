package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * What an unpaired objective (KTO) sees of a batch of B (prompt, completion, label) examples, as
 * per-sequence log-probs summed over the completion tokens, each of shape [B].
 *
 * @param policy              {@code ln π_θ(y_i|x_i)}
 * @param reference           {@code ln π_0(y_i|x_i)}
 * @param desirable           1 where the completion is labelled desirable, 0 where undesirable
 * @param policyMismatched    {@code ln π_θ(y_j|x_i)} for a completion {@code y_j} of another
 *                            example of the batch ({@code j ≠ i}), for the KL reference point
 * @param referenceMismatched {@code ln π_0(y_j|x_i)} of the same mismatched pairs
 */
public record UnpairedLogProbs(NDArray policy, NDArray reference, NDArray desirable, NDArray policyMismatched,
                               NDArray referenceMismatched) {}
