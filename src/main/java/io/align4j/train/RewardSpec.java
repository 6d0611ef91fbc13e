package io.align4j.train;

import io.align4j.config.OnlineConfig;

import ai.djl.ndarray.NDManager;
import io.align4j.model.io.RewardModelFolder;
import io.align4j.reward.CommandReward;
import io.align4j.reward.RegexReward;
import io.align4j.reward.RewardFunction;
import io.align4j.reward.RewardFunctions;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rewards a run names, in the order their weights refer to: {@code reward_model} (a folder,
 * or {@code gold}), then every {@code reward_class}, {@code reward_regex} and {@code reward_command}.
 * {@link #build} makes the one {@link RewardSource} the online methods and {@code eval --pass-at-k} score with.
 *
 * @param weights        one per reward in that order; null = all 1
 * @param timeoutSeconds longest wait for a Java reward's batch or a command's answer
 */
public record RewardSpec(String rewardModel, List<String> classes, List<String> regexes, List<String> commands,
                         List<Double> weights, double timeoutSeconds) implements java.io.Serializable {

    public RewardSpec {
        classes = classes == null ? List.of() : List.copyOf(classes);
        regexes = regexes == null ? List.of() : List.copyOf(regexes);
        commands = commands == null ? List.of() : List.copyOf(commands);
        weights = weights == null ? null : new java.util.ArrayList<>(weights); // serialisable (a cluster's executors build the rewards), nulls kept for the check
    }

    /** The rewards of a training config. */
    public static RewardSpec of(OnlineConfig c) {
        return new RewardSpec(c.rewardModel, c.rewardClass, c.rewardRegex, c.rewardCommand, c.rewardWeights, c.rewardTimeout);
    }

    /** How many rewards are named. */
    public int count() { return (rewardModel == null ? 0 : 1) + classes.size() + regexes.size() + commands.size(); }

    /** The rewards as one source (their weighted sum); loads reward models into {@code manager}. */
    public RewardSource build(TextTokenizer tokenizer, NDManager manager) {
        if (count() == 0)
            throw new UserError("no reward: give --reward-model DIR, --reward gold, --reward-class NAME, --reward-regex PATTERN or --reward-command CMD");
        if (weights != null && weights.size() != count())
            throw new UserError("reward_weights has " + weights.size() + " values for " + count()
                    + " rewards (order: reward model, reward classes, regexes, commands)");
        if (!(timeoutSeconds > 0)) throw new UserError("reward_timeout must be > 0 seconds, was " + timeoutSeconds);
        List<WeightedRewards.Part> parts = new ArrayList<>();
        if (rewardModel != null) {
            // the gold judge is a registered reward function (a task's, which this package does not know)
            if (OnlineTrainer.GOLD.equals(rewardModel)) parts.add(text(RewardFunctions.load(OnlineTrainer.GOLD), parts.size()));
            else parts.add(new WeightedRewards.Part("reward_model", weight(parts.size()),
                    RewardSource.model(RewardModelFolder.load(Path.of(rewardModel), manager), tokenizer), null));
        }
        for (String name : classes) parts.add(text(RewardFunctions.load(name), parts.size()));
        for (String regex : regexes) parts.add(text(new RegexReward(regex), parts.size()));
        for (String command : commands) parts.add(text(new CommandReward(command, timeoutSeconds), parts.size()));
        return new WeightedRewards(parts, tokenizer, timeoutSeconds);
    }

    /** Names and weights, for the log. */
    public String describe() {
        List<String> names = new ArrayList<>();
        if (rewardModel != null) names.add(rewardModel);
        classes.forEach(n -> names.add("class " + n));
        regexes.forEach(r -> names.add("regex " + r));
        commands.forEach(c -> names.add("command " + c));
        return weights == null ? String.join(" + ", names) : names + " weighted " + weights;
    }

    private WeightedRewards.Part text(RewardFunction f, int index) {
        return new WeightedRewards.Part(f.name(), weight(index), null, f);
    }

    private double weight(int index) {
        if (weights == null) return 1;
        Double w = weights.get(index);
        if (w == null || !Double.isFinite(w)) throw new UserError("reward_weights[" + index + "] must be a finite number, was " + w);
        return w;
    }
}
