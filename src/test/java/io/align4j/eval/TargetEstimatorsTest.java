package io.align4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The estimators on categorical policies over six responses, where every KL is known exactly.
 */
class TargetEstimatorsTest {
    static final int PROMPTS = 4, RESPONSES = 6, SAMPLES = 40_000;
    static final double TAU = 0.5, GAMMA = 0.7;

    final Random rng = new Random(7);
    final double[][] refLogp = new double[PROMPTS][], policyLogp = new double[PROMPTS][],
            targetLogp = new double[PROMPTS][], reward = new double[PROMPTS][];
    final double[] logZ = new double[PROMPTS];

    TargetEstimatorsTest() {
        for (int p = 0; p < PROMPTS; p++) {
            refLogp[p] = logSoftmax(gaussian(1.0));
            policyLogp[p] = logSoftmax(gaussian(1.0));
            reward[p] = new double[RESPONSES];
            for (int a = 0; a < RESPONSES; a++) reward[p][a] = 2 * rng.nextDouble() - 1;
            double[] tilted = new double[RESPONSES];
            for (int a = 0; a < RESPONSES; a++) tilted[a] = refLogp[p][a] + reward[p][a] / TAU;
            logZ[p] = logSumExp(tilted);
            targetLogp[p] = new double[RESPONSES];
            for (int a = 0; a < RESPONSES; a++) targetLogp[p][a] = tilted[a] - logZ[p];
        }
    }

    @Test
    void reverseAndForwardKlMatchExactValues() {
        int[][] fromRef = draw(refLogp), fromPolicy = draw(policyLogp);
        double[][] rRef = gather(reward, fromRef), lpRef = gather(refLogp, fromRef), lpPolOnRef = gather(policyLogp, fromRef);
        double[][] lpPol = gather(policyLogp, fromPolicy), lpRefOnPol = gather(refLogp, fromPolicy), rPol = gather(reward, fromPolicy);
        double[] logZHat = TargetEstimators.logPartition(rRef, TAU);
        double[][] w = TargetEstimators.targetWeights(rRef, TAU);

        double exactReverse = 0, exactForward = 0, exactRef = 0;
        for (int p = 0; p < PROMPTS; p++) {
            exactReverse += kl(policyLogp[p], targetLogp[p]) / PROMPTS;
            exactForward += kl(targetLogp[p], policyLogp[p]) / PROMPTS;
            exactRef += kl(policyLogp[p], refLogp[p]) / PROMPTS;
            assertEquals(logZ[p], logZHat[p], 0.02, "ln Z of prompt " + p);
        }
        assertEquals(exactRef, TargetEstimators.klToReference(lpPol, lpRefOnPol).mean(), 0.02);
        assertEquals(exactReverse, TargetEstimators.reverseKl(lpPol, lpRefOnPol, rPol, TAU, logZHat).mean(), 0.03);
        assertEquals(exactForward, TargetEstimators.forwardKl(lpRef, rRef, lpPolOnRef, w, TAU, logZHat).mean(), 0.03);
        for (double ess : TargetEstimators.effectiveSampleSize(w)) assertTrue(ess > 0.1 * SAMPLES && ess <= SAMPLES);
    }

    @Test
    void referencePolicyGivesTheClosedForms() {
        int[][] fromRef = draw(refLogp);
        double[][] r = gather(reward, fromRef), lp = gather(refLogp, fromRef);
        double[] logZHat = TargetEstimators.logPartition(r, TAU);
        double[][] w = TargetEstimators.targetWeights(r, TAU);
        assertEquals(0.0, TargetEstimators.klToReference(lp, lp).mean(), 0);
        // reverse: ln Z − E_π0[r]/τ ; forward: E_π*[r]/τ − ln Z, on the same samples exactly
        double reverse = 0, forward = 0;
        for (int p = 0; p < PROMPTS; p++) {
            double meanR = 0, targetR = 0;
            for (int j = 0; j < SAMPLES; j++) {
                meanR += r[p][j] / SAMPLES;
                targetR += w[p][j] * r[p][j];
            }
            reverse += (logZHat[p] - meanR / TAU) / PROMPTS;
            forward += (targetR / TAU - logZHat[p]) / PROMPTS;
        }
        assertEquals(reverse, TargetEstimators.reverseKl(lp, lp, r, TAU, logZHat).mean(), 1e-9);
        assertEquals(forward, TargetEstimators.forwardKl(lp, r, lp, w, TAU, logZHat).mean(), 1e-9);
    }

    @Test
    void winRateMatchesExactExpectation() {
        int[][] a = draw(policyLogp), b = draw(refLogp);
        Estimate win = TargetEstimators.winRate(gather(refLogp, a), gather(reward, a), gather(refLogp, b), gather(reward, b), TAU, GAMMA);
        double exact = 0;
        for (int p = 0; p < PROMPTS; p++)
            for (int i = 0; i < RESPONSES; i++)
                for (int j = 0; j < RESPONSES; j++)
                    exact += Math.exp(policyLogp[p][i] + refLogp[p][j])
                            * io.align4j.util.Logistic.sigmoid(GAMMA * (targetLogp[p][i] - targetLogp[p][j])) / PROMPTS;
        assertEquals(exact, win.mean(), 0.01);
        // The base policy against itself wins half the time.
        int[][] c = draw(refLogp);
        assertEquals(0.5, TargetEstimators.winRate(gather(refLogp, c), gather(reward, c), gather(refLogp, b), gather(reward, b), TAU, GAMMA).mean(), 0.01);
    }

    @Test
    void estimateAndDiversity() {
        Estimate e = Estimate.of(new double[] {1, 2, 3, 4});
        assertEquals(2.5, e.mean(), 0);
        assertEquals(Math.sqrt(5.0 / 3 / 4), e.stderr(), 1e-15);
        assertEquals(1.0, Diversity.distinctN(List.of(new int[] {1, 2, 3}, new int[] {4, 5}), 2), 0);
        // bigrams (1,1) x3 and (1,2): 2 distinct of 4
        assertEquals(0.5, Diversity.distinctN(List.of(new int[] {1, 1, 1, 1, 2}), 2), 0);
    }

    private double[] gaussian(double sd) {
        double[] x = new double[RESPONSES];
        for (int i = 0; i < x.length; i++) x[i] = sd * rng.nextGaussian();
        return x;
    }

    private int[][] draw(double[][] logp) {
        int[][] out = new int[PROMPTS][SAMPLES];
        for (int p = 0; p < PROMPTS; p++)
            for (int s = 0; s < SAMPLES; s++) {
                double u = rng.nextDouble(), c = 0;
                int a = 0;
                while (a < RESPONSES - 1 && (c += Math.exp(logp[p][a])) < u) a++;
                out[p][s] = a;
            }
        return out;
    }

    private static double[][] gather(double[][] table, int[][] idx) {
        double[][] out = new double[idx.length][];
        for (int p = 0; p < idx.length; p++) {
            out[p] = new double[idx[p].length];
            for (int s = 0; s < idx[p].length; s++) out[p][s] = table[p][idx[p][s]];
        }
        return out;
    }

    private static double kl(double[] logp, double[] logq) {
        double s = 0;
        for (int i = 0; i < logp.length; i++) s += Math.exp(logp[i]) * (logp[i] - logq[i]);
        return s;
    }

    private static double logSumExp(double[] x) {
        return TargetEstimators.logMeanExp(x) + Math.log(x.length);
    }

    private static double[] logSoftmax(double[] x) {
        double lse = logSumExp(x);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - lse;
        return out;
    }
}
