package io.align4j.generate;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels against the scalar ones, bit for bit (the surefire JVM has
 * {@code jdk.incubator.vector}), and both against float64 references.
 */
class DecoderKernelsTest {
    private static final DecoderKernels SCALAR = new ScalarDecoderKernels();
    private static final DecoderKernels VECTOR = DecoderKernels.best();

    @Test
    void surefireRunsTheVectorKernels() {
        assertInstanceOf(VectorDecoderKernels.class, VECTOR, "pom.xml's surefire argLine adds jdk.incubator.vector");
        assertTrue(JavaDecoder.vectorKernels());
    }

    @Test
    void expIsWithinTwoUlpOfMathExpAboveTheFloorAndClampedBelow() {
        for (float x = 0; x > -87f; x -= 0.0137f) {
            double exact = Math.exp(x);
            assertEquals(exact, DecoderKernels.exp(x), 2 * Math.ulp((float) exact), "x = " + x);
        }
        assertEquals(DecoderKernels.exp(-87f), DecoderKernels.exp(-1000f));
        assertEquals(1f, DecoderKernels.exp(0f));
        assertEquals(1f, DecoderKernels.exp(-0f));
    }

    /**
     * Shapes with every tail: rows 1–10, 14 and 32 (six- and four-row blocks and single rows, in
     * every mix a group of up to 32 takes), columns that are
     * multiples of 64, 16 and 8 and ones that are not, in-widths 1–172; slots out of order.
     */
    /** Workspace slots of the products below; 7 is prime to it, so (7i + 3) mod 33 are distinct for i &lt; 33. */
    private static final int SLOTS = 33;

