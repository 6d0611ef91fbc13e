package io.align4j.train;

import ai.djl.ndarray.NDManager;
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
 * reward-model folder that {@link RewardModel#load} opens (the online trainers and {@code eval}).
 */
public final class RewardTrainer {
    /** The objective label of reward-model runs: the registry's name of {@link BradleyTerry}. */
    public static final String OBJECTIVE = "bt";

    private RewardTrainer() {}

    /** The settings {@code align4j reward} starts from: {@link TrainConfig}'s, objective bt, output {@code runs/reward}. */
    public static TrainConfig defaults() {
        TrainConfig c = new TrainConfig();
        c.objective = OBJECTIVE;
        c.output = "runs/reward";
        return c;
    }

    public static TrainingLoop.Result run(TrainConfig c, Consumer<String> log) throws IOException {
        if (!OBJECTIVE.equals(c.objective))
            throw new UserError("objective '" + c.objective + "': align4j reward trains a Bradley–Terry model (objective bt)");
        BradleyTerry objective = (BradleyTerry) Objectives.create(OBJECTIVE, c.objectiveParams());
        double centering = c.centerRewardsCoefficient == null ? 0 : c.centerRewardsCoefficient;
        if (!(centering >= 0)) throw new UserError("center_rewards_coefficient must be >= 0, got " + centering);
        RunStart.data(c);
        Path modelPath = RunStart.model(c), tokenizerPath = RunStart.tokenizer(c);
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(modelPath, tokenizerPath, manager)) {
            TextTokenizer tok = start.tokenizer();
            List<TokenizedPair> train = new ArrayList<>(), eval = new ArrayList<>();
            PreferenceTrainer.tokenizeSplit(c, tok, train, eval, log);
            Optional<Path> checkpoint = RunStart.resumeFrom(c);
            CausalLM backbone = RunStart.modelToTrain(checkpoint, start.model(), manager);
            RewardModel model = checkpoint.isPresent()
                    ? new RewardModel(backbone, HfCheckpoint.readRewardHead(checkpoint.get(), manager, DataType.FLOAT32), tok)
                    : RewardModel.initialise(backbone, tok, c.seed, c.rewardLikelihoodTerm);
            var trainable = new TrainingLoop.Trainable(backbone.config(), model.parameters(),
                    ModelLoader.tokenizerFiles(modelPath, tokenizerPath));
            var task = new RewardTask(model, objective, centering, train, eval, tok.padId(), c.batchSize);
            log.accept(String.format("training a reward model on %d pairs (%d held out)", train.size(), eval.size()));
            return TrainingLoop.run(c, trainable, task, manager, log);
        }
    }
}
