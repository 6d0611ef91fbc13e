package io.align4j.generate;

/**
 * The two inner loops of the {@link JavaDecoder}, a matrix product of a group of rows and one
 * head of causal attention, with their arithmetic fixed lane by lane so that two implementations
 * give the same bits: {@link VectorDecoderKernels} on {@code jdk.incubator.vector} when the JVM
 * was started with {@code --add-modules jdk.incubator.vector} and has 256-bit vectors, else
 * {@link ScalarDecoderKernels}, the same operations one lane at a time.
 *
 * <p>The fixed arithmetic, with {@code fma(a, b, c) = a·b + c} rounded once:
 * <ul>
 * <li>{@link #multiply}: {@code y_j = fma(x_{in−1}, W_{in−1,j}, … fma(x_1, W_1j, fma(x_0, W_0j, 0)))},
 *     one chain per output in rising k, whatever the number of rows decoded together and
 *     whichever thread computes which columns;</li>
 * <li>{@link #attendHead}: scores {@code s_t = fma(q_{d−1}, k_{t,d−1}, … fma(q_0, k_t0, 0))};
 *     {@code e_t = }{@link #exp}{@code (s_t − max s)}; each sum over positions runs in
 *     {@value #LANES} lanes, position t adding into lane {@code t mod 8} in rising t (the
 *     weights with {@code fma(e_t, v_ti, lane)}), and the lanes add as
 *     {@code ((l₀+l₁)+(l₂+l₃))+((l₄+l₅)+(l₆+l₇))}; output i is {@code Σ_t e_t v_ti / Σ_t e_t}.</li>
 * <li>{@link #swiGlu}: {@code out_j = (g_j · σ_j) · u_j}, σ_j = the float32 rounding of
 *     {@code 1 / (1 + Math.exp(−g_j))} computed in float64.</li>
 * </ul>
 */
interface DecoderKernels {
    /** Width of the lanes every sum over positions is split into: one 256-bit vector of floats. */
    int LANES = 8;

    /** log₂ e, and 1.5·2²³: adding it to a float of magnitude below 2²² rounds it to an integer (half to even). */
    float LOG2E = 1.44269504088896341f, ROUNDING_MAGIC = 12582912f;
    /** ln 2 = LN2_HIGH − LN2_LOW (Cephes): the first has few bits, so n·{@code LN2_HIGH} is exact for |n| ≤ 126. */
    float LN2_HIGH = 0.693359375f, LN2_LOW = 2.12194440e-4f;
    /** Coefficients of e^r ≈ 1 + r + r²·P(r) on |r| ≤ ½ ln 2 (Cephes {@code expf}), highest degree first. */
    float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f,
            P5 = 5.0000001201e-1f;
    /**
     * Lower clamp of {@link #exp}'s argument: 2ⁿ with n ≥ −126 stays a normal float, so the
     * exponent bits are built without a branch. A clamped score weighs e^−87 ≈ 1.6·10⁻³⁸
     * against the largest one's 1 instead of less, which no float sum or product can see.
     */
    float EXP_FLOOR = -87f;

