package io.align4j.reward;

import java.util.List;

/**
 * A reward written by the user: a verifier, a unit test, a regular expression, a remote judge.
 * Every online objective ({@code train --objective grpo|rlhf|rkl|pd|rebel}) and
 * {@code eval --pass-at-k} take it, named on the command line with {@code --reward-class NAME}
 * where NAME is what {@link #name()} returns for an implementation registered with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.align4j.reward.RewardFunction}),
 * or the fully qualified name of a public class with a public no-argument constructor on the
 * class path. Several rewards combine as a weighted sum ({@code reward_weights}).
 *
 * <p>A call gets one batch: the prompts and completions as text (decoded with the policy's
 * tokenizer; a prompt appears once per completion sampled from it). It returns one finite number
 * per completion. Throwing, not answering within {@code reward_timeout} seconds, returning the
 * wrong count or a non-finite number stops the run with the sample and the reward named (exit 2);
 * checkpoints already written stay valid. One instance serves a whole run, so it may keep state
 * (a connection, a compiled pattern); calls come from one thread at a time.
 */
public interface RewardFunction extends AutoCloseable {
    /** The name in metrics ({@code rewards/NAME/mean}), error messages and {@code --reward-class}; default the class's simple name. */
    default String name() { return getClass().getSimpleName(); }

    /** One score per (prompt, completion) pair, in order. */
    double[] score(List<String> prompts, List<String> completions) throws Exception;

    /** Releases what the reward holds (a process, a connection) at the end of the run. */
    @Override
    default void close() throws Exception {}
}
