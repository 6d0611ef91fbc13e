package io.align4j.cli;

import io.align4j.config.RewardModelConfig;
import io.align4j.train.Training;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code align4j reward}: Bradley–Terry reward-model training. Parses and delegates. */
@Command(name = "reward", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, modelTransformer = RewardCommand.Flags.class,
        description = {"Train a Bradley-Terry reward model (the LM backbone with a scalar head at the last response token)"
                + " on preference pairs; every checkpoint is a Hugging Face *ForSequenceClassification folder.",
                "Settings come from the defaults, then --config FILE.yaml, then the flags given."})
public final class RewardCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin TrainingOptions options;

    /** Adds the settings of reward-model runs as flags. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) { return ConfigFlags.addTo(spec, RewardModelConfig.class); }
    }

    @Override
    public Integer call() throws Exception {
        RewardModelConfig c = options.resolve(new RewardModelConfig(), options.flags(spec));
        TrainingOptions.report("reward", Training.run(c, msg -> System.err.println("align4j reward: " + msg)));
        return 0;
    }
}
