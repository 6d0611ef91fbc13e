package io.align4j.generate;

/**
 * How to pick each new token. Order of the transformations, as in Hugging Face
 * {@code generate}: suppressed ids get logit −∞, logits are divided by the temperature, then
 * top-k keeps the k most likely tokens and top-p the smallest prefix (by falling probability)
 * whose mass reaches p; the draw is from what is left, renormalised.
 *
 * @param temperature  0 for greedy (argmax, first index on ties), else the softmax temperature
 * @param topK         keep the k most likely tokens; 0 keeps all
 * @param topP         nucleus mass in (0, 1]; 1 keeps all
 * @param maxNewTokens most tokens generated per prompt
 * @param stopIds      a generated token among these ends its row (it is kept in the result)
 * @param suppressIds  never generated (for example BOS and EOS for fixed-length responses)
 * @param seed         row r draws from its own generator seeded by (seed, r), so a prompt's
 *                     sample does not depend on the other rows of the batch
 */
public record SamplingConfig(double temperature, int topK, double topP, int maxNewTokens,
                             int[] stopIds, int[] suppressIds, long seed) implements java.io.Serializable {

    public SamplingConfig {
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, was " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, was " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], was " + topP);
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0, was " + maxNewTokens);
        stopIds = stopIds == null ? new int[0] : stopIds.clone();
        suppressIds = suppressIds == null ? new int[0] : suppressIds.clone();
    }

    /** Greedy decoding of up to {@code maxNewTokens}, stopping at {@code stopIds}. */
    public static SamplingConfig greedy(int maxNewTokens, int... stopIds) {
        return new SamplingConfig(0, 0, 1, maxNewTokens, stopIds, new int[0], 0);
    }

    /** Ancestral sampling at {@code temperature} with the given seed, no truncation. */
    public static SamplingConfig sampling(double temperature, int maxNewTokens, long seed, int... stopIds) {
        return new SamplingConfig(temperature, 0, 1, maxNewTokens, stopIds, new int[0], seed);
    }

    public SamplingConfig withTopK(int k) { return new SamplingConfig(temperature, k, topP, maxNewTokens, stopIds, suppressIds, seed); }

    public SamplingConfig withTopP(double p) { return new SamplingConfig(temperature, topK, p, maxNewTokens, stopIds, suppressIds, seed); }

    public SamplingConfig withSeed(long s) { return new SamplingConfig(temperature, topK, topP, maxNewTokens, stopIds, suppressIds, s); }

    public SamplingConfig withSuppressIds(int... ids) { return new SamplingConfig(temperature, topK, topP, maxNewTokens, stopIds, ids, seed); }
}
