package io.align4j.train;

import java.io.Serializable;

/**
 * What a cluster's executor needs to make rollouts of a run besides the policy's weights, which
 * come with each call: the starting model (architecture, tokenizer, and π_0 unless
 * {@code reference} names another), the device and dtype, and the rewards. Paths must be
 * readable where the executors run (a shared file system, or the same machine).
 */
public record RolloutWorkerSpec(String model, String reference, String tokenizer, String device, String dtype,
                                boolean needsReference, RewardSpec reward) implements Serializable {}
