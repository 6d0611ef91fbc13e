package io.align4j.quickstart;

import io.align4j.util.UserError;
import java.util.Locale;

/**
 * How much work the quickstart does: the task's size, the evaluation's size and every method's
 * training steps. Methods get equal budgets within their family: the offline ones the same
 * steps over the same pairs, the online ones the same steps and rollout sizes.
 *
 * @param pairs            preference pairs labelled for the task
 * @param trainPrompts     prompts the pairs and the online rollouts draw from
 * @param evalPrompts      held-out prompts every policy is evaluated on
 * @param responseTokens   response length of pairs, rollouts and evaluation samples
 * @param referenceSamples π_0 samples per held-out prompt for the target's partition function
 * @param samplesPerPrompt evaluation samples per held-out prompt and policy
 * @param rewardEpochs     passes of the reward model over the pairs
 * @param offlineSteps     optimiser steps of DPO, PMLE and MIO (batch {@code batchSize} pairs)
 * @param onlineSteps      rollouts of PD, REBEL, RLHF and RKL (batch {@code batchSize} prompts)
 * @param batchSize        pairs or prompts per step
 */
public record Budget(String name, int pairs, int trainPrompts, int evalPrompts, int responseTokens, int referenceSamples,
                     int samplesPerPrompt, int rewardEpochs, int offlineSteps, int onlineSteps, int batchSize) {

    /** A run of seconds for the test suite: every stage runs, the numbers mean nothing. */
    public static final Budget TINY = new Budget("tiny", 48, 48, 6, 12, 8, 2, 1, 4, 2, 4);
    /** About a third of the default. */
    public static final Budget SMALL = new Budget("small", 600, 400, 24, 48, 32, 4, 1, 60, 15, 8);
    /** The README's first command: about ten minutes on two cores. */
    public static final Budget DEFAULT = new Budget("default", 1600, 800, 48, 48, 48, 4, 1, 300, 60, 8);

    public static Budget named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny" -> TINY;
            case "small" -> SMALL;
            case "default" -> DEFAULT;
            default -> throw new UserError("unknown budget '" + name + "': choose tiny, small or default");
        };
    }
}
