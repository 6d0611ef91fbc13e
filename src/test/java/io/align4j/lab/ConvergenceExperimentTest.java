package io.align4j.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The acceptance criteria of `lab convergence` at σ = 1.0, on the quick size with its fixed seed. */
class ConvergenceExperimentTest {
    @Test
    void distributionLearnersConvergeAtRateOneOverNAndRlhfPlateaus() {
        ConvergenceExperiment.Config c = ConvergenceExperiment.Config.quick();
        ConvergenceExperiment.Result r;
        try (NDManager m = NDManager.newBaseManager()) {
            r = ConvergenceExperiment.run(m, c);
        }
        System.out.print(r.summary());
        long max = 1L << c.log2MaxN();
        for (String method : new String[] {"PMLE", "PD", "RKL"}) {
            double slope = r.slope(1.0, method, 1L << 12, max);
            assertTrue(slope >= -1.25 && slope <= -0.75, method + " slope over n >= 2^12 is " + slope);
        }
        long n16 = 1L << 16;
        double ratio = r.median(1.0, "RLHF", n16) / r.median(1.0, "RKL", n16);
        assertTrue(ratio >= 5, "RLHF error at 2^16 is only " + ratio + " x RKL's");
        double rlhfTail = r.slope(1.0, "RLHF", max / 4, max);
        assertTrue(rlhfTail > -0.3, "RLHF slope over the last three n is " + rlhfTail);
        assertTrue(r.closedFormGap() < 1e-6, "autograd fits are " + r.closedFormGap() + " from their closed forms in TV");
        // Small samples can separate a response (it never loses), and then its maximum-likelihood
        // logit is infinite; at the largest n every fit must have converged.
        assertTrue(r.largestUnconvergedN() < max, "a fit at n = " + r.largestUnconvergedN() + " did not converge");
    }
}
