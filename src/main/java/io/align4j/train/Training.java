package io.align4j.train;

import io.align4j.config.OfflineConfig;
import io.align4j.config.OnlineConfig;
import io.align4j.config.RewardModelConfig;
import io.align4j.config.RunConfig;
import io.align4j.config.SftConfig;
import io.align4j.objective.Kto;
import io.align4j.objective.Objectives;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Runs any training method: the config's class and objective pick the trainer. This is what
 * {@code align4j train}, {@code sft} and {@code reward} call, and the Java entry point for
 * training ({@link io.align4j.Align4j#train}).
 */
public final class Training {
    private Training() {}

    /** A config at its defaults for {@code objective}, of the class its kind of method reads. */
    public static RunConfig newConfig(String objective) {
        RunConfig c = switch (Objectives.method(objective).kind()) {
            case SFT -> new SftConfig();
            case REWARD_MODEL -> new RewardModelConfig();
            case OFFLINE_PAIRWISE, UNPAIRED -> new OfflineConfig();
            case ONLINE -> new OnlineConfig();
        };
        c.objective = objective;
        return c;
    }

    /**
     * Trains as {@code config} says, writing the resolved config, metrics, checkpoints and the
     * final model to its output folder; {@code log} receives progress lines.
     */
    public static TrainingLoop.Result run(RunConfig config, Consumer<String> log) throws IOException {
        if (config instanceof SftConfig c) return SftTrainer.run(c, log);
        if (config instanceof RewardModelConfig c) return RewardTrainer.run(c, log);
        if (config instanceof OnlineConfig c) return OnlineTrainer.run(c, log);
        if (config instanceof OfflineConfig c) return Kto.NAME.equals(c.objective) ? KtoTrainer.run(c, log) : PreferenceTrainer.run(c, log);
        throw new IllegalArgumentException("no trainer for " + config.getClass().getName());
    }
}
