package io.align4j.cli;

import io.align4j.config.ConfigLoader;
import io.align4j.config.OfflineConfig;
import io.align4j.config.OnlineConfig;
import io.align4j.config.RunConfig;
import io.align4j.objective.Objectives;
import io.align4j.train.Training;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code align4j train}: offline pairwise preference training, KTO, or an online method. Parses and delegates. */
@Command(name = "train", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, modelTransformer = TrainCommand.Flags.class,
        description = {"Align a policy with a preference objective. Offline (pairs): "
                + "%n  OFFLINE%n"
                + "Unpaired ({prompt, completion, label}, or a preference file unpaired): UNPAIRED%n"
                + "Online (sample from the policy each step, score with --reward-model DIR, --reward gold or the user's"
                + " rewards --reward-class, --reward-regex, --reward-command, update): ONLINE%n"
                + "Settings come from the defaults, then --config FILE.yaml, then the flags given; a hyper-parameter left"
                + " unset takes the objective's default."})
public final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin TrainingOptions options;

    /** Adds the settings of offline and online runs as flags, and lists the objectives in the description. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            String[] text = spec.usageMessage().description();
            for (int i = 0; i < text.length; i++)
                text[i] = text[i].replace("UNPAIRED", Objectives.describe(Objectives.Kind.UNPAIRED))
                        .replace("ONLINE", Objectives.describe(Objectives.Kind.ONLINE))
                        .replace("OFFLINE", Objectives.describe(Objectives.Kind.OFFLINE_PAIRWISE));
            spec.usageMessage().description(text);
            return ConfigFlags.addTo(spec, OfflineConfig.class, OnlineConfig.class);
        }
    }

    @Override
    public Integer call() throws Exception {
        Map<String, Object> given = options.flags(spec);
        Object objective = given.get("objective");
        if (objective == null) objective = ConfigLoader.peek(options.config, "objective");
        RunConfig defaults = objective == null ? new OfflineConfig() : Training.newConfig(objective.toString());
        RunConfig c = options.resolve(defaults, given);
        TrainingOptions.report("train", Training.run(c, msg -> System.err.println("align4j train: " + msg)));
        return 0;
    }
}