    /** The kernels this JVM runs best: the vector ones when the incubator module is present and usable. */
    static DecoderKernels best() {
        if (!"scalar".equals(System.getProperty(PROPERTY)) && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                DecoderKernels vector = (DecoderKernels) Class.forName("io.align4j.generate.VectorDecoderKernels")
                        .getDeclaredConstructor().newInstance();
                if (vector.usable()) return vector;
            } catch (ReflectiveOperationException | LinkageError e) {
                return new ScalarDecoderKernels();
            }
        }
        return new ScalarDecoderKernels();
    }

    /** System property that, set to {@code scalar}, keeps the decoder off the vector kernels (to compare the two). */
    String PROPERTY = "align4j.decoder.kernels";

    /** Whether this implementation runs at full speed here (the vector one needs 256-bit vectors in hardware). */
    boolean usable();

    /** Columns of a {@link #pack packed} matrix's panel: two vectors, the width of the products' register blocks. */
    int PANEL = 16;

    /**
     * W [in][n] (row k the k-th input's weights) in column panels, the layout the products
     * stream: the panel of columns [j₀, j₀ + w), w = min({@value #PANEL}, n − j₀), lies at
     * {@code j₀·in}, row after row, W_{k,j₀+c} at {@code j₀·in + k·w + c}. A panel is one
     * contiguous stream, read front to back once per block of rows, where the [in][n] layout
     * read 64 bytes of every row of n (a different page each for a wide matrix).
     */
    static float[] pack(float[] inOut, int in, int n) {
        float[] packed = new float[in * n];
        for (int j0 = 0; j0 < n; j0 += PANEL) {
            int w = Math.min(PANEL, n - j0);
            for (int k = 0; k < in; k++) System.arraycopy(inOut, k * n + j0, packed, j0 * in + k * w, w);
        }
        return packed;
    }

    /**
     * {@code Y[s] = X[s] · W} for slots {@code slots[0, count)}, X rows of {@code in} floats at
     * {@code s·in}, Y rows of {@code n} at {@code s·n}, W {@link #pack packed}.
     */
    default void multiply(float[] x, float[] weight, int in, int n, float[] y, int[] slots, int count) {
        multiply(x, weight, in, n, y, slots, count, 0, n);
    }

    /**
     * Columns [from, to) of {@link #multiply(float[], float[], int, int, float[], int[], int)};
     * {@code from} a multiple of {@value #PANEL}, {@code to} one or n. Each output's arithmetic
     * is the same whatever the range, so threads splitting the columns give the same bits.
     */
    void multiply(float[] x, float[] weight, int in, int n, float[] y, int[] slots, int count, int from, int to);

    /**
     * One head of causal attention over {@code positions} cached positions: {@code query} (already
     * scaled by 1/√d) at {@code queryOffset}; component i of the key at position t at
     * {@code keyOffset + i·keyStride + t} (a key component is a row over positions, so the scores
     * run eight positions a vector); component i of the value at position t at
     * {@code valueOffset + t·d + i} (the head's values are rows over components, so the weighted
     * sum runs eight components a vector and never adds across lanes); the d outputs into
     * {@code out[outOffset, outOffset + d)}; {@code scores} is scratch of at least
     * {@code positions} floats. With room for a whole last vector of positions in the key rows
     * ({@code keyStride}) and the scratch, the vector kernels score it as one.
     */
    void attendHead(float[] query, int queryOffset, int d, float[] keys, int keyOffset, int keyStride, float[] values,
                    int valueOffset, int positions, float[] scores, float[] out, int outOffset);

    /**
     * Llama's gated activation of one row: {@code out[outOffset + j] = silu(g_j) · u_j} for
     * j &lt; hidden, with the gate {@code g_j = gateAndUp[offset + j]} and the up projection
     * {@code u_j = gateAndUp[offset + hidden + j]}, in the fixed arithmetic above;
     * {@code scratch} holds at least {@code hidden} doubles.
     */
    void swiGlu(float[] gateAndUp, int offset, int hidden, float[] out, int outOffset, double[] scratch);

    /** The float32 σ(g) of {@link #swiGlu}: {@code 1 / (1 + e^−g)} in float64 with {@link Math#exp}, rounded once. */
    static float sigmoid(float gate) {
        return (float) (1 / (1 + Math.exp(-gate)));
    }

    /**
     * e^x for x ≤ 0 in float32 (Cephes {@code expf}, within 2 ulp above the clamp): x = n·ln 2 + r
     * with n = round(x·log₂e), |r| ≤ ½ ln 2, e^r = 1 + r + r²·P(r), times 2ⁿ built from the
     * exponent bits of the rounded {@code x·log₂e + 1.5·2²³}. The vector kernels run these
     * operations lane by lane.
     */
    static float exp(float x) {
        x = Math.max(x, EXP_FLOOR);
        float shifted = x * LOG2E + ROUNDING_MAGIC;
        float n = shifted - ROUNDING_MAGIC;
        float r = Math.fma(n, LN2_LOW, Math.fma(n, -LN2_HIGH, x));
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5);
        float e = Math.fma(p, r * r, r) + 1f;
        return e * Float.intBitsToFloat((Float.floatToRawIntBits(shifted) + 127) << 23);
    }

    /**
     * Columns [j₀ + from, j₀ + w) of one row of {@link #multiply}, the panel at j₀ of width w,
     * one column at a time (the part of a panel too narrow for a vector):
     * {@code y[yOffset + j] = Σ_k x[xOffset + k]·W_kj} in rising k.
     */
    static void panelColumnsOneByOne(float[] x, int xOffset, float[] weight, int in, int j0, int w, float[] y, int yOffset, int from) {
        for (int c = from; c < w; c++) {
            float a = 0;
            for (int k = 0, at = j0 * in + c; k < in; k++, at += w) a = Math.fma(x[xOffset + k], weight[at], a);
            y[yOffset + j0 + c] = a;
        }
    }

    /**
     * Scores of positions [from, to) one position at a time (the part of a head's positions too
     * short for a vector), into {@code scores}; returns the largest of them and {@code max}.
     */
    static float scoresOneByOne(float[] query, int queryOffset, int d, float[] keys, int keyOffset, int keyStride, int from, int to,
                                float[] scores, float max) {
        for (int t = from; t < to; t++) {
            float s = 0;
            for (int i = 0; i < d; i++) s = Math.fma(query[queryOffset + i], keys[keyOffset + i * keyStride + t], s);
            scores[t] = s;
            max = Math.max(max, s);
        }
        return max;
    }

    /** The fixed sum of {@value #LANES} lanes, {@code ((l₀+l₁)+(l₂+l₃))+((l₄+l₅)+(l₆+l₇))}. */
    static float sumLanes(float[] l) {
        return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
    }
}
