package io.align4j.train;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.align4j.data.TokenizedPair;
import io.align4j.model.RewardModel;
import io.align4j.objective.BradleyTerry;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.objective.PairLogProbs;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bradley–Terry reward-model training on tokenized preference pairs:
 * <pre>
 *   loss = mean(−ln σ(r+ − r- − m)) + c · mean((r+ + r-)²)
 * </pre>
 * with {@code r± = R(x, a±)} from {@link RewardModel#rewards}, the margin {@code m} of
 * {@link BradleyTerry} and the optional centring coefficient {@code c} (TRL's
 * {@code center_rewards_coefficient}), which keeps the rewards' mean near zero without changing
 * their differences. Chosen and rejected responses share one forward pass of twice the batch.
 * Metrics: {@code accuracy} (share of pairs with r+ &gt; r-), {@code rewards/chosen},
 * {@code rewards/rejected}, {@code rewards/margins}.
 */
public final class RewardTask implements TrainingLoop.Task {
    private final RewardModel model;
    private final BradleyTerry objective;
    private final double centering;
    private final List<TokenizedPair> train, eval;
    private final int padId, batchSize;

    public RewardTask(RewardModel model, BradleyTerry objective, double centering, List<TokenizedPair> train,
                      List<TokenizedPair> eval, int padId, int batchSize) {
        this.model = model;
        this.objective = objective;
        this.centering = centering;
        this.train = train;
        this.eval = eval;
        this.padId = padId;
        this.batchSize = batchSize;
    }

    @Override
    public int trainSize() { return train.size(); }

    @Override
    public ObjectiveOutput loss(NDManager step, int[] examples, long seed) {
        return loss(step, Arrays.stream(examples).mapToObj(train::get).toList());
    }

    /** Held-out means over all pairs, computed without gradients. */
    @Override
    public Map<String, Double> evaluate(NDManager manager) {
        return HeldOut.means(eval.size(), batchSize, manager, (m, from, to) -> loss(m, eval.subList(from, to)).values());
    }

    private ObjectiveOutput loss(NDManager m, List<TokenizedPair> pairs) {
        int n = pairs.size();
        NDArray both = model.rewards(HeldOut.chosenThenRejected(m, pairs, padId));
        PairLogProbs scores = PairLogProbs.ofScores(both.get(new NDIndex("0:{}", n)), both.get(new NDIndex("{}:", n)));
        NDArray loss = objective.losses(scores).mean();
        if (centering != 0) loss = loss.add(ScalarOps.mul(scores.scoreChosen().add(scores.scoreRejected()).square().mean(), centering));
        Map<String, NDArray> metrics = new LinkedHashMap<>();
        objective.metrics(scores).forEach((k, v) -> metrics.put(k.equals("rewards/accuracies") ? "accuracy" : k, v));
        return new ObjectiveOutput(loss, metrics);
    }
}
