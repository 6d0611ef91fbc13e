package io.align4j.generate;

import java.util.Arrays;

/**
 * {@link DecoderKernels} in plain Java, one lane at a time: the reference arithmetic, and the
 * path of a JVM without {@code jdk.incubator.vector}. The products' inner loops run over
 * contiguous outputs ({@code y_j = fma(x_k, W_kj, y_j)} for each k), which C2 still compiles
 * to SIMD instructions; the sums over positions keep {@value #LANES} partial sums by
 * {@code t mod 8}, exactly as the vector kernels do.
 */
final class ScalarDecoderKernels implements DecoderKernels {
    @Override
    public boolean usable() { return true; }

    /**
     * Eight outputs of a panel at a time, each in a local accumulator down all of k, so y makes
     * no round trip through memory per k and the eight FMA chains overlap; the last w mod 8 one by one.
     */
    @Override
    public void multiply(float[] x, float[] weight, int in, int n, float[] y, int[] slots, int count, int from, int to) {
        for (int i = 0; i < count; i++) {
            int xOffset = slots[i] * in, yOffset = slots[i] * n;
            for (int j0 = from; j0 < to; j0 += PANEL) {
                int w = Math.min(PANEL, n - j0), c = 0;
                for (; c + LANES <= w; c += LANES) {
                    float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
                    for (int k = 0, row = j0 * in + c; k < in; k++, row += w) {
                        float xk = x[xOffset + k];
                        a0 = Math.fma(xk, weight[row], a0);
                        a1 = Math.fma(xk, weight[row + 1], a1);
                        a2 = Math.fma(xk, weight[row + 2], a2);
                        a3 = Math.fma(xk, weight[row + 3], a3);
                        a4 = Math.fma(xk, weight[row + 4], a4);
                        a5 = Math.fma(xk, weight[row + 5], a5);
                        a6 = Math.fma(xk, weight[row + 6], a6);
                        a7 = Math.fma(xk, weight[row + 7], a7);
                    }
                    int at = yOffset + j0 + c;
                    y[at] = a0;
                    y[at + 1] = a1;
                    y[at + 2] = a2;
                    y[at + 3] = a3;
                    y[at + 4] = a4;
                    y[at + 5] = a5;
                    y[at + 6] = a6;
                    y[at + 7] = a7;
                }
                DecoderKernels.panelColumnsOneByOne(x, xOffset, weight, in, j0, w, y, yOffset, c);
            }
        }
    }

    /**
     * Scores eight positions at a time (eight FMA chains down the components), and each value
     * component's sum in eight local accumulators, one per lane of positions: independent chains
     * rather than one read-modify-write of a lanes array per position.
     */
    @Override
    public void attendHead(float[] query, int queryOffset, int d, float[] keys, int keyOffset, int keyStride, float[] values,
                           int valueOffset, int positions, float[] scores, float[] out, int outOffset) {
        int full = positions & -LANES;
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < full; t += LANES) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int i = 0, row = keyOffset + t; i < d; i++, row += keyStride) {
                float q = query[queryOffset + i];
                s0 = Math.fma(q, keys[row], s0);
                s1 = Math.fma(q, keys[row + 1], s1);
                s2 = Math.fma(q, keys[row + 2], s2);
                s3 = Math.fma(q, keys[row + 3], s3);
                s4 = Math.fma(q, keys[row + 4], s4);
                s5 = Math.fma(q, keys[row + 5], s5);
                s6 = Math.fma(q, keys[row + 6], s6);
                s7 = Math.fma(q, keys[row + 7], s7);
            }
            scores[t] = s0;
            scores[t + 1] = s1;
            scores[t + 2] = s2;
            scores[t + 3] = s3;
            scores[t + 4] = s4;
            scores[t + 5] = s5;
            scores[t + 6] = s6;
            scores[t + 7] = s7;
            max = Math.max(max, Math.max(Math.max(Math.max(s0, s1), Math.max(s2, s3)), Math.max(Math.max(s4, s5), Math.max(s6, s7))));
        }
        max = DecoderKernels.scoresOneByOne(query, queryOffset, d, keys, keyOffset, keyStride, full, positions, scores, max);
        float[] lanes = new float[LANES];
        for (int t = 0; t < positions; t++) {
            scores[t] = DecoderKernels.exp(scores[t] - max);
            lanes[t & (LANES - 1)] += scores[t];
        }
        float sum = DecoderKernels.sumLanes(lanes);
        for (int i = 0; i < d; i++) {
            float l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
            int at = valueOffset + i;
            for (int t = 0; t < full; t += LANES, at += LANES * d) {
                l0 = Math.fma(scores[t], values[at], l0);
                l1 = Math.fma(scores[t + 1], values[at + d], l1);
                l2 = Math.fma(scores[t + 2], values[at + 2 * d], l2);
                l3 = Math.fma(scores[t + 3], values[at + 3 * d], l3);
                l4 = Math.fma(scores[t + 4], values[at + 4 * d], l4);
                l5 = Math.fma(scores[t + 5], values[at + 5 * d], l5);
                l6 = Math.fma(scores[t + 6], values[at + 6 * d], l6);
                l7 = Math.fma(scores[t + 7], values[at + 7 * d], l7);
            }
            lanes[0] = l0;
            lanes[1] = l1;
            lanes[2] = l2;
            lanes[3] = l3;
            lanes[4] = l4;
            lanes[5] = l5;
            lanes[6] = l6;
            lanes[7] = l7;
            for (int t = full; t < positions; t++, at += d) lanes[t - full] = Math.fma(scores[t], values[at], lanes[t - full]);
            out[outOffset + i] = DecoderKernels.sumLanes(lanes) / sum;
        }
    }

    @Override
    public void swiGlu(float[] gateAndUp, int offset, int hidden, float[] out, int outOffset, double[] scratch) {
        for (int j = 0; j < hidden; j++) {
            float gate = gateAndUp[offset + j];
            out[outOffset + j] = gate * DecoderKernels.sigmoid(gate) * gateAndUp[offset + hidden + j];
        }
    }
}
