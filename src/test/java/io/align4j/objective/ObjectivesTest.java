package io.align4j.objective;

import io.align4j.config.OfflineConfig;
import io.align4j.config.OnlineConfig;
import io.align4j.config.RewardModelConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.align4j.util.UserError;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Section 4 of OBJECTIVES.md, gradients of every loss, MIO's and PD's closed-form gradients. */
class ObjectivesTest {
    private static NDManager manager;

    @BeforeAll static void open() { manager = NDManager.newBaseManager(); }

    @AfterAll static void close() { manager.close(); }

    private static NDArray scalar(NDManager m, double v) { return m.create(new double[] {v}); }

    /** Policy chosen −10, rejected −12, reference −11 / −11, as in section 4. */
    private static PairLogProbs crossCheckPair(NDManager m) {
        return PairLogProbs.of(scalar(m, -10), scalar(m, -12), scalar(m, -11), scalar(m, -11));
    }

    private static double lossOf(PairwiseObjective o, PairLogProbs p) {
        return o.loss(p).value("loss");
    }

    @Test
    void crossCheckValuesOfSection4() {
        try (NDManager m = manager.newSubManager()) {
            PairLogProbs p = crossCheckPair(m);
            assertEquals(0.598139, lossOf(new Dpo(0.1), p), 1e-6);
            assertEquals(0.8, lossOf(new Hinge(0.1), p), 1e-6);
            assertEquals(9.0, lossOf(new Ipo(0.1, false), p), 1e-6);
            assertEquals(0.618139, lossOf(new CDpo(0.1, 0.1), p), 1e-6);
            assertEquals(0.573139, lossOf(new RobustDpo(0.1, 0.1), p), 1e-6);
            assertEquals(1.338793, lossOf(new Mio(0.1), p), 1e-6);
            assertEquals(0.313262, lossOf(new Pmle(0.5, 0), PairLogProbs.of(scalar(m, -10), scalar(m, -12))), 1e-6);

            PairLogProbs scored = p.withScores(scalar(m, 1.5), scalar(m, 0.5));
            PreferenceDistillation pd = new PreferenceDistillation(0.5, 0, false, false);
            assertEquals(0.731059, pd.softLabel(scored).getDouble(0), 1e-6);
            assertEquals(0.582203, lossOf(pd, scored), 1e-6);
            assertEquals(0.313262, lossOf(new BradleyTerry(0), PairLogProbs.ofScores(scalar(m, 1.5), scalar(m, 0.5))), 1e-6);
            // REBEL with π_t = π_0 of the cross-check pair.
            PairLogProbs rebel = scored.withSampling(scalar(m, -11), scalar(m, -11));
            assertEquals(1.0, lossOf(new Rebel(1.0), rebel), 1e-6);
        }
    }

    @Test
    void rewardMetricsOfSection4() {
        try (NDManager m = manager.newSubManager()) {
            Map<String, Double> v = new Dpo(0.1).loss(crossCheckPair(m)).values();
            assertEquals(0.1, v.get("rewards/chosen"), 1e-6);
            assertEquals(-0.1, v.get("rewards/rejected"), 1e-6);
            assertEquals(0.2, v.get("rewards/margins"), 1e-6);
            assertEquals(1.0, v.get("rewards/accuracies"), 1e-6);
            assertEquals(-10, v.get("logps/chosen"), 1e-6);
            assertEquals(-12, v.get("logps/rejected"), 1e-6);
            // Accuracy counts strict wins only: a tie is not a win.
            PairLogProbs tie = PairLogProbs.of(m.create(new double[] {-10, -10}), m.create(new double[] {-12, -10}),
                    m.create(new double[] {-11, -11}), m.create(new double[] {-11, -11}));
            assertEquals(0.5, new Dpo(0.1).loss(tie).value("rewards/accuracies"), 1e-12);
        }
    }

    private static final int PAIRS = 3;

    private static double[] random(Random r, double centre, double spread) {
        double[] v = new double[PAIRS];
        for (int i = 0; i < PAIRS; i++) v[i] = centre + spread * r.nextGaussian();
        return v;
    }

