package io.align4j.cli;

import io.align4j.train.SftTrainer;
import io.align4j.train.TrainConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code align4j sft}: supervised fine-tuning. Parses and delegates. */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = {"Fine-tune a model with next-token cross-entropy: on the completion of prompt/completion or",
                "messages data, on every token of plain text (a text file or {\"text\"} records, cut into max_length blocks).",
                "Settings come from the defaults, then --config FILE.yaml (snake_case keys), then the flags given."})
public final class SftCommand implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Override
    public Integer call() throws Exception {
        TrainConfig c = options.resolve(SftTrainer.defaults(), Map.of());
        TrainingOptions.report("sft", SftTrainer.run(c, msg -> System.err.println("align4j sft: " + msg)));
        return 0;
    }
}
