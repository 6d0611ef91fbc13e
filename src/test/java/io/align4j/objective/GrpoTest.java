package io.align4j.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.align4j.util.UserError;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** GRPO's advantages, its three aggregations and clipping on a three-completion group worked out by hand; gradients by finite differences. */
class GrpoTest {
    // One group of three completions with lengths 3, 2 and 1 (T = 3, right padding).
    private static final double[] MASK = {1, 1, 1, 1, 1, 0, 1, 0, 0};
    private static final double[] OLD = {-1.0, -2.0, -0.5, -1.5, -0.7, 0, -2.2, 0, 0};
    private static final double[] LOG_RATIO = {0.1, 0.3, -0.5, -0.4, 0.2, 0, 0.05, 0, 0};
    private static final double[] REF = {-1.2, -1.8, -0.4, -1.0, -0.9, 0, -2.0, 0, 0};

    @Test
    void groupAdvantagesMatchHandComputation() {
        // group 0: r = (1, 0, 0): mean 1/3, Bessel std √((4/9 + 1/9 + 1/9)/2) = √(1/3); group 1 all 0.5: std 0
        Grpo.GroupAdvantages scaled = Grpo.advantages(new double[] {1, 0, 0, 0.5, 0.5, 0.5}, 3, true);
        double std = Math.sqrt(1.0 / 3);
        assertArrayEquals(new double[] {(2.0 / 3) / (std + 1e-4), (-1.0 / 3) / (std + 1e-4), (-1.0 / 3) / (std + 1e-4), 0, 0, 0},
                scaled.advantages(), 1e-12);
        assertArrayEquals(new boolean[] {false, true}, scaled.zeroStd());
        assertEquals(0.5, scaled.fractionZeroStd());
        Grpo.GroupAdvantages plain = Grpo.advantages(new double[] {1, 0, 0, 0.5, 0.5, 0.5}, 3, false);
        assertArrayEquals(new double[] {2.0 / 3, -1.0 / 3, -1.0 / 3, 0, 0, 0}, plain.advantages(), 1e-12);
    }

    /**
     * Advantages (0.9, −0.6, −0.3). Token by token, ε_low = 0.2, ε_high = 0.2 (0.28 for dapo):
     * row 0 (A > 0): ρ = e^0.1 inside; e^0.3 = 1.350 clipped to 1.2 (1.28) and clipped counts as high;
     * e^−0.5 = 0.607: min(ρA, 0.8A) = ρA, not clipped (A > 0 is clipped only above).
     * row 1 (A < 0): e^−0.4 = 0.670: min(ρA, 0.8A) = 0.8A, clipped low; e^0.2 = 1.221: min picks ρA.
     * row 2 (A < 0): e^0.05 inside.
     */
    @Test
    void threeLossTypesMatchHandComputation() {
        double[] adv = {0.9, -0.6, -0.3};
        double[][] terms = new double[3][];
        terms[0] = new double[] {-0.9 * Math.exp(0.1), -0.9 * 1.2, -0.9 * Math.exp(-0.5)};
        terms[1] = new double[] {0.6 * 0.8, 0.6 * Math.exp(0.2)};
        terms[2] = new double[] {0.3 * Math.exp(0.05)};
        double grpo = (sum(terms[0]) / 3 + sum(terms[1]) / 2 + sum(terms[2])) / 3;
        double drGrpo = (sum(terms[0]) + sum(terms[1]) + sum(terms[2])) / (3 * 4.0);
        double dapoRow0 = -0.9 * Math.exp(0.1) - 0.9 * 1.28 - 0.9 * Math.exp(-0.5);
        double dapo = (dapoRow0 + sum(terms[1]) + sum(terms[2])) / 5.0; // N = 5: a rollout of 10 tokens in two updates

        try (NDManager m = NDManager.newBaseManager()) {
            ObjectiveOutput g = run(m, new Grpo(Grpo.LossType.GRPO, 0.2, 0.2, 0, 4), adv, 0);
            assertEquals(grpo, g.value("loss"), 1e-12);
            assertEquals(1.0 / 6, g.value("clip_ratio/high_mean"), 1e-12);
            assertEquals(1.0 / 6, g.value("clip_ratio/low_mean"), 1e-12);
            assertEquals(2.0 / 6, g.value("clip_ratio/region_mean"), 1e-12);
            assertEquals(drGrpo, run(m, new Grpo(Grpo.LossType.DR_GRPO, 0.2, 0.2, 0, 4), adv, 0).value("loss"), 1e-12);
            ObjectiveOutput d = run(m, new Grpo(Grpo.LossType.DAPO, 0.2, 0.28, 0, 4), adv, 5);
            assertEquals(dapo, d.value("loss"), 1e-12);
            assertEquals(1.0 / 6, d.value("clip_ratio/high_mean"), 1e-12);
        }
    }

