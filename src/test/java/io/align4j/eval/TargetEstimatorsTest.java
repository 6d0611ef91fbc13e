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
            logZ[p] = TargetEstimators.logSumExp(tilted);
            targetLogp[p] = new double[RESPONSES];
            for (int a = 0; a < RESPONSES; a++) targetLogp[p][a] = tilted[a] - logZ[p];
        }
    }

    @Test
    void pooledEstimatesMatchExactKlsAndNormalisers() {
        Tilt target = Tilt.target(TAU), sharp = new Tilt("optimum", 3, 2 / TAU, "π_0·π*²");
        int[][] fromRef = draw(refLogp), fromPolicy = draw(policyLogp);
        PooledSamples pooled = PooledSamples.pool(gather(refLogp, fromRef), gather(policyLogp, fromRef), gather(reward, fromRef),
                gather(refLogp, fromPolicy), gather(policyLogp, fromPolicy), gather(reward, fromPolicy));
        for (Tilt tilt : List.of(target, sharp)) {
            double[][] exact = tiltLogp(tilt);
            double exactReverse = 0, exactForward = 0;
            PooledSamples.Distances d = pooled.distances(tilt);
            for (int p = 0; p < PROMPTS; p++) {
                exactReverse += kl(policyLogp[p], exact[p]) / PROMPTS;
                exactForward += kl(exact[p], policyLogp[p]) / PROMPTS;
                assertEquals(logZ(tilt, p), d.logZ()[p], 0.02, tilt.name() + ": ln Z of prompt " + p);
            }
            assertEquals(exactReverse, d.reverseKl().mean(), 0.03, tilt.name() + " reverse");
            assertEquals(exactForward, d.forwardKl().mean(), 0.03, tilt.name() + " forward");
            assertTrue(d.ess().mean() > 0.1 * SAMPLES && d.ess().mean() <= 2 * SAMPLES, tilt.name() + " ess " + d.ess());
        }
        int[][] a = draw(policyLogp), b = draw(refLogp);
        assertEquals(meanKl(policyLogp, refLogp), TargetEstimators.klToReference(gather(policyLogp, a), gather(refLogp, a)).mean(), 0.02);
        assertEquals(0, TargetEstimators.klToReference(gather(refLogp, b), gather(refLogp, b)).mean(), 0);
    }

    /**
     * A policy at a sharp tilt of π_0: π_0's samples alone hardly see it (small effective sample
     * size), pooled with the policy's own they estimate both distances (zero) precisely.
     */
    @Test
    void poolingThePolicysSamplesRescuesATiltFarFromPi0() {
        Tilt sharp = new Tilt("optimum", 6, 4 / TAU, "π_0·π*^5");
        double[][] sharpLogp = tiltLogp(sharp);
        int samples = 64;
        int[][] fromRef = draw(refLogp, samples), fromPolicy = draw(sharpLogp, samples);
        double[][] none = new double[PROMPTS][0];
        PooledSamples refOnly = PooledSamples.pool(gather(refLogp, fromRef), gather(sharpLogp, fromRef), gather(reward, fromRef), none, none, none);
        PooledSamples both = PooledSamples.pool(gather(refLogp, fromRef), gather(sharpLogp, fromRef), gather(reward, fromRef),
                gather(refLogp, fromPolicy), gather(sharpLogp, fromPolicy), gather(reward, fromPolicy));
        PooledSamples.Distances alone = refOnly.distances(sharp), pooled = both.distances(sharp);
        assertTrue(Double.isNaN(alone.reverseKl().mean()), "no samples of the policy, no reverse KL");
        assertTrue(pooled.ess().mean() > 3 * alone.ess().mean(), "ess pooled " + pooled.ess() + " vs π_0 alone " + alone.ess());
        // both are ln Z − ln Ẑ here (π̂ is the tilt); 128 samples put ln Ẑ within a few hundredths
        assertEquals(0, pooled.forwardKl().mean(), 0.1);
        assertEquals(0, pooled.reverseKl().mean(), 0.1);
        assertTrue(pooled.forwardKl().stderr() < 0.5 * alone.forwardKl().stderr(),
                "forward KL pooled " + pooled.forwardKl() + " vs π_0 alone " + alone.forwardKl());
    }

    /**
     * A tilt π_0^a·e^{b·r} far from π_0 and from π̂: π_0 at temperature 1/a as a third proposal
     * raises the effective sample size, and the KLs still match enumeration.
     */
    @Test
    void temperedReferenceAsAThirdProposalForATiltFarFromBoth() {
        Tilt sharp = new Tilt("optimum", 4, 1 / TAU, "π_0^3·π*");
        double[][] tempered = new double[PROMPTS][RESPONSES], exact = tiltLogp(sharp);
        for (int p = 0; p < PROMPTS; p++) {
            double[] scaled = new double[RESPONSES];
            for (int a = 0; a < RESPONSES; a++) scaled[a] = sharp.refPower() * refLogp[p][a];
            tempered[p] = logSoftmax(scaled);
        }
        int samples = 64;
        int[][] fromRef = draw(refLogp, samples), fromPolicy = draw(policyLogp, samples), fromTempered = draw(tempered, samples);
        PooledSamples.Draws ref = new PooledSamples.Draws(gather(refLogp, fromRef), gather(policyLogp, fromRef), gather(reward, fromRef),
                gather(tempered, fromRef));
        PooledSamples.Draws own = new PooledSamples.Draws(gather(refLogp, fromPolicy), gather(policyLogp, fromPolicy), gather(reward, fromPolicy),
                gather(tempered, fromPolicy));
        PooledSamples.Draws hot = new PooledSamples.Draws(gather(refLogp, fromTempered), gather(policyLogp, fromTempered),
                gather(reward, fromTempered), gather(tempered, fromTempered));
        PooledSamples.Distances two = PooledSamples.pool(ref, own, null).distances(sharp), three = PooledSamples.pool(ref, own, hot).distances(sharp);
        assertTrue(three.ess().mean() > 1.5 * two.ess().mean(), "ess with tempered π_0 " + three.ess() + " vs without " + two.ess());
        double exactForward = 0, exactReverse = 0;
        for (int p = 0; p < PROMPTS; p++) {
            exactForward += kl(exact[p], policyLogp[p]) / PROMPTS;
            exactReverse += kl(policyLogp[p], exact[p]) / PROMPTS;
        }
        // within two standard errors across the 4 prompts (the reverse averages only π̂'s own 64 samples)
        assertTrue(three.forwardKl().covers(exactForward, 2), "forward " + three.forwardKl() + " vs exact " + exactForward);
        assertTrue(three.reverseKl().covers(exactReverse, 2), "reverse " + three.reverseKl() + " vs exact " + exactReverse);
    }

    @Test
    void referencePolicyGivesTheClosedForms() {
        int[][] fromRef = draw(refLogp), own = draw(refLogp);
        double[][] r = gather(reward, fromRef), lp = gather(refLogp, fromRef), rOwn = gather(reward, own), lpOwn = gather(refLogp, own);
        PooledSamples.Distances d = PooledSamples.pool(lp, lp, r, lpOwn, lpOwn, rOwn).distances(Tilt.target(TAU));
        // π̂ = π_0: the mixture is π_0, w ∝ e^{r/τ} over all pooled samples, and
        // reverse = ln Ẑ − E_π0[r]/τ on π̂'s samples, forward = Σ w r/τ − ln Ẑ
        double reverse = 0, forward = 0;
        for (int p = 0; p < PROMPTS; p++) {
            double[] pooledR = new double[2 * SAMPLES];
            System.arraycopy(r[p], 0, pooledR, 0, SAMPLES);
            System.arraycopy(rOwn[p], 0, pooledR, SAMPLES, SAMPLES);
            double meanOwnR = 0, targetR = 0, lse = 0;
            for (double x : rOwn[p]) meanOwnR += x / SAMPLES;
            double[] scaled = new double[pooledR.length];
            for (int j = 0; j < scaled.length; j++) scaled[j] = pooledR[j] / TAU;
            lse = TargetEstimators.logMeanExp(scaled);
            assertEquals(lse, d.logZ()[p], 1e-9);
            for (int j = 0; j < pooledR.length; j++) targetR += d.weights()[p][j] * pooledR[j];
            reverse += (lse - meanOwnR / TAU) / PROMPTS;
            forward += (targetR / TAU - lse) / PROMPTS;
        }
        assertEquals(reverse, d.reverseKl().mean(), 1e-9);
        assertEquals(forward, d.forwardKl().mean(), 1e-9);
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
        return draw(logp, SAMPLES);
    }

    private int[][] draw(double[][] logp, int samples) {
        int[][] out = new int[PROMPTS][samples];
        for (int p = 0; p < PROMPTS; p++)
            for (int s = 0; s < samples; s++) {
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

    /** ln Z(x) of a tilt, by enumeration. */
    private double logZ(Tilt tilt, int p) {
        double[] u = new double[RESPONSES];
        for (int a = 0; a < RESPONSES; a++) u[a] = tilt.logUnnormalised(refLogp[p][a], reward[p][a]);
        return TargetEstimators.logSumExp(u);
    }

    /** ln of a tilt's normalised probabilities, by enumeration. */
    private double[][] tiltLogp(Tilt tilt) {
        double[][] out = new double[PROMPTS][RESPONSES];
        for (int p = 0; p < PROMPTS; p++)
            for (int a = 0; a < RESPONSES; a++) out[p][a] = tilt.logUnnormalised(refLogp[p][a], reward[p][a]) - logZ(tilt, p);
        return out;
    }

    private static double meanKl(double[][] logp, double[][] logq) {
        double s = 0;
        for (int p = 0; p < logp.length; p++) s += kl(logp[p], logq[p]) / logp.length;
        return s;
    }

    private static double kl(double[] logp, double[] logq) {
        double s = 0;
        for (int i = 0; i < logp.length; i++) s += Math.exp(logp[i]) * (logp[i] - logq[i]);
        return s;
    }

    private static double[] logSoftmax(double[] x) {
        double lse = TargetEstimators.logSumExp(x);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - lse;
        return out;
    }
}
