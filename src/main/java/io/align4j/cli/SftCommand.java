package io.align4j.cli;

import io.align4j.config.SftConfig;
import io.align4j.train.Training;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code align4j sft}: supervised fine-tuning. Parses and delegates. */
@Command(name = "sft", mixinStandardHelpOptions = true, abbreviateSynopsis = true, sortOptions = false, modelTransformer = SftCommand.Flags.class,
        description = {"Fine-tune a model with next-token cross-entropy: on the completion of prompt/completion or"
                + " messages data, on every token of plain text (a text file or {\"text\"} records, cut into max_length blocks).",
                "Settings come from the defaults, then --config FILE.yaml, then the flags given."})
public final class SftCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin TrainingOptions options;

    /** Adds the settings of SFT runs as flags. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) { return ConfigFlags.addTo(spec, SftConfig.class); }
    }

    @Override
    public Integer call() throws Exception {
        SftConfig c = options.resolve(new SftConfig(), options.flags(spec));
        TrainingOptions.report("sft", Training.run(c, msg -> System.err.println("align4j sft: " + msg)));
        return 0;
    }
}
