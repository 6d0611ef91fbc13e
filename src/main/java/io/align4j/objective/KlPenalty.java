package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * A Monte-Carlo estimate of {@code KL(π_θ ‖ π_0)} from samples of the policy:
 * {@code surrogate} is a scalar whose gradient is an unbiased estimate of the KL's gradient
 * (its value means nothing), {@code estimate} the KL itself. Made by {@link Rloo#kl}.
 */
public record KlPenalty(NDArray surrogate, NDArray estimate) {}