    @Test
    void multiplyIsBitwiseTheSameOnBothKernelsAndCloseToFloat64() {
        Random random = new Random(3);
        int[][] shapes = {{64, 128}, {64, 344}, {172, 64}, {64, 512}, {48, 101}, {32, 97}, {1, 7}, {5, 24}, {7, 200}, {3, 72}};
        for (int[] shape : shapes) {
            int in = shape[0], n = shape[1];
            float[] weight = gaussian(random, in * n);
            for (int rows : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 32}) {
                float[] x = gaussian(random, SLOTS * in);
                int[] slots = new int[rows];
                for (int i = 0; i < rows; i++) slots[i] = (7 * i + 3) % SLOTS;
                float[] scalar = new float[SLOTS * n], vector = new float[SLOTS * n];
                float[] packed = DecoderKernels.pack(weight, in, n);
                SCALAR.multiply(x, packed, in, n, scalar, slots, rows);
                VECTOR.multiply(x, packed, in, n, vector, slots, rows);
                assertArrayEquals(scalar, vector, in + "x" + n + ", " + rows + " rows");
                // Columns split at panel boundaries, as threads of a ColumnTeam split them: the same bits.
                float[] split = new float[SLOTS * n];
                int cut = n / 2 / DecoderKernels.PANEL * DecoderKernels.PANEL;
                VECTOR.multiply(x, packed, in, n, split, slots, rows, cut, n);
                VECTOR.multiply(x, packed, in, n, split, slots, rows, 0, cut);
                assertArrayEquals(vector, split, in + "x" + n + ", " + rows + " rows, split at " + cut);
                for (int s : slots)
                    for (int j = 0; j < n; j++) {
                        double exact = 0;
                        for (int k = 0; k < in; k++) exact += (double) x[s * in + k] * weight[k * n + j];
                        assertEquals(exact, scalar[s * n + j], 1e-5 * (1 + Math.abs(exact)) * Math.sqrt(in));
                    }
            }
        }
    }

    /**
     * Positions 1–70 (whole vectors, four-vector blocks and tails), head widths 8, 5 and 12 (a
     * head narrower than a vector, and one with a part-vector), keys as rows over positions and
     * values as rows over components, the second of two heads, against float64 softmax
     * attention. The vector kernel also runs with scratch of exactly as many positions as are
     * read (the last part-vector then scored one position at a time), and with NaN keys past the
     * last position, which the masked last vector must not let through.
     */
    @Test
    void attentionIsBitwiseTheSameOnBothKernelsAndCloseToFloat64() {
        Random random = new Random(4);
        int capacity = 72;
        for (int d : new int[] {8, 5, 12}) {
            float[] keys = gaussian(random, 2 * d * capacity), values = gaussian(random, 2 * d * capacity);
            for (int positions = 1; positions <= 70; positions++) {
                float[] query = gaussian(random, d + 3);
                for (int i = 0; i < query.length; i++) query[i] *= 3;
                float[] scalar = new float[d + 2], vector = new float[d + 2];
                SCALAR.attendHead(query, 3, d, keys, d * capacity, capacity, values, d * capacity, positions, new float[capacity],
                        scalar, 2);
                VECTOR.attendHead(query, 3, d, keys, d * capacity, capacity, values, d * capacity, positions, new float[capacity],
                        vector, 2);
                assertArrayEquals(scalar, vector, "d " + d + ", " + positions + " positions");
                float[] tightScratch = new float[d + 2], poisonedTail = new float[d + 2], poisonedKeys = keys.clone();
                VECTOR.attendHead(query, 3, d, keys, d * capacity, capacity, values, d * capacity, positions, new float[positions],
                        tightScratch, 2);
                assertArrayEquals(scalar, tightScratch, "d " + d + ", " + positions + " positions, scratch of " + positions);
                for (int i = 0; i < d; i++) Arrays.fill(poisonedKeys, d * capacity + i * capacity + positions, d * capacity + (i + 1) * capacity, Float.NaN);
                VECTOR.attendHead(query, 3, d, poisonedKeys, d * capacity, capacity, values, d * capacity, positions, new float[capacity],
                        poisonedTail, 2);
                assertArrayEquals(scalar, poisonedTail, "d " + d + ", " + positions + " positions, NaN keys past the last");
                double[] weights = new double[positions];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int t = 0; t < positions; t++) {
                    for (int i = 0; i < d; i++) weights[t] += (double) query[3 + i] * keys[d * capacity + i * capacity + t];
                    max = Math.max(max, weights[t]);
                }
                for (int t = 0; t < positions; t++) sum += weights[t] = Math.exp(weights[t] - max);
                for (int i = 0; i < d; i++) {
                    double exact = 0;
                    for (int t = 0; t < positions; t++) exact += weights[t] / sum * values[d * capacity + t * d + i];
                    assertEquals(exact, scalar[2 + i], 2e-5, "d " + d + ", " + positions + " positions, component " + i);
                }
            }
        }
    }

    /**
     * The gated activation on both kernels, bit for bit, over a million gates of every
     * magnitude (±0 to beyond the float64 path's ±80, infinities and NaN) and odd widths, and
     * against float64 silu(g)·u. The vector kernel's float64 σ is proven per lane to round like
     * {@link Math#exp}'s; here that proof is checked against the reference directly.
     */
    @Test
    void swiGluIsBitwiseTheSameOnBothKernelsAndCloseToFloat64() {
        Random random = new Random(5);
        for (int hidden : new int[] {172, 7, 1, 1000}) {
            for (int round = 0; round < 1_000_000 / hidden / 4 + 1; round++) {
                float[] gateAndUp = new float[1 + 2 * hidden];
                for (int j = 0; j < gateAndUp.length; j++) {
                    double scale = Math.pow(10, random.nextInt(5) - 2);
                    gateAndUp[j] = (float) (random.nextGaussian() * scale);
                }
                if (round == 0) {
                    float[] special = {0f, -0f, 80f, -80f, 80.5f, -80.5f, 1e4f, -1e4f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
                    for (int j = 0; j < Math.min(hidden, special.length); j++) gateAndUp[1 + j] = special[j];
                }
                float[] scalar = new float[hidden + 2], vector = new float[hidden + 2];
                SCALAR.swiGlu(gateAndUp, 1, hidden, scalar, 2, new double[hidden]);
                VECTOR.swiGlu(gateAndUp, 1, hidden, vector, 2, new double[hidden]);
                assertArrayEquals(scalar, vector, "hidden " + hidden + ", round " + round);
                for (int j = 0; j < hidden; j++) {
                    double gate = gateAndUp[1 + j], up = gateAndUp[1 + hidden + j];
                    if (!Double.isFinite(gate) || Math.abs(gate) > 1e3) continue;
                    double exact = gate / (1 + Math.exp(-gate)) * up;
                    assertEquals(exact, scalar[2 + j], 1e-6 * (Math.abs(gate * up) + 1e-30), "gate " + gate + ", up " + up);
                }
            }
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}
