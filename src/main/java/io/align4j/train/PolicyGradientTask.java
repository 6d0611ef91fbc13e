package io.align4j.train;

import io.align4j.config.OnlineConfig;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.model.ScalarOps;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.objective.PolicyLoss;
import io.align4j.objective.Ppo;
import io.align4j.objective.Rloo;
import io.align4j.objective.ShapedReward;
import io.align4j.objective.ValueLoss;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RLHF ({@code γ = 0}) and reverse-KL minimisation on k samples per prompt, maximising the
 * specification's sequence-level shaped reward
 * {@code r(x,a) = R̂(x,a) − β (ln π_t(a|x) − ln π_0(a|x)) − γ ln π_t(a|x)} ({@link ShapedReward},
 * computed once per rollout from the sampler's log-probs of π_t), with one of two estimators:
 *
 * <ul>
 *   <li><b>PPO</b>: r is paid per token ({@link ShapedReward#perToken}: each token its own KL and
 *       entropy terms, the last one R̂ as well; {@code dense_shaping=false} puts all of r on the
 *       last token), GAE against the {@link ValueHead}'s values, whose bias starts at the first
 *       rollout's mean return, gives per-token advantages (whitened over the rollout's
 *       tokens, as TRL and OpenAI's PPO do) and returns; each update is the clipped surrogate
 *       ({@link PolicyLoss}) with {@code ρ_t = π_θ/π_t} per token plus the clipped value loss
 *       ({@link ValueLoss}).</li>
 *   <li><b>RLOO</b>: the leave-one-out advantage of each sample's r among its prompt's k
 *       ({@link Rloo#advantages}), in the same clipped surrogate ({@link PolicyLoss}) at the sequence level (so the
 *       inner epochs after the first stay near the sampling policy), without a value head.</li>
 * </ul>
 *
 * Metrics per update: {@code loss/policy}, {@code loss/value} (PPO), {@code clipfrac},
 * {@code approx_kl}, {@code ratio/max_deviation} (max |ρ − 1|), {@code entropy} (mean
 * next-token entropy of π_θ on the samples); per rollout: {@code objective/rlhf_reward} (mean
 * shaped reward) with the {@link OnlineTask} metrics.
 */
public final class PolicyGradientTask extends OnlineTask {
    /** The two estimators of the policy gradient. */
    public enum Estimator { PPO, RLOO }

    private final ShapedReward shaping;
    private final Estimator estimator;
    private final Ppo ppo;
    private final ValueHead valueHead;
    private final boolean denseShaping;
    /** Whether the next rollout sets the value head's bias (a fresh head; a resumed one keeps its own). */
    private boolean calibrateValue;

    // the current rollout, response-aligned: column j of row b is response token j
    private int width;
    private double[][] mask, oldLogProbs, oldValues, advantages, returns;
    private float[][] features;
    private double[] sequenceAdvantages;

    /**
     * @param valueHead      the critic for PPO; null for RLOO
     * @param freshValueHead whether the head is new (its bias is then set from the first rollout) rather than resumed
     */
    public PolicyGradientTask(CausalLM policy, CausalLM reference, RewardSource reward, ShapedReward shaping,
                              Estimator estimator, ValueHead valueHead, boolean freshValueHead, List<int[]> train,
                              List<int[]> eval, int padId, int[] stopIds, int[] suppressIds, OnlineConfig c) {
        super(policy, reference, reward, train, eval, padId, stopIds, suppressIds, c.samplesPerPrompt, c);
        if (estimator == Estimator.PPO && valueHead == null) throw new IllegalArgumentException("PPO needs a value head");
        this.shaping = shaping;
        this.estimator = estimator;
        this.valueHead = valueHead;
        this.denseShaping = c.denseShaping;
        this.calibrateValue = valueHead != null && freshValueHead;
        this.ppo = new Ppo(c.clipRange, c.gaeLambda, c.discount, c.valueCoef, c.clipRangeValue);
    }

    @Override
    protected boolean needsReferenceFeatures() { return estimator == Estimator.PPO; }

    @Override
    protected Map<String, Double> prepare(NDManager m, Rollout r) {
        int rows = r.scores().length;
        NDArray shaped = shaping.apply(m.create(r.scores()), m.create(r.logProbs()), m.create(r.refLogProbs()));
        double[] shapedRewards = shaped.toDoubleArray();
        Map<String, Double> metrics = new LinkedHashMap<>();
        double mean = 0;
        for (double v : shapedRewards) mean += v / rows;
        metrics.put("objective/rlhf_reward", mean);
        if (estimator == Estimator.RLOO) {
            sequenceAdvantages = Rloo.advantages(shaped.reshape(r.groups(), samplesPerPrompt)).reshape(-1).toDoubleArray();
            return metrics;
        }
        width = r.responses().stream().mapToInt(a -> a.length).max().orElse(1);
        mask = new double[rows][width];
        oldLogProbs = new double[rows][width];
        double[][] refLogProbs = new double[rows][width];
        features = new float[rows][width * reference.config().dim()];
        for (int b = 0; b < rows; b++) {
            int len = r.responses().get(b).length;
            for (int j = 0; j < len; j++) mask[b][j] = 1;
            System.arraycopy(r.tokenLogProbs()[b], 0, oldLogProbs[b], 0, len);
            System.arraycopy(r.refTokenLogProbs()[b], 0, refLogProbs[b], 0, len);
            System.arraycopy(r.referenceFeatures()[b], 0, features[b], 0, r.referenceFeatures()[b].length);
        }
        NDArray maskNd = grid(m, mask);
        NDArray score = m.create(r.scores()).toType(DataType.FLOAT32, false);
        NDArray rewards = denseShaping ? shaping.perToken(score, grid(m, oldLogProbs), grid(m, refLogProbs), maskNd)
                : Ppo.terminalRewards(shaped.toType(DataType.FLOAT32, false), maskNd);
        if (calibrateValue) {
            valueHead.setBias(meanReturnToGo(rows(rewards), mask));
            calibrateValue = false;
            metrics.put("val/calibrated_bias", valueHead.bias());
        }
        NDArray values;
        try (NoGradient noGrad = new NoGradient()) {
            values = valueHead.values(features(m, features, allRows(rows))).mul(maskNd);
        }
        Ppo.Advantages gae = ppo.gae(rewards, values, maskNd);
        oldValues = rows(values);
        returns = rows(gae.returns());
        advantages = whitened(rows(gae.advantages()), mask);
        double valueMean = 0, tokens = 0;
        for (int b = 0; b < rows; b++) for (int j = 0; j < width; j++) { valueMean += oldValues[b][j]; tokens += mask[b][j]; }
        metrics.put("val/mean", valueMean / tokens);
        return metrics;
    }

    /** Mean over response tokens of the undiscounted return from that token on, {@code Σ_{u ≥ t} r_u}. */
    static double meanReturnToGo(double[][] rewards, double[][] mask) {
        double sum = 0, tokens = 0;
        for (int b = 0; b < rewards.length; b++) {
            double toGo = 0;
            for (int j = rewards[b].length - 1; j >= 0; j--) {
                toGo += rewards[b][j] * mask[b][j];
                sum += toGo * mask[b][j];
                tokens += mask[b][j];
            }
        }
        return tokens == 0 ? 0 : sum / tokens;
    }

    @Override
    protected ObjectiveOutput update(NDManager m, Rollout r, int[] rows) {
        ResponseBatch batch = ResponseBatch.rightPadded(m, pick(r.prompts(), rows), pick(r.responses(), rows), padId);
        SequenceScorer.Scores s = SequenceScorer.score(policy, batch);
        Map<String, NDArray> metrics = new LinkedHashMap<>();
        NDArray loss;
        if (estimator == Estimator.PPO) {
            NDArray maskNd = grid(m, select(mask, rows));
            NDArray logProbs = s.tokenLogProbs().gather(responseIndex(m, batch, width), 1).mul(maskNd);
            NDArray old = grid(m, select(oldLogProbs, rows));
            PolicyLoss.Terms policy = ppo.policyLoss().of(logProbs, old, grid(m, select(advantages, rows)), maskNd);
            NDArray values = valueHead.values(features(m, features, rows)).mul(maskNd);
            NDArray value = ppo.valueLoss().of(values, grid(m, select(oldValues, rows)), grid(m, select(returns, rows)), maskNd);
            loss = policy.loss().add(ScalarOps.mul(value, ppo.valueCoef()));
            putPolicyMetrics(metrics, policy, value, maxRatioDeviation(logProbs, old, maskNd));
        } else {
            Shape column = new Shape(rows.length, 1);
            NDArray logProbs = s.sequenceLogProbs().reshape(column);
            NDArray old = m.create(pick(r.logProbs(), rows)).toType(DataType.FLOAT32, false).reshape(column);
            NDArray adv = m.create(pick(sequenceAdvantages, rows)).toType(DataType.FLOAT32, false).reshape(column);
            NDArray ones = m.ones(column, DataType.FLOAT32);
            PolicyLoss.Terms policy = ppo.policyLoss().of(logProbs, old, adv, ones);
            loss = policy.loss();
            putPolicyMetrics(metrics, policy, null, maxRatioDeviation(logProbs, old, ones));
        }
        metrics.put("entropy", s.tokenEntropy().stopGradient().sum().div(s.tokenCounts().sum()));
        return new ObjectiveOutput(loss, metrics);
    }

    /** {@code value} is null for RLOO, which has no critic. */
    private static void putPolicyMetrics(Map<String, NDArray> metrics, PolicyLoss.Terms policy, NDArray value,
                                         NDArray maxRatioDeviation) {
        metrics.put("loss/policy", policy.loss().stopGradient());
        if (value != null) metrics.put("loss/value", value.stopGradient());
        metrics.put("clipfrac", policy.clipFraction());
        metrics.put("approx_kl", policy.approxKl());
        metrics.put("ratio/max_deviation", maxRatioDeviation);
    }

    /** max over response tokens of |exp(ln π_θ − ln π_t) − 1|. */
    private static NDArray maxRatioDeviation(NDArray logProbs, NDArray old, NDArray mask) {
        return logProbs.stopGradient().sub(old).exp().sub(1).abs().mul(mask).max();
    }

    private NDArray features(NDManager m, float[][] all, int[] rows) {
        int dim = reference.config().dim();
        float[] flat = new float[rows.length * width * dim];
        for (int i = 0; i < rows.length; i++) System.arraycopy(all[rows[i]], 0, flat, i * width * dim, width * dim);
        return m.create(flat, new Shape(rows.length, width, dim));
    }

    /** Advantages scaled to mean 0 and standard deviation 1 over the masked tokens, zero elsewhere. */
    static double[][] whitened(double[][] a, double[][] mask) {
        double n = 0, sum = 0, squares = 0;
        for (int b = 0; b < a.length; b++)
            for (int j = 0; j < a[b].length; j++) if (mask[b][j] != 0) { n++; sum += a[b][j]; squares += a[b][j] * a[b][j]; }
        double mean = sum / n, std = Math.sqrt(Math.max(squares / n - mean * mean, 0));
        double[][] out = new double[a.length][];
        for (int b = 0; b < a.length; b++) {
            out[b] = new double[a[b].length];
            for (int j = 0; j < a[b].length; j++) out[b][j] = mask[b][j] * (a[b][j] - mean) / (std + 1e-8);
        }
        return out;
    }

    private static int[] allRows(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = i;
        return rows;
    }

    private double[][] rows(NDArray a) {
        float[] flat = a.toType(DataType.FLOAT32, false).toFloatArray();
        int rows = (int) a.getShape().get(0);
        double[][] out = new double[rows][width];
        for (int b = 0; b < rows; b++) for (int j = 0; j < width; j++) out[b][j] = flat[b * width + j];
        return out;
    }
}
