package io.align4j.task;

import io.align4j.util.Logistic;
import io.align4j.tokenizer.TextTokenizer;

/**
 * The target of {@code tinystories-happy} and its labeller:
 * <pre>
 *   π*(a|x) = π_0(a|x) · exp(r(x,a)/τ) / Z(x)
 *   P(a ≻ b | x) = σ(γ · [ln π*(a|x) − ln π*(b|x)]) = σ(γ · [ln π_0(a|x) − ln π_0(b|x) + (r(a) − r(b))/τ])
 * </pre>
 * The label needs no Z(x): it cancels within a prompt. r is the {@link HappinessJudge} of the
 * decoded response.
 */
public record KnownTarget(TextTokenizer tokenizer, HappinessJudge judge, double tau, double gamma) {

    public KnownTarget {
        if (!(tau > 0)) throw new IllegalArgumentException("tau must be > 0, was " + tau);
        if (!(gamma > 0)) throw new IllegalArgumentException("gamma must be > 0, was " + gamma);
    }

    /** Gold reward r(x, a) of response tokens. */
    public double reward(int[] response) {
        return judge.score(tokenizer.decode(response));
    }

    /** ln π_0(a|x) + r/τ = ln π*(a|x) + ln Z(x). */
    public double logTilted(double refLogProb, double reward) {
        return refLogProb + reward / tau;
    }

    /** P(a ≻ b | x) of the labeller from each response's ln π_0 and reward. */
    public double preference(double refLogProbA, double rewardA, double refLogProbB, double rewardB) {
        return Logistic.sigmoid(gamma * (logTilted(refLogProbA, rewardA) - logTilted(refLogProbB, rewardB)));
    }
}