    @Test
    void everyPairwiseLossHasTheGradientOfFiniteDifferences() {
        Random r = new Random(7);
        double[][] logps = {random(r, -10, 2), random(r, -11, 2), random(r, -10, 2), random(r, -11, 2)};
        double[] lengths = {5, 8, 13};
        double[] scoreA = random(r, 0, 1), scoreB = random(r, 0, 1);
        List<PairwiseObjective> referenceMethods = List.of(new Dpo(0.3), new CDpo(0.3, 0.1), new RobustDpo(0.3, 0.1),
                new Hinge(0.1), new Ipo(0.3, false), new Ipo(0.3, true), new Mio(0.3));
        for (PairwiseObjective o : referenceMethods) {
            GradientCheck.assertMatchesFiniteDifferences(manager, logps, x -> o.loss(
                    PairLogProbs.of(x[0], x[1], x[2], x[3]).withLengths(x[0].getManager().create(lengths),
                            x[0].getManager().create(lengths).add(1))).loss(), o.toString());
        }
        double[][] policy = {logps[0], logps[1]};
        for (PairwiseObjective o : List.of(new Pmle(0.5, 0), new SimPo(2.0, 1.0))) {
            GradientCheck.assertMatchesFiniteDifferences(manager, policy, x -> o.loss(
                    PairLogProbs.of(x[0], x[1]).withLengths(x[0].getManager().create(lengths),
                            x[0].getManager().create(lengths).add(1))).loss(), o.toString());
        }
        GradientCheck.assertMatchesFiniteDifferences(manager, new double[][] {scoreA, scoreB},
                x -> new BradleyTerry(0.5).loss(PairLogProbs.ofScores(x[0], x[1])).loss(), "bt");
        // Online pairs: scores and sampling log-probs are data, the gradient flows into the policy (and reference for shaping).
        for (PairwiseObjective o : List.of(new PreferenceDistillation(0.5, 0, false, false),
                new PreferenceDistillation(0.5, 0, true, false), new PreferenceDistillation(0.5, 0.05, false, true),
                new Rebel(0.7))) {
            GradientCheck.assertMatchesFiniteDifferences(manager, policy, x -> {
                NDManager m = x[0].getManager();
                return o.loss(PairLogProbs.of(x[0], x[1], m.create(logps[2]), m.create(logps[3]))
                        .withScores(m.create(scoreA), m.create(scoreB))
                        .withSampling(m.create(logps[2]).add(0.3), m.create(logps[3]).sub(0.2))).loss();
            }, o.toString());
        }
    }

    @Test
    void klTermAddsBetaTimesTheRlooSurrogate() {
        Random r = new Random(3);
        double[][] in = {random(r, -10, 1), random(r, -11, 1), {-3, -2.5, -4, -3.2}, {-3.5, -2, -3, -4}};
        Pmle pmle = new Pmle(0.5, 0.2);
        Function<NDArray[], NDArray> f = x -> pmle.loss(PairLogProbs.of(x[0], x[1]),
                Rloo.kl(x[2].reshape(2, 2), x[3].reshape(2, 2))).loss();
        // d/d ln π(y_i) of β · mean_i(A_i ln π(y_i)): β A_i / 4 with leave-one-out advantages of the log-ratios.
        double[][] g = GradientCheck.autograd(manager, in, f);
        double[] ratio = new double[4];
        for (int i = 0; i < 4; i++) ratio[i] = in[2][i] - in[3][i];
        for (int i = 0; i < 4; i++) {
            double other = ratio[i % 2 == 0 ? i + 1 : i - 1];
            assertEquals(0.2 * (ratio[i] - other) / 4, g[2][i], 1e-12);
        }
        assertThrows(IllegalStateException.class, () -> pmle.loss(PairLogProbs.of(manager.create(in[0]), manager.create(in[1]))));
        try (NDManager m = manager.newSubManager()) {
            KlPenalty kl = Rloo.kl(m.create(in[2]).reshape(2, 2), m.create(in[3]).reshape(2, 2));
            assertEquals((ratio[0] + ratio[1] + ratio[2] + ratio[3]) / 4, kl.estimate().getDouble(), 1e-12);
        }
    }

