package io.align4j.cli;

import io.align4j.train.RewardSpec;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The user's reward flags, shared by {@code train} (online objectives) and {@code eval --pass-at-k} (a picocli mixin). */
public final class RewardOptions {
    @Option(names = "--reward-class", description = "a Java reward (io.align4j.reward.RewardFunction) by registered name"
            + " or class name on the class path (repeatable)") List<String> rewardClass;
    @Option(names = "--reward-regex", description = "reward 1 when the completion matches this Java regex, else 0 (repeatable)")
    List<String> rewardRegex;
    @Option(names = "--reward-command", description = "an external scorer, started once: JSON lines {prompt, completion}"
            + " on its stdin, one number per line on its stdout (repeatable)") List<String> rewardCommand;
    @Option(names = "--reward-weights", split = ",", description = "weights of the rewards in the order reward model, classes, regexes,"
            + " commands (default all 1)") List<Double> rewardWeights;

    /** The flags by their config keys (null = not given), for a training command's own settings. */
    void putInto(Map<String, Object> own) {
        own.put("reward_class", rewardClass);
        own.put("reward_regex", rewardRegex);
        own.put("reward_command", rewardCommand);
        own.put("reward_weights", rewardWeights);
    }

    /** The rewards named, after {@code rewardModel} (a folder, {@code gold} or null). */
    RewardSpec spec(String rewardModel, double timeoutSeconds) {
        return new RewardSpec(rewardModel, rewardClass, rewardRegex, rewardCommand, rewardWeights, timeoutSeconds);
    }
}
