package io.align4j.generate;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecoderKernels} on {@code jdk.incubator.vector}, 8 floats a vector (AVX2), bitwise
 * equal to {@link ScalarDecoderKernels}. Loaded by name only when the module is present, so
 * the library runs without it.
 *
 * <p>The product is a register-blocked micro-kernel: six rows × two vectors of columns (twelve
 * accumulators; four rows where six do not fit the group) run down all of k before y is stored
 * once, so each weight vector loaded feeds six FMAs and y never makes a round trip through
 * memory inside the sum; a group's blocks take each panel in turn, so a panel read from memory
 * serves all of them from the core's cache (README, "Measured"); the C2-vectorised
 * {@code y += x_k·W_k} loop loads and stores y for every group of k rows. A row decoded alone
 * (batch 1, or a group's remainder) takes eight vectors of columns, eight independent FMA
 * chains, enough to hide the FMA latency. Attention scores run four vectors of positions at a
 * time (four independent FMA chains down the head's components), with the running maximum, the
 * last part-vector as a whole masked vector; then {@code exp} and its sum a vector at a time;
 * then the weighted sum of the values, whose cache layout puts a position's components side by
 * side, so it needs eight FMA chains and a final add of eight vectors, never a sum across lanes.
 * These layouts replaced a first version (values as rows over positions summed across lanes per
 * output, 2ⁿ of exp built one lane at a time, a scalar last part-vector) with the same bits and
 * more throughput (README, "Measured").
 */
final class VectorDecoderKernels implements DecoderKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    @Override
    public boolean usable() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize();
    }

    @Override
    public void multiply(float[] x, float[] weight, int in, int n, float[] y, int[] slots, int count, int from, int to) {
        if (count == 1) {
            multiplyOneRow(x, weight, in, n, y, slots[0], from, to);
            return;
        }
        // Blocks of six rows, and of four where six would leave two (8 = 4 + 4); the last one to
        // three rows run one by one.
        int sixes = count / 6, left = count % 6;
        if (left == 2 && sixes > 0) {
            sixes--;
            left = 8;
        }
        int fours = left / 4, blocked = 6 * sixes + 4 * fours;
        // Panels outside, blocks inside: a panel is read from memory once for all the blocks,
        // which reuse it from the core's cache (rows outside read the whole matrix once a block).
        int j = from;
        for (; j + PANEL <= to; j += PANEL) {
            int i = 0;
            for (int b = 0; b < sixes; b++, i += 6)
                panelOfSixRows(x, weight, in, n, y, slots[i], slots[i + 1], slots[i + 2], slots[i + 3], slots[i + 4], slots[i + 5], j);
            for (int b = 0; b < fours; b++, i += 4)
                panelOfFourRows(x, weight, in, n, y, slots[i], slots[i + 1], slots[i + 2], slots[i + 3], j);
        }
        if (j < to)
            for (int i = 0; i < blocked; i++) lastPanel(x, weight, in, n, y, slots[i], j);
        for (int i = blocked; i < count; i++) multiplyOneRow(x, weight, in, n, y, slots[i], from, to);
    }

    /**
     * Six rows × the whole panel at j: twelve accumulators, two weight vectors and a broadcast,
     * fifteen of AVX2's sixteen registers; each weight vector loaded feeds six FMAs.
     */
    private static void panelOfSixRows(float[] x, float[] w, int in, int n, float[] y, int s0, int s1, int s2, int s3, int s4, int s5,
                                       int j) {
        int x0 = s0 * in, x1 = s1 * in, x2 = s2 * in, x3 = s3 * in, x4 = s4 * in, x5 = s5 * in;
        FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0,
                b5 = a0;
        for (int k = 0, row = j * in; k < in; k++, row += PANEL) {
            FloatVector wa = FloatVector.fromArray(S, w, row), wb = FloatVector.fromArray(S, w, row + S.length());
            FloatVector v0 = FloatVector.broadcast(S, x[x0 + k]);
            a0 = v0.fma(wa, a0);
            b0 = v0.fma(wb, b0);
            FloatVector v1 = FloatVector.broadcast(S, x[x1 + k]);
            a1 = v1.fma(wa, a1);
            b1 = v1.fma(wb, b1);
            FloatVector v2 = FloatVector.broadcast(S, x[x2 + k]);
            a2 = v2.fma(wa, a2);
            b2 = v2.fma(wb, b2);
            FloatVector v3 = FloatVector.broadcast(S, x[x3 + k]);
            a3 = v3.fma(wa, a3);
            b3 = v3.fma(wb, b3);
            FloatVector v4 = FloatVector.broadcast(S, x[x4 + k]);
            a4 = v4.fma(wa, a4);
            b4 = v4.fma(wb, b4);
            FloatVector v5 = FloatVector.broadcast(S, x[x5 + k]);
            a5 = v5.fma(wa, a5);
            b5 = v5.fma(wb, b5);
        }
        a0.intoArray(y, s0 * n + j);
        b0.intoArray(y, s0 * n + j + S.length());
        a1.intoArray(y, s1 * n + j);
        b1.intoArray(y, s1 * n + j + S.length());
        a2.intoArray(y, s2 * n + j);
        b2.intoArray(y, s2 * n + j + S.length());
        a3.intoArray(y, s3 * n + j);
        b3.intoArray(y, s3 * n + j + S.length());
        a4.intoArray(y, s4 * n + j);
        b4.intoArray(y, s4 * n + j + S.length());
        a5.intoArray(y, s5 * n + j);
        b5.intoArray(y, s5 * n + j + S.length());
    }

    /** Four rows × the whole panel at j: each pair of weight vectors loaded feeds eight FMAs. */
    private static void panelOfFourRows(float[] x, float[] w, int in, int n, float[] y, int s0, int s1, int s2, int s3, int j) {
        int x0 = s0 * in, x1 = s1 * in, x2 = s2 * in, x3 = s3 * in;
        FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (int k = 0, row = j * in; k < in; k++, row += PANEL) {
            FloatVector wa = FloatVector.fromArray(S, w, row), wb = FloatVector.fromArray(S, w, row + S.length());
            FloatVector v0 = FloatVector.broadcast(S, x[x0 + k]);
            a0 = v0.fma(wa, a0);
            b0 = v0.fma(wb, b0);
            FloatVector v1 = FloatVector.broadcast(S, x[x1 + k]);
            a1 = v1.fma(wa, a1);
            b1 = v1.fma(wb, b1);
            FloatVector v2 = FloatVector.broadcast(S, x[x2 + k]);
            a2 = v2.fma(wa, a2);
            b2 = v2.fma(wb, b2);
            FloatVector v3 = FloatVector.broadcast(S, x[x3 + k]);
            a3 = v3.fma(wa, a3);
            b3 = v3.fma(wb, b3);
        }
        a0.intoArray(y, s0 * n + j);
        b0.intoArray(y, s0 * n + j + S.length());
        a1.intoArray(y, s1 * n + j);
        b1.intoArray(y, s1 * n + j + S.length());
        a2.intoArray(y, s2 * n + j);
        b2.intoArray(y, s2 * n + j + S.length());
        a3.intoArray(y, s3 * n + j);
        b3.intoArray(y, s3 * n + j + S.length());
    }

    /**
     * One row: four panels side by side (four contiguous streams, eight FMA chains, enough to
     * hide the FMA latency), then single panels, then the last part-panel.
     */
    private static void multiplyOneRow(float[] x, float[] w, int in, int n, float[] y, int s, int from, int to) {
        int xOffset = s * in, yOffset = s * n, span = PANEL * in;
        int j = from;
        for (; j + 4 * PANEL <= to; j += 4 * PANEL) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            int p0 = j * in, p1 = p0 + span, p2 = p1 + span, p3 = p2 + span;
            for (int k = 0, at = 0; k < in; k++, at += PANEL) {
                FloatVector v = FloatVector.broadcast(S, x[xOffset + k]);
                a0 = v.fma(FloatVector.fromArray(S, w, p0 + at), a0);
                a1 = v.fma(FloatVector.fromArray(S, w, p0 + at + 8), a1);
                a2 = v.fma(FloatVector.fromArray(S, w, p1 + at), a2);
                a3 = v.fma(FloatVector.fromArray(S, w, p1 + at + 8), a3);
                a4 = v.fma(FloatVector.fromArray(S, w, p2 + at), a4);
                a5 = v.fma(FloatVector.fromArray(S, w, p2 + at + 8), a5);
                a6 = v.fma(FloatVector.fromArray(S, w, p3 + at), a6);
                a7 = v.fma(FloatVector.fromArray(S, w, p3 + at + 8), a7);
            }
            a0.intoArray(y, yOffset + j);
            a1.intoArray(y, yOffset + j + 8);
            a2.intoArray(y, yOffset + j + 16);
            a3.intoArray(y, yOffset + j + 24);
            a4.intoArray(y, yOffset + j + 32);
            a5.intoArray(y, yOffset + j + 40);
            a6.intoArray(y, yOffset + j + 48);
            a7.intoArray(y, yOffset + j + 56);
        }
        for (; j + PANEL <= to; j += PANEL) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0;
            for (int k = 0, row = j * in; k < in; k++, row += PANEL) {
                FloatVector v = FloatVector.broadcast(S, x[xOffset + k]);
                a0 = v.fma(FloatVector.fromArray(S, w, row), a0);
                a1 = v.fma(FloatVector.fromArray(S, w, row + 8), a1);
            }
            a0.intoArray(y, yOffset + j);
            a1.intoArray(y, yOffset + j + 8);
        }
        if (j < to) lastPanel(x, w, in, n, y, s, j);
    }

    /** The last panel, at j narrower than {@value #PANEL}: a vector of its columns if it has eight, then one by one. */
    private static void lastPanel(float[] x, float[] w, int in, int n, float[] y, int s, int j) {
        int xOffset = s * in, width = n - j, c = 0;
        if (width >= S.length()) {
            FloatVector a = FloatVector.zero(S);
            for (int k = 0, row = j * in; k < in; k++, row += width)
                a = FloatVector.broadcast(S, x[xOffset + k]).fma(FloatVector.fromArray(S, w, row), a);
            a.intoArray(y, s * n + j);
            c = S.length();
        }
        DecoderKernels.panelColumnsOneByOne(x, xOffset, w, in, j, width, y, s * n, c);
    }

    /*
     * Each helper below is a method of its own that takes and returns no vectors: one too large
     * for C2 to inline would otherwise pass them boxed, on the heap (measured: 4x slower).
     */

    @Override
    public void attendHead(float[] query, int queryOffset, int d, float[] keys, int keyOffset, int keyStride, float[] values,
                           int valueOffset, int positions, float[] scores, float[] out, int outOffset) {
        int full = positions & -LANES, tail = positions - full;
        // The last part-vector of positions runs as a whole vector when the key rows and the
        // scratch have room for it; its lanes past the last position are masked out.
        boolean wholeTail = tail > 0 && full + LANES <= keyStride && full + LANES <= scores.length
                && keyOffset + (d - 1) * keyStride + full + LANES <= keys.length;
        float max = scores(query, queryOffset, d, keys, keyOffset, keyStride, full, wholeTail ? tail : 0, scores);
        if (tail > 0 && !wholeTail)
            max = DecoderKernels.scoresOneByOne(query, queryOffset, d, keys, keyOffset, keyStride, full, positions, scores, max);
        float[] lanes = new float[LANES];
        exponentials(scores, full, wholeTail ? tail : 0, max, lanes);
        if (tail > 0 && !wholeTail)
            for (int t = full; t < positions; t++) {
                scores[t] = DecoderKernels.exp(scores[t] - max);
                lanes[t - full] += scores[t];
            }
        float sum = DecoderKernels.sumLanes(lanes);
        if (d == LANES) weightedValuesOfOneVector(values, valueOffset, full, tail, scores, sum, out, outOffset);
        else weightedValues(d, values, valueOffset, positions, scores, sum, out, outOffset);
    }

    private static final FloatVector IOTA = FloatVector.fromArray(S, new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 0);

    /**
     * Scores of positions [0, full) into {@code scores}, four vectors of positions at a time
     * (four FMA chains down the components), then one; and, when {@code tail} &gt; 0, of the
     * {@code tail} positions after them as one whole vector whose other lanes become −∞.
     * Returns the largest score.
     */
    private static float scores(float[] query, int queryOffset, int d, float[] keys, int keyOffset, int keyStride, int full, int tail,
                                float[] scores) {
        FloatVector maxes = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int t = 0;
        for (; t + 4 * LANES <= full; t += 4 * LANES) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0, row = keyOffset + t; i < d; i++, row += keyStride) {
                FloatVector q = FloatVector.broadcast(S, query[queryOffset + i]);
                s0 = q.fma(FloatVector.fromArray(S, keys, row), s0);
                s1 = q.fma(FloatVector.fromArray(S, keys, row + LANES), s1);
                s2 = q.fma(FloatVector.fromArray(S, keys, row + 2 * LANES), s2);
                s3 = q.fma(FloatVector.fromArray(S, keys, row + 3 * LANES), s3);
            }
            s0.intoArray(scores, t);
            s1.intoArray(scores, t + LANES);
            s2.intoArray(scores, t + 2 * LANES);
            s3.intoArray(scores, t + 3 * LANES);
            maxes = maxes.max(s0.max(s1)).max(s2.max(s3));
        }
        for (; t < full + (tail > 0 ? LANES : 0); t += LANES) {
            FloatVector s = FloatVector.zero(S);
            for (int i = 0, row = keyOffset + t; i < d; i++, row += keyStride)
                s = FloatVector.broadcast(S, query[queryOffset + i]).fma(FloatVector.fromArray(S, keys, row), s);
            if (t == full) s = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).blend(s, IOTA.lt((float) tail));
            s.intoArray(scores, t);
            maxes = maxes.max(s);
        }
        return maxes.reduceLanes(VectorOperators.MAX);
    }

    /**
     * {@code scores[t] ← exp(scores[t] − max)} for t in [0, full), and for the {@code tail}
     * positions after them as one vector whose other lanes become 0; position t's exponential
     * added into {@code lanes[t mod 8]}.
     */
    private static void exponentials(float[] scores, int full, int tail, float max, float[] lanes) {
        FloatVector shift = FloatVector.broadcast(S, max), sums = FloatVector.zero(S);
        for (int t = 0; t < full + (tail > 0 ? LANES : 0); t += LANES) {
            // DecoderKernels.exp lane by lane, the same operations in the same order; 2ⁿ is the
            // rounded x·log₂e + 1.5·2²³'s bits plus 127, shifted into the exponent field.
            FloatVector x = FloatVector.fromArray(S, scores, t).sub(shift).max(EXP_FLOOR);
            FloatVector rounded = x.mul(LOG2E).add(ROUNDING_MAGIC);
            FloatVector n = rounded.sub(ROUNDING_MAGIC);
            FloatVector r = n.fma(FloatVector.broadcast(S, LN2_LOW), n.fma(FloatVector.broadcast(S, -LN2_HIGH), x));
            FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(S, P2)).fma(r, FloatVector.broadcast(S, P3))
                    .fma(r, FloatVector.broadcast(S, P4)).fma(r, FloatVector.broadcast(S, P5));
            FloatVector twoToN = rounded.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = p.fma(r.mul(r), r).add(1f).mul(twoToN);
            if (t == full) e = FloatVector.zero(S).blend(e, IOTA.lt((float) tail));
            e.intoArray(scores, t);
            sums = sums.add(e);
        }
        sums.intoArray(lanes, 0);
    }

    /**
     * The weighted sum of a head exactly one vector wide (stories260K's): accumulator j takes
     * the positions t ≡ j mod 8, the value at t being the vector at {@code 8t}, so the lanes by
     * position of the specification are eight vectors and their sum needs no shuffles. The same
     * arithmetic as {@link #weightedValues} without its masks and with a constant stride, kept
     * because the general one slowed the whole decoder at this width (README, "Measured").
     */
    private static void weightedValuesOfOneVector(float[] values, int valueOffset, int full, int tail, float[] scores, float sum,
                                                  float[] out, int outOffset) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int t = 0; t < full; t += LANES) {
            int at = valueOffset + LANES * t;
            a0 = FloatVector.broadcast(S, scores[t]).fma(FloatVector.fromArray(S, values, at), a0);
            a1 = FloatVector.broadcast(S, scores[t + 1]).fma(FloatVector.fromArray(S, values, at + LANES), a1);
            a2 = FloatVector.broadcast(S, scores[t + 2]).fma(FloatVector.fromArray(S, values, at + 2 * LANES), a2);
            a3 = FloatVector.broadcast(S, scores[t + 3]).fma(FloatVector.fromArray(S, values, at + 3 * LANES), a3);
            a4 = FloatVector.broadcast(S, scores[t + 4]).fma(FloatVector.fromArray(S, values, at + 4 * LANES), a4);
            a5 = FloatVector.broadcast(S, scores[t + 5]).fma(FloatVector.fromArray(S, values, at + 5 * LANES), a5);
            a6 = FloatVector.broadcast(S, scores[t + 6]).fma(FloatVector.fromArray(S, values, at + 6 * LANES), a6);
            a7 = FloatVector.broadcast(S, scores[t + 7]).fma(FloatVector.fromArray(S, values, at + 7 * LANES), a7);
        }
        int at = valueOffset + LANES * full;
        if (tail > 0) a0 = FloatVector.broadcast(S, scores[full]).fma(FloatVector.fromArray(S, values, at), a0);
        if (tail > 1) a1 = FloatVector.broadcast(S, scores[full + 1]).fma(FloatVector.fromArray(S, values, at + LANES), a1);
        if (tail > 2) a2 = FloatVector.broadcast(S, scores[full + 2]).fma(FloatVector.fromArray(S, values, at + 2 * LANES), a2);
        if (tail > 3) a3 = FloatVector.broadcast(S, scores[full + 3]).fma(FloatVector.fromArray(S, values, at + 3 * LANES), a3);
        if (tail > 4) a4 = FloatVector.broadcast(S, scores[full + 4]).fma(FloatVector.fromArray(S, values, at + 4 * LANES), a4);
        if (tail > 5) a5 = FloatVector.broadcast(S, scores[full + 5]).fma(FloatVector.fromArray(S, values, at + 5 * LANES), a5);
        if (tail > 6) a6 = FloatVector.broadcast(S, scores[full + 6]).fma(FloatVector.fromArray(S, values, at + 6 * LANES), a6);
        a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).div(sum).intoArray(out, outOffset);
    }

    /**
     * The weighted sum of a head of any width d: eight components a vector (the last
     * part-vector through masked loads and stores), with the same eight lanes by position as
     * {@link #weightedValuesOfOneVector}.
     */
    private static void weightedValues(int d, float[] values, int valueOffset, int positions, float[] scores, float sum,
                                       float[] out, int outOffset) {
        int full = positions & -LANES, tail = positions - full;
        for (int i = 0; i < d; i += LANES) {
            VectorMask<Float> part = S.indexInRange(i, d);
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            int at = valueOffset + i;
            for (int t = 0; t < full; t += LANES, at += LANES * d) {
                a0 = FloatVector.broadcast(S, scores[t]).fma(FloatVector.fromArray(S, values, at, part), a0);
                a1 = FloatVector.broadcast(S, scores[t + 1]).fma(FloatVector.fromArray(S, values, at + d, part), a1);
                a2 = FloatVector.broadcast(S, scores[t + 2]).fma(FloatVector.fromArray(S, values, at + 2 * d, part), a2);
                a3 = FloatVector.broadcast(S, scores[t + 3]).fma(FloatVector.fromArray(S, values, at + 3 * d, part), a3);
                a4 = FloatVector.broadcast(S, scores[t + 4]).fma(FloatVector.fromArray(S, values, at + 4 * d, part), a4);
                a5 = FloatVector.broadcast(S, scores[t + 5]).fma(FloatVector.fromArray(S, values, at + 5 * d, part), a5);
                a6 = FloatVector.broadcast(S, scores[t + 6]).fma(FloatVector.fromArray(S, values, at + 6 * d, part), a6);
                a7 = FloatVector.broadcast(S, scores[t + 7]).fma(FloatVector.fromArray(S, values, at + 7 * d, part), a7);
            }
            if (tail > 0) a0 = FloatVector.broadcast(S, scores[full]).fma(FloatVector.fromArray(S, values, at, part), a0);
            if (tail > 1) a1 = FloatVector.broadcast(S, scores[full + 1]).fma(FloatVector.fromArray(S, values, at + d, part), a1);
            if (tail > 2) a2 = FloatVector.broadcast(S, scores[full + 2]).fma(FloatVector.fromArray(S, values, at + 2 * d, part), a2);
            if (tail > 3) a3 = FloatVector.broadcast(S, scores[full + 3]).fma(FloatVector.fromArray(S, values, at + 3 * d, part), a3);
            if (tail > 4) a4 = FloatVector.broadcast(S, scores[full + 4]).fma(FloatVector.fromArray(S, values, at + 4 * d, part), a4);
            if (tail > 5) a5 = FloatVector.broadcast(S, scores[full + 5]).fma(FloatVector.fromArray(S, values, at + 5 * d, part), a5);
            if (tail > 6) a6 = FloatVector.broadcast(S, scores[full + 6]).fma(FloatVector.fromArray(S, values, at + 6 * d, part), a6);
            a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7))).div(sum).intoArray(out, outOffset + i, part);
        }
    }

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
    /** Gates beyond ±{@value} take {@link Math#exp} directly, which keeps 2ⁿ of the float64 exp below well inside range. */
    private static final double SIGMOID_FAST_RANGE = 80;
    /**
     * Relative half-width of the interval the float64 σ below is proven to share with the
     * {@link Math#exp} one: both are within a few ulp (2⁻⁵²) of the exact value, so 2⁻⁴⁰ leaves
     * a margin of a thousand, and one σ in about 2¹⁵ lies this close to a float32 rounding
     * boundary and is recomputed.
     */
    private static final double SIGMOID_BOUND = 0x1p-40;
    /** ln 2 split as in fdlibm: the high part's low bits are zero, so n·{@code LN2_HIGH_64} is exact for |n| &lt; 2²⁰. */
    private static final double LN2_HIGH_64 = 6.93147180369123816490e-01, LN2_LOW_64 = 1.90821492927058770002e-10;
    private static final double LOG2E_64 = 1.4426950408889634, ROUNDING_MAGIC_64 = 0x1.8p52;

    /**
     * σ of the gates in float64 four lanes a vector: e^{−g} = 2ⁿ·e^r with |r| ≤ ½ ln 2 and e^r
     * its Taylor polynomial to degree 13 (truncation below 10⁻¹⁷); then each lane's float32
     * rounding is taken only when the whole interval σ·(1 ± 2⁻⁴⁰) rounds to one float, which
     * then is also the rounding of the {@link Math#exp} σ (a lane outside it, or beyond ±80, or
     * not a number, is recomputed with {@link DecoderKernels#sigmoid}). The result is therefore
     * bitwise that of {@link ScalarDecoderKernels#swiGlu}, at a fraction of {@link Math#exp}'s
     * cost: it was 16% of a stories260K decoding step.
     */
    @Override
    public void swiGlu(float[] gateAndUp, int offset, int hidden, float[] out, int outOffset, double[] scratch) {
        for (int j = 0; j < hidden; j++) scratch[j] = -gateAndUp[offset + j];
        int j = 0;
        for (; j + D.length() <= hidden; j += D.length()) {
            DoubleVector x = DoubleVector.fromArray(D, scratch, j).max(-SIGMOID_FAST_RANGE).min(SIGMOID_FAST_RANGE);
            DoubleVector rounded = x.mul(LOG2E_64).add(ROUNDING_MAGIC_64);
            DoubleVector n = rounded.sub(ROUNDING_MAGIC_64);
            DoubleVector r = n.fma(DoubleVector.broadcast(D, -LN2_LOW_64), n.fma(DoubleVector.broadcast(D, -LN2_HIGH_64), x));
            DoubleVector p = r.fma(F13, F12).fma(r, DoubleVector.broadcast(D, F11)).fma(r, DoubleVector.broadcast(D, F10))
                    .fma(r, DoubleVector.broadcast(D, F9)).fma(r, DoubleVector.broadcast(D, F8)).fma(r, DoubleVector.broadcast(D, F7))
                    .fma(r, DoubleVector.broadcast(D, F6)).fma(r, DoubleVector.broadcast(D, F5)).fma(r, DoubleVector.broadcast(D, F4))
                    .fma(r, DoubleVector.broadcast(D, F3)).fma(r, DoubleVector.broadcast(D, F2)).fma(r, DoubleVector.broadcast(D, 1.0))
                    .fma(r, DoubleVector.broadcast(D, 1.0));
            DoubleVector twoToN = rounded.reinterpretAsLongs().add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
            DoubleVector one = DoubleVector.broadcast(D, 1.0);
            one.div(p.mul(twoToN).add(one)).intoArray(scratch, j);
        }
        for (; j < hidden; j++) scratch[j] = 1 / (1 + Math.exp(scratch[j]));
        for (j = 0; j < hidden; j++) {
            float gate = gateAndUp[offset + j];
            double sigma = scratch[j];
            float low = (float) (sigma - sigma * SIGMOID_BOUND), high = (float) (sigma + sigma * SIGMOID_BOUND);
            float rounded = low == high && Math.abs(gate) <= SIGMOID_FAST_RANGE ? low : DecoderKernels.sigmoid(gate);
            out[outOffset + j] = gate * rounded * gateAndUp[offset + hidden + j];
        }
    }

    /** 1/k! for k = 2..13, each rounded once (k! is exact in float64). */
    private static final double F2 = 1 / 2.0, F3 = 1 / 6.0, F4 = 1 / 24.0, F5 = 1 / 120.0, F6 = 1 / 720.0, F7 = 1 / 5040.0,
            F8 = 1 / 40320.0, F9 = 1 / 362880.0, F10 = 1 / 3628800.0, F11 = 1 / 39916800.0, F12 = 1 / 479001600.0,
            F13 = 1 / 6227020800.0;
}