    @Test
    void mioGradientsFollowTheClosedForms() {
        double beta = 0.5;
        double[] tw = {0, 0.4, Math.log(2), -1.3}, tl = {0, -0.7, 0.2, 1.1};
        // With π_0 = 0 the critic is T = β ln π_θ, so ∂L/∂ln π = β ∂L/∂T; the loss is a mean over 4 pairs.
        double[][] in = {new double[4], new double[4]};
        for (int i = 0; i < 4; i++) { in[0][i] = tw[i] / beta; in[1][i] = tl[i] / beta; }
        Function<NDArray[], NDArray> f = x -> new Mio(beta).loss(
                PairLogProbs.of(x[0], x[1], x[0].zerosLike(), x[1].zerosLike())).loss();
        double[][] g = GradientCheck.autograd(manager, in, f);
        for (int i = 0; i < 4; i++) {
            assertEquals(-1 + 1.5 * sigmoid(tw[i]), g[0][i] * 4 / beta, 1e-12, "dL/dT_w at " + tw[i]);
            assertEquals(0.5 * sigmoid(tl[i]), g[1][i] * 4 / beta, 1e-12, "dL/dT_l at " + tl[i]);
        }
        assertEquals(-0.25, g[0][0] * 4 / beta, 1e-12);
        assertEquals(0.25, g[1][0] * 4 / beta, 1e-12);
        assertEquals(0, g[0][2], 1e-12, "the chosen gradient vanishes at T_w = ln 2");
        try (NDManager m = manager.newSubManager()) {
            NDArray zero = m.create(new double[] {0});
            assertEquals(Math.log(4), new Mio(beta).loss(PairLogProbs.of(zero, zero, zero, zero)).value("loss"), 1e-12);
        }
    }

    @Test
    void distillationGradientVanishesWhenTheSoftLabelIsTheModelsOwnPreference() {
        double gamma = 0.5;
        double[][] in = {{-10, -4, -7}, {-12, -5, -6}};
        double[] scoreA = new double[3], scoreB = new double[3];
        for (int i = 0; i < 3; i++) { scoreA[i] = gamma * in[0][i] + 2.0; scoreB[i] = gamma * in[1][i] + 2.0; }
        Function<NDArray[], NDArray> f = x -> new PreferenceDistillation(gamma, 0, false, false).loss(
                PairLogProbs.of(x[0], x[1]).withScores(x[0].getManager().create(scoreA), x[0].getManager().create(scoreB))).loss();
        double[][] g = GradientCheck.autograd(manager, in, f);
        for (double[] row : g) for (double v : row) assertEquals(0, v, 1e-12);
        // Off the fixed point the gradient is γ (σ(z) − p̃) / batch.
        scoreA[0] += 1;
        double[][] off = GradientCheck.autograd(manager, in, f);
        double z = gamma * (in[0][0] - in[1][0]);
        assertEquals(gamma * (sigmoid(z) - sigmoid(z + 1)) / 3, off[0][0], 1e-12);
    }

    @Test
    void perTokenShapedRewardSumsToTheSequenceRewardAndPaysEachTokenItsOwnTerms() {
        ShapedReward shaped = ShapedReward.reverseKl(0.05, 0.01);
        try (NDManager m = manager.newSubManager()) {
            // two responses of 3 and 2 tokens, right-padded to width 3
            float[][] policy = {{-1.0f, -2.5f, -0.3f}, {-0.7f, -1.9f, 0f}}, reference = {{-1.2f, -2.0f, -0.9f}, {-0.4f, -2.2f, 0f}};
            float[][] mask = {{1, 1, 1}, {1, 1, 0}};
            NDArray score = m.create(new float[] {0.8f, -1.5f});
            NDArray perToken = shaped.perToken(score, m.create(policy), m.create(reference), m.create(mask));
            float[] r = perToken.toFloatArray();
            float[] sequence = shaped.apply(score, m.create(policy).sum(new int[] {1}), m.create(reference).sum(new int[] {1})).toFloatArray();
            for (int b = 0; b < 2; b++) {
                double rowSum = 0;
                for (int t = 0; t < 3; t++) rowSum += r[b * 3 + t];
                assertEquals(sequence[b], rowSum, 1e-6, "row " + b + " sums to the sequence reward");
            }
            // token 0 of row 0: −β(−1.0 − (−1.2)) − γ(−1.0) = −0.01 + 0.01 = 0; its last token adds R̂ = 0.8
            assertEquals(0.0, r[0], 1e-7);
            assertEquals(-0.05 * (-0.3 + 0.9) - 0.01 * -0.3 + 0.8, r[2], 1e-6);
            assertEquals(-0.05 * (-1.9 + 2.2) - 0.01 * -1.9 - 1.5, r[4], 1e-6, "row 1 ends at its second token");
            assertEquals(0.0, r[5], 0.0, "nothing off the mask");
        }
    }

