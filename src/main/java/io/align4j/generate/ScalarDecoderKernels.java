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

    @Override
    public void multiply(float[] x, float[] weight, int in, int n, float[] y, int[] slots, int count) {
        for (int i = 0; i < count; i++) {
            int xOffset = slots[i] * in, yOffset = slots[i] * n;
            Arrays.fill(y, yOffset, yOffset + n, 0f);
            for (int k = 0; k < in; k++) {
                float xk = x[xOffset + k];
                int row = k * n;
                for (int j = 0; j < n; j++) y[yOffset + j] = Math.fma(xk, weight[row + j], y[yOffset + j]);
            }
        }
    }

    @Override
    public void attendHead(float[] query, int queryOffset, int d, float[] keys, int keyOffset, int keyStride, float[] values,
                           int valueOffset, int positions, float[] scores, float[] out, int outOffset) {
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < positions; t++) {
            float s = 0;
            for (int i = 0; i < d; i++) s = Math.fma(query[queryOffset + i], keys[keyOffset + i * keyStride + t], s);
            scores[t] = s;
            max = Math.max(max, s);
        }
        float[] lanes = new float[LANES];
        for (int t = 0; t < positions; t++) {
            scores[t] = DecoderKernels.exp(scores[t] - max);
            lanes[t & (LANES - 1)] += scores[t];
        }
        float sum = DecoderKernels.sumLanes(lanes);
        for (int i = 0; i < d; i++) {
            Arrays.fill(lanes, 0f);
            for (int t = 0, at = valueOffset + i; t < positions; t++, at += d)
                lanes[t & (LANES - 1)] = Math.fma(scores[t], values[at], lanes[t & (LANES - 1)]);
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