    /** β = 0.1 adds 0.1 · (e^d − d − 1), d = ln π_0 − ln π_θ, to every token before the sequence means. */
    @Test
    void klTermIsTheK3EstimatorOnEveryToken() {
        double[] adv = {0.9, -0.6, -0.3};
        double[] k3 = new double[9];
        double klSum = 0;
        for (int i = 0; i < 9; i++) {
            if (MASK[i] == 0) continue;
            double d = REF[i] - (OLD[i] + LOG_RATIO[i]);
            k3[i] = Math.exp(d) - d - 1;
            klSum += k3[i];
        }
        double[][] terms = {{-0.9 * Math.exp(0.1), -0.9 * 1.2, -0.9 * Math.exp(-0.5)}, {0.6 * 0.8, 0.6 * Math.exp(0.2)}, {0.3 * Math.exp(0.05)}};
        double expected = ((sum(terms[0]) + 0.1 * (k3[0] + k3[1] + k3[2])) / 3 + (sum(terms[1]) + 0.1 * (k3[3] + k3[4])) / 2
                + terms[2][0] + 0.1 * k3[6]) / 3;
        try (NDManager m = NDManager.newBaseManager()) {
            ObjectiveOutput o = run(m, new Grpo(Grpo.LossType.GRPO, 0.2, 0.2, 0.1, 4), adv, 0);
            assertEquals(expected, o.value("loss"), 1e-12);
            assertEquals(klSum / 6, o.value("kl"), 1e-12);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesForEveryLossType() {
        double[] adv = {0.9, -0.6, -0.3};
        double[] logProbs = new double[9];
        for (int i = 0; i < 9; i++) logProbs[i] = (OLD[i] + LOG_RATIO[i]) * MASK[i];
        try (NDManager m = NDManager.newBaseManager()) {
            for (Grpo grpo : new Grpo[] {new Grpo(Grpo.LossType.GRPO, 0.2, 0.2, 0.1, 4), new Grpo(Grpo.LossType.DR_GRPO, 0.2, 0.2, 0, 4),
                    new Grpo(Grpo.LossType.DAPO, 0.2, 0.28, 0.05, 4)}) {
                Function<NDArray[], NDArray> f = x -> {
                    NDManager xm = x[0].getManager();
                    return grpo.loss(x[0].reshape(3, 3), xm.create(OLD).reshape(3, 3), xm.create(REF).reshape(3, 3), xm.create(adv),
                            xm.create(MASK).reshape(3, 3), 5).loss();
                };
                GradientCheck.assertMatchesFiniteDifferences(m, new double[][] {logProbs}, f, grpo.lossType().toString());
            }
        }
    }

    @Test
    void unknownLossTypeAndBadClippingAreUserErrors() {
        assertThrows(UserError.class, () -> Grpo.LossType.parse("ppo"));
        assertThrows(UserError.class, () -> new Grpo(Grpo.LossType.DAPO, 1.5, 0.2, 0, 4));
        assertEquals(Grpo.LossType.DR_GRPO, Grpo.LossType.parse("DR_GRPO"));
    }

    private static ObjectiveOutput run(NDManager m, Grpo grpo, double[] adv, double dapoNormaliser) {
        NDArray old = m.create(OLD).reshape(3, 3);
        NDArray mask = m.create(MASK).reshape(3, 3);
        NDArray lp = old.add(m.create(LOG_RATIO).reshape(3, 3)).mul(mask);
        return grpo.loss(lp, old, m.create(REF).reshape(3, 3), m.create(adv), mask, dapoNormaliser);
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }
}