    @Test
    void exactPolicyGradientIsTheGradientOfTheRegularisedObjective() {
        double beta = 0.3, gamma = 0.2;
        double[] scores = {0.5, -1.0, 2.0, 0.1}, reference = {-1.2, -1.5, -2.0, -1.0};
        ShapedReward shaped = ShapedReward.reverseKl(beta, gamma);
        double[][] logits = {{0.3, -0.2, 0.5, 0.0}};
        Function<NDArray[], NDArray> surrogate = x -> {
            NDManager m = x[0].getManager();
            NDArray lp = x[0].logSoftmax(0);
            NDArray ref = m.create(reference).logSoftmax(0);
            return ExactPolicyGradient.loss(lp, shaped.apply(m.create(scores), lp, ref), 0);
        };
        // The objective itself, with nothing detached: −(E R̂ − β KL(π ‖ π_0) + γ H(π)).
        Function<NDArray[], NDArray> objective = x -> {
            NDManager m = x[0].getManager();
            NDArray lp = x[0].logSoftmax(0);
            NDArray ref = m.create(reference).logSoftmax(0);
            NDArray p = lp.exp();
            return p.mul(m.create(scores).sub(lp.sub(ref).mul(beta)).sub(lp.mul(gamma))).sum().neg();
        };
        double[][] g = GradientCheck.autograd(manager, logits, surrogate);
        double[][] exact = GradientCheck.autograd(manager, logits, objective);
        for (int j = 0; j < 4; j++) assertEquals(exact[0][j], g[0][j], 1e-12);
        GradientCheck.assertMatchesFiniteDifferences(manager, logits, objective, "regularised objective");
        // At the tabular optimum the gradient vanishes.
        try (NDManager m = manager.newSubManager()) {
            double[] optimum = shaped.tabularOptimum(m.create(scores), m.create(reference).logSoftmax(0), 0).toDoubleArray();
            for (double v : GradientCheck.autograd(manager, new double[][] {optimum}, surrogate)[0]) assertEquals(0, v, 1e-12);
        }
    }

    @Test
    void rlooAdvantagesLeaveOneOut() {
        try (NDManager m = manager.newSubManager()) {
            double[] a = Rloo.advantages(m.create(new double[] {1, 0, 0, 3}).reshape(1, 4)).toDoubleArray();
            assertEquals(1 - 1, a[0], 1e-12);
            assertEquals(0 - 4.0 / 3, a[1], 1e-12);
            assertEquals(3 - 1.0 / 3, a[3], 1e-12);
            ObjectiveOutput out = Rloo.policyLoss(m.create(new double[] {-1, -2, -3, -4}).reshape(1, 4),
                    m.create(new double[] {1, 0, 0, 3}).reshape(1, 4));
            // −mean(A · ln π) = −(0·−1 + (−4/3)(−2) + (−4/3)(−3) + (8/3)(−4)) / 4
            assertEquals(-(8.0 / 3 + 4 - 32.0 / 3) / 4, out.value("loss"), 1e-12);
            assertEquals(1.0, out.value("reward"), 1e-12);
        }
    }

