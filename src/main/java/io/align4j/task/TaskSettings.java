package io.align4j.task;

/**
 * Every setting of a {@code tinystories-happy} build, written to {@code task.json}.
 *
 * <p>Defaults of τ and γ were measured on 8 prompts × 64 responses of stories260K (48 tokens):
 * the rms difference of ln π_0 between two responses is 17.9 nats and of r is 0.47. The
 * reward's part of the label logit is Δr/τ, so τ decides how much happiness weighs against
 * fluency, and γ only how noisy the labels are. With τ = 0.1 and γ = 0.1, 56% of the labels
 * agree with the gold reward alone and 76% with ln π_0 alone (each would be 50% by chance),
 * KL(π* ‖ π_0) ≈ 1.7 nats and importance sampling from π_0 keeps an effective sample size
 * of about 12% of its samples (7.6 of 64). A smaller τ weighs happiness more (τ = 0.05: 61% /
 * 75%) at the price of a target that 64 samples per prompt no longer estimate (ESS 3 of 64).
 *
 * @param seed              everything (prompts, responses, labels, reference pool) derives from it
 * @param trainPrompts      distinct training prompts; pair i uses prompt i mod trainPrompts
 * @param evalPrompts       distinct held-out prompts, none of them a training prompt
 * @param responseTokens    L, the exact length of every response (BOS and EOS suppressed)
 * @param tau               τ of the target π_0 · exp(r/τ)
 * @param gamma             γ of the labeller σ(γ Δ ln π*)
 * @param openingTokens     tokens sampled from BOS for each story opening before it is cut
 * @param minPromptChars    shortest target cut length of an opening, in characters
 * @param maxPromptChars    longest target cut length
 * @param referenceSamples  M, samples of π_0 per held-out prompt for ln Z and E_π* by importance sampling
 * @param batch             rows per sampler call
 */
public record TaskSettings(long seed, int trainPrompts, int evalPrompts, int responseTokens, double tau, double gamma,
                           int openingTokens, int minPromptChars, int maxPromptChars, int referenceSamples, int batch) {

    public static final String NAME = "tinystories-happy";

    public TaskSettings {
        if (trainPrompts < 1 || evalPrompts < 1) throw new IllegalArgumentException("need at least one train and one eval prompt");
        if (responseTokens < 1) throw new IllegalArgumentException("responseTokens must be >= 1, was " + responseTokens);
        if (!(tau > 0) || !(gamma > 0)) throw new IllegalArgumentException("tau and gamma must be > 0");
        if (minPromptChars < 1 || maxPromptChars < minPromptChars)
            throw new IllegalArgumentException("need 1 <= minPromptChars <= maxPromptChars");
        if (referenceSamples < 1 || batch < 1) throw new IllegalArgumentException("referenceSamples and batch must be >= 1");
    }

    public static TaskSettings defaults() {
        return new TaskSettings(1234, 2000, 200, 48, 0.1, 0.1, 32, 24, 110, 64, 64);
    }

    public TaskSettings withSeed(long s) { return new TaskSettings(s, trainPrompts, evalPrompts, responseTokens, tau, gamma, openingTokens, minPromptChars, maxPromptChars, referenceSamples, batch); }

    public TaskSettings withPrompts(int train, int eval) { return new TaskSettings(seed, train, eval, responseTokens, tau, gamma, openingTokens, minPromptChars, maxPromptChars, referenceSamples, batch); }

    public TaskSettings withTarget(double t, double g) { return new TaskSettings(seed, trainPrompts, evalPrompts, responseTokens, t, g, openingTokens, minPromptChars, maxPromptChars, referenceSamples, batch); }

    public TaskSettings withResponseTokens(int l) { return new TaskSettings(seed, trainPrompts, evalPrompts, l, tau, gamma, openingTokens, minPromptChars, maxPromptChars, referenceSamples, batch); }

    public TaskSettings withReferenceSamples(int m) { return new TaskSettings(seed, trainPrompts, evalPrompts, responseTokens, tau, gamma, openingTokens, minPromptChars, maxPromptChars, m, batch); }

    public TaskSettings withBatch(int b) { return new TaskSettings(seed, trainPrompts, evalPrompts, responseTokens, tau, gamma, openingTokens, minPromptChars, maxPromptChars, referenceSamples, b); }
}
