package io.align4j.cli;

import io.align4j.train.RewardTrainer;
import io.align4j.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j reward}: Bradley–Terry reward-model training. Parses and delegates. */
@Command(name = "reward", mixinStandardHelpOptions = true,
        description = {"Train a Bradley-Terry reward model (the LM backbone with a scalar head at the last response token)",
                "on preference pairs; every checkpoint is a Hugging Face *ForSequenceClassification folder.",
                "Settings come from the defaults, then --config FILE.yaml (snake_case keys), then the flags given."})
public final class RewardCommand implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--margin", description = "margin m in -ln sigma(r+ - r- - m) (default 0)") Double margin;
    @Option(names = "--center-rewards-coefficient", description = "weight c of the centring term c*mean((r+ + r-)^2) (default off)")
    Double centerRewardsCoefficient;
    @Option(names = "--likelihood-term", description = "add alpha*ln pi(a|x) of the backbone's own LM head, alpha learned "
            + "(for labels that follow a target pi* ~ pi_0*exp(r/tau); default off: the last-token head alone)")
    Boolean likelihoodTerm;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("margin", margin);
        own.put("center_rewards_coefficient", centerRewardsCoefficient);
        own.put("reward_likelihood_term", likelihoodTerm);
        TrainConfig c = options.resolve(RewardTrainer.defaults(), own);
        TrainingOptions.report("reward", RewardTrainer.run(c, msg -> System.err.println("align4j reward: " + msg)));
        return 0;
    }
}
