package io.align4j.cli;

import io.align4j.train.RewardSpec;
import java.util.List;
import picocli.CommandLine.Option;

/** The user's reward flags, of {@code eval --pass-at-k} ({@code train} derives the same flags from its config) (a picocli mixin). */
public final class RewardOptions {
    @Option(names = "--reward-class", description = "a Java reward (io.align4j.reward.RewardFunction) by registered name"
            + " or class name on the class path (repeatable)") List<String> rewardClass;
    @Option(names = "--reward-regex", description = "reward 1 when the completion matches this Java regex, else 0 (repeatable)")
    List<String> rewardRegex;
    @Option(names = "--reward-command", description = "an external scorer, started once: JSON lines {prompt, completion}"
            + " on its stdin, one number per line on its stdout (repeatable)") List<String> rewardCommand;
    @Option(names = "--reward-weights", split = ",", description = "weights of the rewards in the order reward model, classes, regexes,"
            + " commands (default all 1)") List<Double> rewardWeights;

    /** The rewards named, after {@code rewardModel} (a folder, {@code gold} or null). */
    RewardSpec spec(String rewardModel, double timeoutSeconds) {
        return new RewardSpec(rewardModel, rewardClass, rewardRegex, rewardCommand, rewardWeights, timeoutSeconds);
    }
}
