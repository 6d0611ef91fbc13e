package io.align4j.generate;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecoderKernels} on {@code jdk.incubator.vector}, 8 floats a vector (AVX2), bitwise
 * equal to {@link ScalarDecoderKernels}. Loaded by name only when the module is present, so
 * the library runs without it.
 *
 * <p>The product is a register-blocked micro-kernel: four rows × two vectors of columns (eight
 * accumulators) run down all of k before y is stored once, so each weight vector loaded feeds
 * four FMAs and y never makes a round trip through memory inside the sum; the C2-vectorised
 * {@code y += x_k·W_k} loop loads and stores y for every group of k rows. A row decoded alone
 * (batch 1, or a group's remainder) takes eight vectors of columns, eight independent FMA
 * chains, enough to hide the FMA latency. Attention runs over positions eight at a time: the
 * scores four vectors of positions at a time (four independent FMA chains down the head's
 * components), with the running maximum; then {@code exp} and its sum; then the value sums,
 * eight components per pass over the weights (eight chains).
 */
final class VectorDecoderKernels implements DecoderKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    @Override
    public boolean usable() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize();
    }

    @Override
    public void multiply(float[] x, float[] weight, int in, int n, float[] y, int[] slots, int count) {
        int i = 0;
        for (; i + 3 < count; i += 4) multiplyFourRows(x, weight, in, n, y, slots[i], slots[i + 1], slots[i + 2], slots[i + 3]);
        for (; i < count; i++) multiplyOneRow(x, weight, in, n, y, slots[i]);
    }

    private static void multiplyFourRows(float[] x, float[] w, int in, int n, float[] y, int s0, int s1, int s2, int s3) {
        int x0 = s0 * in, x1 = s1 * in, x2 = s2 * in, x3 = s3 * in;
        int j = 0;
        for (; j + 2 * S.length() <= n; j += 2 * S.length()) {
            FloatVector a0 = FloatVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int k = 0, row = j; k < in; k++, row += n) {
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
        if (j < n) {
            multiplyColumns(x, w, in, n, y, s0, j);
            multiplyColumns(x, w, in, n, y, s1, j);
            multiplyColumns(x, w, in, n, y, s2, j);
            multiplyColumns(x, w, in, n, y, s3, j);
        }
    }

    private static void multiplyOneRow(float[] x, float[] w, int in, int n, float[] y, int s) {
        int xOffset = s * in, yOffset = s * n, width = 8 * S.length();
        int j = 0;
        for (; j + width <= n; j += width) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int k = 0, row = j; k < in; k++, row += n) {
                FloatVector v = FloatVector.broadcast(S, x[xOffset + k]);
                a0 = v.fma(FloatVector.fromArray(S, w, row), a0);
                a1 = v.fma(FloatVector.fromArray(S, w, row + 8), a1);
                a2 = v.fma(FloatVector.fromArray(S, w, row + 16), a2);
                a3 = v.fma(FloatVector.fromArray(S, w, row + 24), a3);
                a4 = v.fma(FloatVector.fromArray(S, w, row + 32), a4);
                a5 = v.fma(FloatVector.fromArray(S, w, row + 40), a5);
                a6 = v.fma(FloatVector.fromArray(S, w, row + 48), a6);
                a7 = v.fma(FloatVector.fromArray(S, w, row + 56), a7);
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
        if (j < n) multiplyColumns(x, w, in, n, y, s, j);
    }

    /** Columns [from, n) of one row: a vector at a time, then the last n mod 8 one by one. */
    private static void multiplyColumns(float[] x, float[] w, int in, int n, float[] y, int s, int from) {
        int xOffset = s * in, yOffset = s * n, j = from;
        for (; j + S.length() <= n; j += S.length()) {
            FloatVector a = FloatVector.zero(S);
            for (int k = 0, row = j; k < in; k++, row += n) a = FloatVector.broadcast(S, x[xOffset + k]).fma(FloatVector.fromArray(S, w, row), a);
            a.intoArray(y, yOffset + j);
        }
        for (; j < n; j++) {
            float a = 0;
            for (int k = 0; k < in; k++) a = Math.fma(x[xOffset + k], w[k * n + j], a);
            y[yOffset + j] = a;
        }
    }

    @Override
    public void attendHead(float[] query, int queryOffset, int d, float[] keys, float[] values, int head, int capacity,
                           int positions, float[] scores, float[] shifted, float[] out, int outOffset) {
        int full = positions & -LANES;
        FloatVector maxes = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int t = 0;
        for (; t + 4 * LANES <= full; t += 4 * LANES) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0, row = head + t; i < d; i++, row += capacity) {
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
        for (; t < full; t += LANES) {
            FloatVector s = FloatVector.zero(S);
            for (int i = 0, row = head + t; i < d; i++, row += capacity)
                s = FloatVector.broadcast(S, query[queryOffset + i]).fma(FloatVector.fromArray(S, keys, row), s);
            s.intoArray(scores, t);
            maxes = maxes.max(s);
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (t = full; t < positions; t++) {
            float s = 0;
            for (int i = 0; i < d; i++) s = Math.fma(query[queryOffset + i], keys[head + i * capacity + t], s);
            scores[t] = s;
            max = Math.max(max, s);
        }

        FloatVector shift = FloatVector.broadcast(S, max);
        for (t = 0; t < full; t += LANES) expWithoutScale(FloatVector.fromArray(S, scores, t).sub(shift), scores, shifted, t);
        for (t = 0; t < full; t++) scores[t] *= Float.intBitsToFloat((Float.floatToRawIntBits(shifted[t]) + 127) << 23);
        FloatVector sums = FloatVector.zero(S);
        for (t = 0; t < full; t += LANES) sums = sums.add(FloatVector.fromArray(S, scores, t));
        float[] lanes = new float[LANES];
        sums.intoArray(lanes, 0);
        for (t = full; t < positions; t++) {
            scores[t] = DecoderKernels.exp(scores[t] - max);
            lanes[t - full] += scores[t];
        }
        float sum = DecoderKernels.sumLanes(lanes);

        int i = 0;
        for (; i + 7 < d; i += 8) {
            int r0 = head + i * capacity;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (t = 0; t < full; t += LANES) {
                FloatVector e = FloatVector.fromArray(S, scores, t);
                int r = r0 + t;
                a0 = e.fma(FloatVector.fromArray(S, values, r), a0);
                a1 = e.fma(FloatVector.fromArray(S, values, r + capacity), a1);
                a2 = e.fma(FloatVector.fromArray(S, values, r + 2 * capacity), a2);
                a3 = e.fma(FloatVector.fromArray(S, values, r + 3 * capacity), a3);
                a4 = e.fma(FloatVector.fromArray(S, values, r + 4 * capacity), a4);
                a5 = e.fma(FloatVector.fromArray(S, values, r + 5 * capacity), a5);
                a6 = e.fma(FloatVector.fromArray(S, values, r + 6 * capacity), a6);
                a7 = e.fma(FloatVector.fromArray(S, values, r + 7 * capacity), a7);
            }
            out[outOffset + i] = finishValueSum(a0, lanes, scores, values, r0, full, positions) / sum;
            out[outOffset + i + 1] = finishValueSum(a1, lanes, scores, values, r0 + capacity, full, positions) / sum;
            out[outOffset + i + 2] = finishValueSum(a2, lanes, scores, values, r0 + 2 * capacity, full, positions) / sum;
            out[outOffset + i + 3] = finishValueSum(a3, lanes, scores, values, r0 + 3 * capacity, full, positions) / sum;
            out[outOffset + i + 4] = finishValueSum(a4, lanes, scores, values, r0 + 4 * capacity, full, positions) / sum;
            out[outOffset + i + 5] = finishValueSum(a5, lanes, scores, values, r0 + 5 * capacity, full, positions) / sum;
            out[outOffset + i + 6] = finishValueSum(a6, lanes, scores, values, r0 + 6 * capacity, full, positions) / sum;
            out[outOffset + i + 7] = finishValueSum(a7, lanes, scores, values, r0 + 7 * capacity, full, positions) / sum;
        }
        for (; i < d; i++) {
            int r = head + i * capacity;
            FloatVector a = FloatVector.zero(S);
            for (t = 0; t < full; t += LANES) a = FloatVector.fromArray(S, scores, t).fma(FloatVector.fromArray(S, values, r + t), a);
            out[outOffset + i] = finishValueSum(a, lanes, scores, values, r, full, positions) / sum;
        }
    }

    /** Lanes of a value sum over the full vectors, plus the last positions [full, positions) one by one, added in the fixed order. */
    private static float finishValueSum(FloatVector partial, float[] lanes, float[] weights, float[] values, int row, int full,
                                        int positions) {
        partial.intoArray(lanes, 0);
        for (int t = full; t < positions; t++) lanes[t - full] = Math.fma(weights[t], values[row + t], lanes[t - full]);
        return DecoderKernels.sumLanes(lanes);
    }

    /**
     * {@link DecoderKernels#exp} of each lane without its last step: e^r into {@code e[at, at + 8)}
     * and the rounded {@code x·log₂e + 1.5·2²³} into {@code shifted}, whose bits give 2ⁿ. The
     * JDK 17 compiler does not intrinsify the float-to-int reinterpretation in this position,
     * so the caller builds 2ⁿ in a plain loop.
     */
    private static void expWithoutScale(FloatVector x, float[] e, float[] shifted, int at) {
        x = x.max(EXP_FLOOR);
        FloatVector rounded = x.mul(LOG2E).add(ROUNDING_MAGIC);
        FloatVector n = rounded.sub(ROUNDING_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, LN2_LOW), n.fma(FloatVector.broadcast(S, -LN2_HIGH), x));
        FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(S, P2)).fma(r, FloatVector.broadcast(S, P3))
                .fma(r, FloatVector.broadcast(S, P4)).fma(r, FloatVector.broadcast(S, P5));
        p.fma(r.mul(r), r).add(1f).intoArray(e, at);
        rounded.intoArray(shifted, at);
    }
}
