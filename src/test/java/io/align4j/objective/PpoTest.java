package io.align4j.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** GAE, the clipped surrogate and the clipped value loss on a two-sequence batch worked out by hand. */
class PpoTest {
    // Row 0: three response tokens, sequence reward 1; row 1: two tokens and one pad, reward 2.
    private static final double[] MASK = {1, 1, 1, 1, 1, 0};
    private static final double[] VALUES = {0.5, 0.2, 0.4, 0.1, 0.3, 9.0};

    @Test
    void terminalRewardAndGaeMatchHandComputation() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(MASK).reshape(2, 3);
            NDArray rewards = Ppo.terminalRewards(m.create(new double[] {1, 2}), mask);
            assertArrayEquals(new double[] {0, 0, 1, 0, 2, 0}, rewards.toDoubleArray(), 1e-12);

            Ppo.Advantages adv = new Ppo().gae(rewards, m.create(VALUES).reshape(2, 3), mask);
            // Row 0: δ = (−0.3, 0.2, 0.6); A2 = 0.6, A1 = 0.2 + 0.95·0.6 = 0.77, A0 = −0.3 + 0.95·0.77 = 0.4315.
            // Row 1: the pad contributes nothing: A1 = 2 − 0.3 = 1.7, A0 = 0.3 − 0.1 + 0.95·1.7 = 1.815.
            assertArrayEquals(new double[] {0.4315, 0.77, 0.6, 1.815, 1.7, 0}, adv.advantages().toDoubleArray(), 1e-12);
            assertArrayEquals(new double[] {0.9315, 0.97, 1.0, 1.915, 2.0, 0}, adv.returns().toDoubleArray(), 1e-12);
        }
    }

    @Test
    void clippedSurrogateAndClippedValueLossMatchHandComputation() {
        double[] a = {0.4315, 0.77, 0.6, 1.815, 1.7, 0};
        double[] ret = {0.9315, 0.97, 1.0, 1.915, 2.0, 0};
        double[] logRatio = {0.1, -0.3, 0.0, 0.5, 0.0, 0.0};
        double[] valueShift = {0.3, -0.1, 0.0, 0.05, -0.4, 0.0};
        // Token by token: ratios 1.105 (inside), 0.741 (clipped to 0.8 but the unclipped term is
        // the larger loss), 1, 1.649 (clipped to 1.2), 1.
        double[] policyTerms = {-a[0] * Math.exp(0.1), -a[1] * Math.exp(-0.3), -a[2], -a[3] * 1.2, -a[4]};
        // Values move by valueShift from the old ones; clipped to ±0.2 for the second term.
        double[] valueTerms = new double[5];
        for (int i = 0; i < 5; i++) {
            double v = VALUES[i] + valueShift[i];
            double vClipped = VALUES[i] + Math.max(-0.2, Math.min(0.2, valueShift[i]));
            valueTerms[i] = 0.5 * Math.max(Math.pow(v - ret[i], 2), Math.pow(vClipped - ret[i], 2));
        }
        double policy = sum(policyTerms) / 5, value = sum(valueTerms) / 5;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(MASK).reshape(2, 3);
            NDArray old = m.create(new double[] {-1, -2, -3, -1.5, -2.5, 0}).reshape(2, 3);
            NDArray lp = old.add(m.create(logRatio).reshape(2, 3));
            NDArray oldValues = m.create(VALUES).reshape(2, 3);
            NDArray values = oldValues.add(m.create(valueShift).reshape(2, 3));
            Ppo.Advantages adv = new Ppo.Advantages(m.create(a).reshape(2, 3), m.create(ret).reshape(2, 3));
            ObjectiveOutput out = new Ppo().loss(lp, old, adv, values, oldValues, mask);
            assertEquals(policy, out.value("policy_loss"), 1e-12);
            assertEquals(value, out.value("value_loss"), 1e-12);
            assertEquals(policy + 0.1 * value, out.value("loss"), 1e-12);
            assertEquals(2.0 / 5, out.value("clipfrac"), 1e-12);

            double[] oldLp = old.toDoubleArray(), oldV = VALUES;
            Function<NDArray[], NDArray> f = x -> new Ppo().loss(x[0].reshape(2, 3), x[0].getManager().create(oldLp).reshape(2, 3),
                    new Ppo.Advantages(x[0].getManager().create(a).reshape(2, 3), x[0].getManager().create(ret).reshape(2, 3)),
                    x[1].reshape(2, 3), x[0].getManager().create(oldV).reshape(2, 3), x[0].getManager().create(MASK).reshape(2, 3)).loss();
            GradientCheck.assertMatchesFiniteDifferences(m, new double[][] {lp.toDoubleArray(), values.toDoubleArray()}, f, "ppo");
        }
    }

    @Test
    void policyAndValueLossesApartMatchHandComputationAndTheirGradients() {
        double[] a = {0.4315, 0.77, 0.6, 1.815, 1.7, 0};
        double[] ret = {0.9315, 0.97, 1.0, 1.915, 2.0, 0};
        double[] old = {-1, -2, -3, -1.5, -2.5, 0};
        double[] lp = {-0.9, -2.3, -3, -1.0, -2.5, 0};
        double[] values = {0.8, 0.1, 0.4, 0.15, -0.1, 9.0};
        // ratios e^0.1, e^-0.3, 1, e^0.5 (clipped to 1.2), 1 on the five response tokens
        double policy = (-a[0] * Math.exp(0.1) - a[1] * Math.exp(-0.3) - a[2] - a[3] * 1.2 - a[4]) / 5;
        double approxKl = ((Math.exp(0.1) - 1 - 0.1) + (Math.exp(-0.3) - 1 + 0.3) + (Math.exp(0.5) - 1 - 0.5)) / 5;
        // values move by (0.3, −0.1, 0, 0.05, −0.4) from VALUES; the clipped copy moves at most 0.2
        double[] clippedValues = {0.7, 0.1, 0.4, 0.15, 0.1};
        double value = 0;
        for (int i = 0; i < 5; i++)
            value += 0.5 * Math.max(Math.pow(values[i] - ret[i], 2), Math.pow(clippedValues[i] - ret[i], 2)) / 5;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(MASK).reshape(2, 3);
            PolicyLoss.Terms terms = new PolicyLoss(0.2).of(m.create(lp).reshape(2, 3), m.create(old).reshape(2, 3),
                    m.create(a).reshape(2, 3), mask);
            assertEquals(policy, terms.loss().getDouble(), 1e-12);
            assertEquals(2.0 / 5, terms.clipFraction().getDouble(), 1e-12);
            assertEquals(approxKl, terms.approxKl().getDouble(), 1e-12);
            NDArray v = new ValueLoss(0.2).of(m.create(values).reshape(2, 3), m.create(VALUES).reshape(2, 3),
                    m.create(ret).reshape(2, 3), mask);
            assertEquals(value, v.getDouble(), 1e-12);

            GradientCheck.assertMatchesFiniteDifferences(m, new double[][] {lp}, x -> new PolicyLoss(0.2).of(x[0].reshape(2, 3),
                    x[0].getManager().create(old).reshape(2, 3), x[0].getManager().create(a).reshape(2, 3),
                    x[0].getManager().create(MASK).reshape(2, 3)).loss(), "policy loss");
            GradientCheck.assertMatchesFiniteDifferences(m, new double[][] {values}, x -> new ValueLoss(0.2).of(x[0].reshape(2, 3),
                    x[0].getManager().create(VALUES).reshape(2, 3), x[0].getManager().create(ret).reshape(2, 3),
                    x[0].getManager().create(MASK).reshape(2, 3)), "value loss");
        }
    }

    @Test
    void maskedMeanIsTheQuotientAndZeroOnAnEmptyMask() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new double[] {1, 2, 3, 4, 5, 6}).reshape(2, 3);
            assertEquals((1 + 2 + 3 + 4 + 5) / 5.0, MaskedMean.of(x, m.create(MASK).reshape(2, 3)).getDouble(), 1e-12);
            assertArrayEquals(new double[] {2, 4.5}, MaskedMean.perRow(x, m.create(MASK).reshape(2, 3)).toDoubleArray(), 1e-12);
            assertEquals(0, MaskedMean.of(x, x.zerosLike()).getDouble());
        }
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }
}
