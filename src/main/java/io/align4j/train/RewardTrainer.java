package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.config.RewardModelConfig;
import ai.djl.ndarray.types.DataType;
import io.align4j.data.TokenizedPair;
import io.align4j.model.CausalLM;
import io.align4j.model.RewardModel;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.ModelLoader;
import io.align4j.objective.BradleyTerry;
import io.align4j.objective.Objectives;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code align4j reward}: a Bradley–Terry reward model ({@link RewardTask}) on the shared
 * {@link TrainingLoop}: the starting LM's backbone with a fresh scalar head. Every checkpoint is a
 * reward-model folder that {@link io.align4j.model.io.RewardModelFolder#load} opens (the online trainers and {@code eval}).
 */
public final class RewardTrainer {
    /** The objective label of reward-model runs: the registry's name of {@link BradleyTerry}. */
    public static final String OBJECTIVE = RewardModelConfig.OBJECTIVE;

    private RewardTrainer() {}

    public static TrainingLoop.Result run(RewardModelConfig c, Consumer<String> log) throws IOException {
        if (!OBJECTIVE.equals(c.objective))
            throw new UserError("objective '" + c.objective + "': align4j reward trains a Bradley–Terry model (objective bt)");
        BradleyTerry objective = (BradleyTerry) Objectives.create(OBJECTIVE, c);
        double centering = c.centerRewardsCoefficient == null ? 0 : c.centerRewardsCoefficient;
        if (!(centering >= 0)) throw new UserError("center_rewards_coefficient must be >= 0, got " + centering);
        if (c.loraR > 0)
            throw new UserError("lora_r " + c.loraR + ": reward models train every weight for now (their score head would need "
                    + "PEFT's modules_to_save); leave --lora-r out");
        try (RunStart run = RunStart.open(c, true)) {
            NDManager manager = run.manager;
            TextTokenizer tok = run.tokenizer();
            List<TokenizedPair> train = new ArrayList<>(), eval = new ArrayList<>();
            PreferenceTrainer.tokenizeSplit(c, tok, train, eval, log);
            Optional<Path> checkpoint = run.checkpoint;
            CausalLM backbone = run.modelToTrain();
            RewardModel model = checkpoint.isPresent()
                    ? new RewardModel(backbone, HfCheckpoint.readRewardHead(checkpoint.get(), manager, DataType.FLOAT32), tok)
                    : RewardModel.initialise(backbone, tok, c.seed, c.rewardLikelihoodTerm);
            if (checkpoint.isEmpty() && c.rewardLikelihoodTerm) {
                ReferenceCache.Values lp = PreferenceTask.referenceLogProbs(backbone, manager, train, tok.padId(), c.batchSize);
                double alpha = likelihoodWeightFit(lp.chosen(), lp.rejected());
                model.likelihoodWeight().orElseThrow().set(new float[] {(float) alpha});
                log.accept(String.format("likelihood weight α starts at %.4f, the fit of the likelihood term alone to the %d pairs", alpha, train.size()));
            }
            var trainable = new TrainingLoop.Trainable(backbone.config(), model.parameters(), run.tokenizerFiles());
            var task = new RewardTask(model, objective, centering, train, eval, tok.padId(), c.batchSize);
            log.accept(String.format("training a reward model on %d pairs (%d held out)", train.size(), eval.size()));
            return run.train(trainable, task, log);
        }
    }

    /**
     * The maximum-likelihood α of the likelihood term alone, {@code argmin_α Σ softplus(−α·d_i)}
     * with {@code d_i = ln π(a+_i|x_i) − ln π(a-_i|x_i)}, by Newton's method from 0 (the loss is
     * convex in α). Starting the reward model there instead of at 0 saves the optimiser the
     * hundreds of steps a learning rate of 1e-4 needs to move α to its scale (≈ γ for
     * tinystories-happy labels), while the backbone and head start where they are.
     */
    static double likelihoodWeightFit(double[] chosen, double[] rejected) {
        double alpha = 0;
        for (int iteration = 0; iteration < 50; iteration++) {
            double gradient = 0, curvature = 0;
            for (int i = 0; i < chosen.length; i++) {
                double d = chosen[i] - rejected[i], p = 1 / (1 + Math.exp(-alpha * d)); // σ(α·d)
                gradient -= d * (1 - p);
                curvature += d * d * p * (1 - p);
            }
            if (curvature <= 0) return alpha;
            double step = gradient / curvature;
            alpha = Math.max(-10, Math.min(10, alpha - step));
            if (Math.abs(step) < 1e-10) break;
        }
        return alpha;
    }
}
