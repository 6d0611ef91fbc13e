package io.align4j.cli;

import io.align4j.train.PreferenceTrainer;
import io.align4j.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j train}: offline pairwise preference training. Parses and delegates. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a policy on preference pairs with a pairwise objective.",
                "Settings come from the defaults, then --config FILE.yaml (snake_case keys), then the flags given."})
public final class TrainCommand implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--objective", description = "dpo, cdpo, robust, hinge, ipo, simpo, pmle or mio (default dpo)")
    String objective;

    @Option(names = "--reference", description = "reference model (default: frozen copy of the starting policy)") String reference;
    @Option(names = "--beta") Double beta;
    @Option(names = "--gamma") Double gamma;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("objective", objective);
        own.put("reference", reference);
        own.put("beta", beta);
        own.put("gamma", gamma);
        TrainConfig c = options.resolve(new TrainConfig(), own);
        TrainingOptions.report("train", PreferenceTrainer.run(c, msg -> System.err.println("align4j train: " + msg)));
        return 0;
    }
}
