package io.align4j.cli;

import io.align4j.objective.Kto;
import io.align4j.train.KtoTrainer;
import io.align4j.train.OnlineTrainer;
import io.align4j.train.PreferenceTrainer;
import io.align4j.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j train}: offline pairwise preference training, or an online method. Parses and delegates. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a policy on preference pairs with a pairwise objective, or online (pd, rebel, rlhf, rkl, grpo):",
                "sample from the current policy each step, score with --reward-model DIR, --reward gold or the user's rewards",
                "(--reward-class, --reward-regex, --reward-command; weighted by --reward-weights), update.",
                "Settings come from the defaults, then --config FILE.yaml (snake_case keys), then the flags given."})
public final class TrainCommand implements Callable<Integer> {
    @Mixin TrainingOptions options;

    @Option(names = "--objective", description = "offline: dpo, cdpo, robust, hinge, ipo, simpo, pmle or mio (default dpo); "
            + "unpaired ({prompt, completion, label} or any preference file, unpaired): kto; online: pd, rebel, rlhf, rkl or grpo")
    String objective;

    @Option(names = "--reference", description = "reference model (default: frozen copy of the starting policy)") String reference;
    @Option(names = "--beta") Double beta;
    @Option(names = "--gamma") Double gamma;
    @Option(names = "--eta", description = "REBEL's η") Double eta;
    @Option(names = "--prompts", description = "online methods: prompt file (JSONL of {\"prompt\"} or messages, or a preference file)")
    String prompts;
    @Option(names = "--reward-model", description = "online methods: reward-model folder written by 'align4j reward'") String rewardModel;
    @Option(names = "--reward", description = "online methods: 'gold' scores samples with the tinystories-happy judge (oracle runs)")
    String reward;
    @Option(names = "--estimator", description = "rlhf and rkl: ppo (default; value head, GAE, clipping) or rloo") String estimator;
    @Mixin RewardOptions rewards;
    @Option(names = "--num-generations", description = "grpo (and rlhf, rkl): completions sampled per prompt (samples_per_prompt)")
    Integer numGenerations;
    @Option(names = "--loss-type", description = "grpo: grpo, dr_grpo or dapo (default dapo)") String lossType;

    @Override
    public Integer call() throws Exception {
        if (rewardModel != null && reward != null)
            throw new io.align4j.util.UserError("give either --reward-model DIR or --reward gold, not both");
        if (reward != null && !reward.equals(OnlineTrainer.GOLD))
            throw new io.align4j.util.UserError("--reward " + reward + ": the only built-in reward is 'gold' (use --reward-model DIR for a trained one)");
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("objective", objective);
        own.put("reference", reference);
        own.put("beta", beta);
        own.put("gamma", gamma);
        own.put("eta", eta);
        own.put("prompts", prompts);
        own.put("reward_model", reward != null ? reward : rewardModel);
        own.put("estimator", estimator);
        rewards.putInto(own);
        own.put("samples_per_prompt", numGenerations);
        own.put("loss_type", lossType);
        TrainConfig c = options.resolve(new TrainConfig(), own);
        var log = (java.util.function.Consumer<String>) msg -> System.err.println("align4j train: " + msg);
        TrainingOptions.report("train", OnlineTrainer.isOnline(c.objective) ? OnlineTrainer.run(c, log)
                : Kto.NAME.equals(c.objective) ? KtoTrainer.run(c, log) : PreferenceTrainer.run(c, log));
        return 0;
    }
}