    /** Three unpaired examples: two desirable (log-ratios 1 and 2), one undesirable (−1); mismatched log-ratios 0.5, −1, 1. */
    private static final double[] KTO_POLICY = {-10, -12, -9}, KTO_REFERENCE = {-11, -11, -11}, KTO_DESIRABLE = {1, 0, 1},
            KTO_POLICY_MISMATCHED = {-12, -13, -10}, KTO_REFERENCE_MISMATCHED = {-12.5, -12, -11};

    private static UnpairedLogProbs unpaired(NDManager m, double[] policy, double[] reference, double[] policyMismatched) {
        return new UnpairedLogProbs(m.create(policy), m.create(reference), m.create(KTO_DESIRABLE), m.create(policyMismatched),
                m.create(KTO_REFERENCE_MISMATCHED));
    }

    @Test
    void ktoLossOfHandComputedValues() {
        try (NDManager m = manager.newSubManager()) {
            UnpairedLogProbs p = unpaired(m, KTO_POLICY, KTO_REFERENCE, KTO_POLICY_MISMATCHED);
            // z_0 = (0.5 − 1 + 1)/3 = 1/6; losses 1 − σ(0.1(1 − 1/6)), 1 − σ(0.1(1/6 + 1)), 1 − σ(0.1(2 − 1/6)).
            double z0 = 1.0 / 6;
            double[] each = {1 - sigmoid(0.1 * (1 - z0)), 1 - sigmoid(0.1 * (z0 + 1)), 1 - sigmoid(0.1 * (2 - z0))};
            assertEquals(0.479179, each[0], 1e-6);
            assertEquals(0.470866, each[1], 1e-6);
            assertEquals(0.454295, each[2], 1e-6);
            ObjectiveOutput out = new Kto(0.1, 1, 1).loss(p);
            assertEquals(0.468113, out.value("loss"), 1e-6);
            assertEquals(z0, out.value("kl"), 1e-12);
            assertEquals(0.15, out.value("rewards/chosen"), 1e-12);
            assertEquals(-0.1, out.value("rewards/rejected"), 1e-12);
            assertEquals(0.25, out.value("rewards/margins"), 1e-12);
            assertEquals(2, out.value("count/chosen"), 0);
            // λ_U = 1.5 weights the undesirable loss only.
            assertEquals(0.546591, new Kto(0.1, 1, 1.5).loss(p).value("loss"), 1e-6);
            assertEquals((each[0] + 1.5 * each[1] + each[2]) / 3, new Kto(0.1, 1, 1.5).loss(p).value("loss"), 1e-12);
            // A negative mismatched mean (−7/6) is clamped: z_0 = 0.
            UnpairedLogProbs negative = unpaired(m, KTO_POLICY, KTO_REFERENCE, new double[] {-13, -14, -12});
            assertEquals(0, new Kto().referencePoint(negative).getDouble(), 0);
            assertEquals(0.466736, new Kto().loss(negative).value("loss"), 1e-6);
        }
    }

    @Test
    void ktoHasTheGradientOfFiniteDifferencesAndNoneThroughTheReferencePoint() {
        Kto kto = new Kto(0.3, 1.0, 1.33);
        // z_0 is data to the gradient (TRL detaches it): the check varies the matched log-probs only.
        GradientCheck.assertMatchesFiniteDifferences(manager, new double[][] {KTO_POLICY, KTO_REFERENCE},
                x -> {
                    NDManager m = x[0].getManager();
                    return kto.loss(new UnpairedLogProbs(x[0], x[1], m.create(KTO_DESIRABLE), m.create(KTO_POLICY_MISMATCHED),
                            m.create(KTO_REFERENCE_MISMATCHED))).loss();
                }, "kto");
        double[][] g = GradientCheck.autograd(manager, new double[][] {KTO_POLICY, KTO_POLICY_MISMATCHED},
                x -> kto.loss(new UnpairedLogProbs(x[0], x[0].getManager().create(KTO_REFERENCE), x[0].getManager().create(KTO_DESIRABLE),
                        x[1], x[0].getManager().create(KTO_REFERENCE_MISMATCHED))).loss());
        for (double v : g[1]) assertEquals(0, v, 0, "no gradient through the mismatched pairs");
        // Closed form: ∂L/∂ln π(y_i) = ∓ λ β σ(u)(1 − σ(u)) / B with u = β(r − z_0) (desirable) or β(z_0 − r).
        double z0 = 1.0 / 6, beta = 0.3;
        double[] r = {1, -1, 2};
        for (int i = 0; i < 3; i++) {
            boolean desirable = KTO_DESIRABLE[i] == 1;
            double u = beta * (desirable ? r[i] - z0 : z0 - r[i]);
            double expected = (desirable ? -1.0 : 1.33) * beta * sigmoid(u) * (1 - sigmoid(u)) / 3;
            assertEquals(expected, g[0][i], 1e-12, "example " + i);
        }
    }

