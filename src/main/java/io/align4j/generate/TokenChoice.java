package io.align4j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits per a {@link SamplingConfig}, in Java and in
 * float64, for both the engine sampler and the {@link JavaDecoder}: the two paths then share
 * every decision after the forward, so equal logits give equal tokens for equal seeds.
 *
 * <p>With temperature τ &gt; 0 and the suppressed ids removed,
 * {@code p_i = exp((l_i − max l)/τ) / Σ_j exp((l_j − max l)/τ)}. Tokens are ranked by falling
 * logit, ties by rising id. Top-k keeps the first k; top-p then keeps the shortest prefix whose
 * mass reaches p times the mass kept so far. A draw {@code u ~ U[0, mass)} picks the first kept
 * token whose cumulative probability exceeds u. Without truncation the cumulative runs in id
 * order and no ranking is needed.
 *
 * <p>Top-p alone never ranks the whole vocabulary: a token with {@code p_i < (1 − p)/(n − 1)}
 * cannot be in the nucleus (all such tokens together hold less than 1 − p), the bound llama2.c
 * uses. One instance holds scratch arrays and belongs to one thread.
 */
final class TokenChoice {
    /** Keeps a margin below the exact nucleus bound so rounding never drops a nucleus token. */
    private static final double NUCLEUS_BOUND_MARGIN = 0.5;

    private final SamplingConfig config;
    private final int vocab;
    private final boolean[] suppressed;
    private final double[] probs;
    /** Ranking keys: sortable logit bits in the high word, (2³² − 1 − id) in the low word. */
    private final long[] ranked;
    /** Scratch of {@link #sortFalling}. */
    private final long[] sortScratch;
    /**
     * Whether the last {@link #choose} left max l in {@link #lastMax} and Σ exp(l_j − max l) in
     * {@link #lastNormaliser}: at temperature 1 with nothing suppressed its softmax is the raw one.
     */
    private boolean normaliserKept;
    private double lastMax, lastNormaliser;

    TokenChoice(SamplingConfig config, int vocab) {
        this.config = config;
        this.vocab = vocab;
        this.suppressed = new boolean[vocab];
        for (int id : config.suppressIds()) suppressed[id] = true;
        this.probs = new double[vocab];
        this.ranked = new long[vocab];
        this.sortScratch = new long[vocab];
    }

