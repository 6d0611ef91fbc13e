package io.align4j.eval;

/**
 * A distribution over responses known up to its normaliser through π_0 and a reward r:
 * <pre>
 *   π(a|x) = π_0(a|x)^refPower · exp(rewardScale · r(x,a)) / Z(x)
 * </pre>
 * The target of {@code tinystories-happy} is {@code (1, 1/τ)}; the population optimum of DPO,
 * RLHF, RKL, PMLE and PD under that task's labeller is another member of this family (see
 * {@code quickstart.PredictedOptimum}), which is what lets the evaluation measure how far a trained
 * policy is from the distribution its method should reach.
 *
 * @param name        how reports call it ({@code "target"}, {@code "optimum"})
 * @param refPower    a, the power of π_0
 * @param rewardScale b, the weight of r in the exponent
 * @param formula     the distribution in words, e.g. {@code "π_0·π*^(γ/β), γ/β = 1"}
 */
public record Tilt(String name, double refPower, double rewardScale, String formula) {

    public Tilt {
        if (!Double.isFinite(refPower) || !Double.isFinite(rewardScale))
            throw new IllegalArgumentException("tilt " + name + " needs finite a and b, was " + refPower + ", " + rewardScale);
    }

    /** π* ∝ π_0 · exp(r/τ), the task's target. */
    public static Tilt target(double tau) {
        return new Tilt("target", 1, 1 / tau, "π* ∝ π_0·exp(r/τ)");
    }

    /** ln of the unnormalised density, a·ln π_0 + b·r. */
    public double logUnnormalised(double refLogProb, double reward) {
        return refPower * refLogProb + rewardScale * reward;
    }

    /** The same for every sample of every prompt. */
    public double[][] logUnnormalised(double[][] refLogProbs, double[][] rewards) {
        double[][] out = new double[refLogProbs.length][];
        for (int p = 0; p < out.length; p++) {
            out[p] = new double[refLogProbs[p].length];
            for (int j = 0; j < out[p].length; j++) out[p][j] = logUnnormalised(refLogProbs[p][j], rewards[p][j]);
        }
        return out;
    }
}