    @Test
    void registryCreatesByNameWithOverrides() {
        OfflineConfig c = new OfflineConfig();
        c.beta = 0.25;
        assertEquals(new Dpo(0.25), Objectives.create("dpo", c));
        OfflineConfig ipo = new OfflineConfig();
        ipo.lengthNormalised = false;
        assertEquals(new Ipo(0.1, false), Objectives.create("ipo", ipo));
        OnlineConfig pd = new OnlineConfig();
        pd.ratioToSampling = true;
        pd.klAsShaping = true;
        assertEquals(new PreferenceDistillation(0.1, 0.05, true, true), Objectives.create("pd", pd));
        assertEquals(new Pmle(0.01, 1e-5), Objectives.create("pmle", new OfflineConfig()));
        for (Objectives.Method m : Objectives.ALL) {
            if (m.defaults() == null) continue;
            Object config = m.kind() == Objectives.Kind.REWARD_MODEL ? new RewardModelConfig()
                    : m.kind() == Objectives.Kind.ONLINE ? new OnlineConfig() : new OfflineConfig();
            assertEquals(m.defaults().get(), Objectives.create(m.name(), config), m.name() + " at its defaults");
        }
        OfflineConfig eta = new OfflineConfig();
        eta.eta = 0.1;
        UserError notTaken = assertThrows(UserError.class, () -> Objectives.create("dpo", eta));
        assertEquals("objective dpo does not take eta (its hyper-parameters: beta)", notTaken.getMessage());
        assertThrows(UserError.class, () -> Objectives.create("dpox", new OfflineConfig()));
        OfflineConfig robust = new OfflineConfig();
        robust.epsilon = 0.5;
        assertTrue(assertThrows(UserError.class, () -> Objectives.create("robust", robust)).getMessage().contains("epsilon < 0.5"));
        OfflineConfig kto = new OfflineConfig();
        kto.beta = 0.2;
        kto.undesirableWeight = 1.33;
        assertEquals(new Kto(0.2, 1.0, 1.33), Objectives.create("kto", kto));
        assertEquals(new Kto(), Objectives.create("kto", new OfflineConfig()));
        OfflineConfig gamma = new OfflineConfig();
        gamma.gamma = 0.1;
        assertEquals("objective kto does not take gamma (its hyper-parameters: beta, desirable_weight, undesirable_weight)",
                assertThrows(UserError.class, () -> Objectives.create("kto", gamma)).getMessage());
    }

    @Test
    void everyObjectiveHyperParameterIsASettingOfItsConfig() {
        // an objective's record components are its hyper-parameters; each must be settable by the config its runs read
        for (Objectives.Method m : Objectives.ALL) {
            if (m.defaults() == null) continue;
            Class<?> config = m.kind() == Objectives.Kind.REWARD_MODEL ? RewardModelConfig.class
                    : m.kind() == Objectives.Kind.ONLINE ? OnlineConfig.class : OfflineConfig.class;
            for (var component : m.parameters().getRecordComponents())
                assertTrue(io.align4j.config.Settings.find(config, component.getName()).map(e -> e.setting().hyperParameter()).orElse(false),
                        m.name() + "'s " + component.getName() + " is a hyper-parameter setting of " + config.getSimpleName());
        }
    }

    private static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }
}