    /**
     * ln softmax(l)[token] over the raw logits (no temperature, truncation or suppression):
     * {@code l_token − max l − ln Σ_j exp(l_j − max l)}.
     */
    static double logProb(double[] logits, int offset, int vocab, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i] - max);
        return logits[offset + token] - max - Math.log(sum);
    }

    /**
     * {@link #logProb} of the token the last {@link #choose} returned from the same logits. When
     * that choice already summed the raw softmax (temperature 1, nothing suppressed: the same
     * exponentials added in the same order) it reuses the sum, halving the exponentials per
     * token; the result is bitwise that of {@link #logProb}.
     */
    double logProbOfChoice(double[] logits, int offset, int token) {
        if (!normaliserKept) return logProb(logits, offset, vocab, token);
        return logits[offset + token] - lastMax - Math.log(lastNormaliser);
    }

    /** The next token from {@code logits[offset, offset + vocab)}; draws once from {@code random} unless greedy. */
    int choose(double[] logits, int offset, SplittableRandom random) {
        normaliserKept = false;
        if (config.temperature() == 0) return argMax(logits, offset);
        double max = Double.NEGATIVE_INFINITY;
        int allowed = 0;
        for (int i = 0; i < vocab; i++) {
            if (suppressed[i]) continue;
            max = Math.max(max, logits[offset + i]);
            allowed++;
        }
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            probs[i] = suppressed[i] ? 0 : Math.exp((logits[offset + i] - max) / config.temperature());
            z += probs[i];
        }
        normaliserKept = config.temperature() == 1 && config.suppressIds().length == 0;
        lastMax = max;
        lastNormaliser = z;
        for (int i = 0; i < vocab; i++) probs[i] /= z;
        if (config.topK() == 0 && config.topP() == 1) return drawInIdOrder(random);

        int candidates;
        double mass;
        if (config.topK() > 0) {
            candidates = topK(logits, offset, Math.min(config.topK(), allowed));
            mass = 0;
            for (int j = 0; j < candidates; j++) mass += probs[id(ranked[j])];
        } else {
            double bound = allowed > 1 ? NUCLEUS_BOUND_MARGIN * (1 - config.topP()) / (allowed - 1) : 0;
            candidates = 0;
            mass = 0;
            for (int i = 0; i < vocab; i++) {
                mass += probs[i];
                if (!suppressed[i] && probs[i] >= bound) ranked[candidates++] = key(logits[offset + i], i);
            }
            sortFalling(ranked, candidates, sortScratch);
        }
        int kept = candidates;
        if (config.topP() < 1) {
            double cumulative = 0;
            int j = 0;
            while (j < kept && cumulative < config.topP() * mass) cumulative += probs[id(ranked[j++])];
            kept = Math.max(j, 1);
            mass = cumulative > 0 ? cumulative : probs[id(ranked[0])];
        }
        double u = random.nextDouble() * mass, cumulative = 0;
        for (int j = 0; j < kept; j++) {
            cumulative += probs[id(ranked[j])];
            if (u < cumulative) return id(ranked[j]);
        }
        return id(ranked[kept - 1]);
    }

    private int argMax(double[] logits, int offset) {
        int best = -1;
        for (int i = 0; i < vocab; i++)
            if (!suppressed[i] && (best < 0 || logits[offset + i] > logits[offset + best])) best = i;
        return best;
    }

    private int drawInIdOrder(SplittableRandom random) {
        double mass = 0;
        for (int i = 0; i < vocab; i++) mass += probs[i];
        double u = random.nextDouble() * mass, cumulative = 0;
        for (int i = 0; i < vocab; i++) {
            cumulative += probs[i];
            if (u < cumulative) return i;
        }
        return vocab - 1;
    }

    /** The k highest-ranked allowed ids into {@code ranked[0, k)}, best first (insertion into a sorted prefix). */
    private int topK(double[] logits, int offset, int k) {
        int size = 0;
        for (int i = 0; i < vocab; i++) {
            if (suppressed[i]) continue;
            long key = key(logits[offset + i], i);
            if (size == k && key <= ranked[k - 1]) continue;
            int j = size == k ? k - 1 : size++;
            while (j > 0 && ranked[j - 1] < key) {
                ranked[j] = ranked[j - 1];
                j--;
            }
            ranked[j] = key;
        }
        return size;
    }

    /**
     * Orders by logit, then by falling id. Logits are compared as float32, the precision both
     * paths compute them in, so a float64 model's logits closer than that rank by id.
     */
    private static long key(double logit, int id) {
        int bits = Float.floatToIntBits((float) logit);
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        return ((long) sortable << 32) | (0xFFFFFFFFL - id);
    }

    private static int id(long key) { return (int) (0xFFFFFFFFL - (key & 0xFFFFFFFFL)); }

    /**
     * {@code keys[0, n)}, distinct {@link #key}s entered in rising id, into falling order: the
     * order of {@code Arrays.sort} then reversal (keys are distinct, so the order is unique),
     * by a stable radix sort on the logit word alone, four passes of a byte, since keys of equal
     * logit already stand in rising id, which is falling key. A nearly flat distribution (a
     * random model's) keeps most of the vocabulary in the nucleus; sorting 29,000 keys this way
     * takes a fraction of a comparison sort's time.
     */
    static void sortFalling(long[] keys, int n, long[] scratch) {
        if (n < 256) {
            Arrays.sort(keys, 0, n);
            reverse(keys, n);
            return;
        }
        int[] counts = new int[256];
        long[] from = keys, to = scratch;
        for (int shift = 32; shift < 64; shift += 8) {
            Arrays.fill(counts, 0);
            // The digit of the logit word read as unsigned with its sign flipped, complemented: falling order.
            for (int i = 0; i < n; i++) counts[digit(from[i], shift)]++;
            if (counts[digit(from[0], shift)] == n) continue;
            for (int d = 0, start = 0; d < 256; d++) {
                int c = counts[d];
                counts[d] = start;
                start += c;
            }
            for (int i = 0; i < n; i++) to[counts[digit(from[i], shift)]++] = from[i];
            long[] t = from;
            from = to;
            to = t;
        }
        if (from != keys) System.arraycopy(from, 0, keys, 0, n);
    }

    private static int digit(long key, int shift) {
        return 255 - (int) (((key ^ Long.MIN_VALUE) >>> shift) & 0xFF);
    }

    private static void reverse(long[] a, int n) {
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            long t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
