package io.align4j.generate;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decoding of small float32 models in plain Java: the same function as the engine forward of
 * {@link io.align4j.model.Llama} and {@link io.align4j.model.Gpt2} with a KV cache, computed one
 * token at a time the way llama2.c's {@code run.c} does. For a model of a few million parameters
 * a decoding step is a few hundred tiny engine calls of 20–50 µs each, while the arithmetic takes
 * microseconds; here each step is a handful of loops over float arrays with no allocation.
 *
 * <p>The parameters are copied once ({@link #of}); a trainer takes a fresh decoder after each
 * optimiser step. Linear weights are stored transposed, [in][out], so a matrix–vector product
 * is a sequence of {@code y += x_k · W[k, :]} updates over contiguous memory, which the JIT
 * compiles to SIMD instructions (a dot product, being a float reduction, it would not).
 *
 * <p>Rows are independent: each runs at its own positions with its own KV cache and its own
 * random stream, so worker threads take rows from a shared counter and never synchronise per
 * token. The token choice is {@link TokenChoice}, the same code the engine sampler runs.
 */
public final class JavaDecoder {
    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    /** Output columns per pass of {@link #matvec}, so the partial sums stay in L1. */
    private static final int COLUMN_BLOCK = 1024;

    private final ModelConfig config;
    private final boolean llama;
    private final int dim, kvDim, hidden, vocab, heads, headDim, group, layers;
    private final float eps;
    private final float[] tokenEmbedding;
    private final float[] positionEmbedding;
    private final Block[] blocks;
    private final float[] finalNormWeight, finalNormBias;
    /** Classifier [dim][vocab]. */
    private final float[] classifier;
    /** cos θ and sin θ of rotary embeddings, [maxSeqLen][headDim/2], θ_i = pos · ropeTheta^(−2i/headDim). */
    private final float[] ropeCos, ropeSin;

    /**
     * One transformer block. {@code qkv} is [dim][dim + 2·kvDim] (queries, keys, values side by
     * side); {@code up} is [dim][2·hidden] for Llama (gate then up) and [dim][hidden] for GPT-2.
     * Biases and norm biases are null for Llama.
     */
    private record Block(float[] norm1Weight, float[] norm1Bias, float[] qkv, float[] qkvBias, float[] out,
                         float[] outBias, float[] norm2Weight, float[] norm2Bias, float[] up, float[] upBias,
                         float[] down, float[] downBias) {}

    private JavaDecoder(CausalLM model) {
        config = model.config();
        llama = config.arch() == ModelConfig.Arch.LLAMA;
        dim = config.dim();
        headDim = config.headDim();
        kvDim = config.nKvHeads() * headDim;
        hidden = config.hiddenDim();
        vocab = config.vocabSize();
        heads = config.nHeads();
        group = config.nHeads() / config.nKvHeads();
        layers = config.nLayers();
        eps = (float) config.normEps();
        Map<String, NDArray> p = model.parameters();
        blocks = new Block[layers];
        if (llama) {
            tokenEmbedding = values(p, "model.embed_tokens.weight");
            positionEmbedding = null;
            for (int l = 0; l < layers; l++) {
                String n = "model.layers." + l + ".";
                blocks[l] = new Block(values(p, n + "input_layernorm.weight"), null,
                        transposedSideBySide(p, n + "self_attn.q_proj.weight", n + "self_attn.k_proj.weight", n + "self_attn.v_proj.weight"),
                        null, transposedSideBySide(p, n + "self_attn.o_proj.weight"), null,
                        values(p, n + "post_attention_layernorm.weight"), null,
                        transposedSideBySide(p, n + "mlp.gate_proj.weight", n + "mlp.up_proj.weight"), null,
                        transposedSideBySide(p, n + "mlp.down_proj.weight"), null);
            }
            finalNormWeight = values(p, "model.norm.weight");
            finalNormBias = null;
            classifier = transposedSideBySide(p, config.tiedEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
            int half = headDim / 2;
            ropeCos = new float[config.maxSeqLen() * half];
            ropeSin = new float[config.maxSeqLen() * half];
            for (int i = 0; i < half; i++) {
                float inverseFrequency = (float) Math.pow(config.ropeTheta(), -2.0 * i / headDim);
                for (int pos = 0; pos < config.maxSeqLen(); pos++) {
                    float angle = pos * inverseFrequency;
                    ropeCos[pos * half + i] = (float) Math.cos(angle);
                    ropeSin[pos * half + i] = (float) Math.sin(angle);
                }
            }
        } else {
            tokenEmbedding = values(p, "transformer.wte.weight");
            positionEmbedding = values(p, "transformer.wpe.weight");
            for (int l = 0; l < layers; l++) {
                String n = "transformer.h." + l + ".";
                blocks[l] = new Block(values(p, n + "ln_1.weight"), values(p, n + "ln_1.bias"),
                        values(p, n + "attn.c_attn.weight"), values(p, n + "attn.c_attn.bias"),
                        values(p, n + "attn.c_proj.weight"), values(p, n + "attn.c_proj.bias"),
                        values(p, n + "ln_2.weight"), values(p, n + "ln_2.bias"),
                        values(p, n + "mlp.c_fc.weight"), values(p, n + "mlp.c_fc.bias"),
                        values(p, n + "mlp.c_proj.weight"), values(p, n + "mlp.c_proj.bias"));
            }
            finalNormWeight = values(p, "transformer.ln_f.weight");
            finalNormBias = values(p, "transformer.ln_f.bias");
            classifier = transposedSideBySide(p, "transformer.wte.weight");
            ropeCos = null;
            ropeSin = null;
        }
    }

    /**
     * A decoder over a copy of the model's current parameters (later optimiser steps do not
     * reach it). Costs one host copy of the parameters plus a transposed copy of each matrix.
     *
     * @throws IllegalArgumentException when the model is not float32 on the CPU ({@link #supports})
     */
    public static JavaDecoder of(CausalLM model) {
        if (!supports(model)) throw new IllegalArgumentException("the Java decoder needs float32 parameters on the CPU");
        return new JavaDecoder(model);
    }

    /** Whether {@link #of} accepts the model: every parameter float32 and on the CPU. */
    public static boolean supports(CausalLM model) {
        for (NDArray p : model.parameters().values())
            if (p.getDataType() != DataType.FLOAT32 || p.getDevice().getDeviceType() != Device.Type.CPU) return false;
        return true;
    }

    public ModelConfig config() { return config; }

    /** Same contract and results as {@link Sampler#generate}; rows run in parallel. */
    public List<Generation> generate(List<int[]> prompts, SamplingConfig sampling) {
        Sampler.checkPrompts(prompts, config.maxSeqLen());
        int rows = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        int capacity = (int) Math.min(config.maxSeqLen(), (long) longest + sampling.maxNewTokens());
        Generation[] out = new Generation[rows];
        AtomicInteger nextRow = new AtomicInteger();
        Runnable worker = () -> {
            Workspace w = new Workspace(capacity, sampling);
            for (int row = nextRow.getAndIncrement(); row < rows; row = nextRow.getAndIncrement())
                out[row] = decodeRow(prompts.get(row), sampling, Sampler.rowRandom(sampling.seed(), row), w);
        };
        runWorkers(Math.min(THREADS, rows), worker);
        return Arrays.asList(out);
    }

    private static void runWorkers(int workers, Runnable worker) {
        List<Future<?>> helpers = new ArrayList<>();
        for (int i = 1; i < workers; i++) helpers.add(Pool.EXECUTOR.submit(worker));
        worker.run();
        try {
            for (Future<?> f : helpers) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Daemon worker threads shared by all decoders, created on first use. */
    private static final class Pool {
        static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(Math.max(1, THREADS - 1), r -> {
            Thread t = new Thread(r, "align4j-java-decoder");
            t.setDaemon(true);
            return t;
        });
    }

    /** One row: the prompt through the cache, then one token per step until a stop id or a limit. */
    private Generation decodeRow(int[] prompt, SamplingConfig sampling, SplittableRandom random, Workspace w) {
        int maxNew = sampling.maxNewTokens();
        int[] tokens = new int[maxNew];
        double[] logProbs = new double[maxNew];
        if (maxNew == 0) return new Generation(prompt.clone(), tokens, logProbs, Generation.Finish.LENGTH);
        for (int pos = 0; pos < prompt.length; pos++) forward(prompt[pos], pos, w, pos == prompt.length - 1);
        int produced = 0, nextPosition = prompt.length;
        while (true) {
            for (int i = 0; i < vocab; i++) w.logits64[i] = w.logits[i];
            int token = w.choice.choose(w.logits64, 0, random);
            tokens[produced] = token;
            logProbs[produced] = TokenChoice.logProb(w.logits64, 0, vocab, token);
            produced++;
            nextPosition++;
            Generation.Finish finish = Sampler.contains(sampling.stopIds(), token) ? Generation.Finish.STOP
                    : produced >= maxNew || nextPosition > config.maxSeqLen() ? Generation.Finish.LENGTH : null;
            if (finish != null)
                return new Generation(prompt.clone(), Arrays.copyOf(tokens, produced), Arrays.copyOf(logProbs, produced), finish);
            forward(token, nextPosition - 1, w, true);
        }
    }

    /**
     * One decoding step: feeds {@code token} at {@code pos} (positions 0..pos−1 must already be
     * in {@code w}'s cache), appends its keys and values, and, when asked, leaves the next-token
     * logits in {@link #logits(Workspace)}. Public for benchmarks and callers that drive
     * decoding themselves; {@link #generate} is the usual entry.
     */
    public void forward(int token, int pos, Workspace w, boolean logits) {
        float[] x = w.x;
        System.arraycopy(tokenEmbedding, token * dim, x, 0, dim);
        if (!llama) for (int i = 0; i < dim; i++) x[i] += positionEmbedding[pos * dim + i];
        int qkvWidth = dim + 2 * kvDim;
        for (int l = 0; l < layers; l++) {
            Block b = blocks[l];
            normalise(x, b.norm1Weight, b.norm1Bias, w.normed);
            matvec(w.normed, b.qkv, dim, qkvWidth, w.qkv);
            addBias(w.qkv, b.qkvBias, qkvWidth);
            if (llama) {
                for (int h = 0; h < heads; h++) rotate(w.qkv, h * headDim, pos);
                for (int h = 0; h < config.nKvHeads(); h++) rotate(w.qkv, dim + h * headDim, pos);
            }
            float[] keys = w.keys[l], values = w.values[l];
            System.arraycopy(w.qkv, dim, keys, pos * kvDim, kvDim);
            System.arraycopy(w.qkv, dim + kvDim, values, pos * kvDim, kvDim);
            attend(w, keys, values, pos);
            matvec(w.attended, b.out, dim, dim, w.projected);
            addBias(w.projected, b.outBias, dim);
            for (int i = 0; i < dim; i++) x[i] += w.projected[i];

            normalise(x, b.norm2Weight, b.norm2Bias, w.normed);
            if (llama) {
                matvec(w.normed, b.up, dim, 2 * hidden, w.up);
                for (int i = 0; i < hidden; i++) {
                    float gate = w.up[i];
                    w.activated[i] = gate * (float) (1 / (1 + Math.exp(-gate))) * w.up[hidden + i];
                }
            } else {
                matvec(w.normed, b.up, dim, hidden, w.up);
                addBias(w.up, b.upBias, hidden);
                for (int i = 0; i < hidden; i++) {
                    double u = w.up[i];
                    w.activated[i] = (float) (0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u))));
                }
            }
            matvec(w.activated, b.down, hidden, dim, w.projected);
            addBias(w.projected, b.downBias, dim);
            for (int i = 0; i < dim; i++) x[i] += w.projected[i];
        }
        if (!logits) return;
        normalise(x, finalNormWeight, finalNormBias, w.normed);
        matvec(w.normed, classifier, dim, vocab, w.logits);
    }

    /**
     * Causal attention of the newest query over positions 0..pos of the cache:
     * {@code softmax(q·k_t / √d) · v_t} per head, query head h reading key/value head h / group.
     */
    private void attend(Workspace w, float[] keys, float[] values, int pos) {
        float scale = (float) (1 / Math.sqrt(headDim));
        float[] scores = w.scores, out = w.attended, q = w.scaledQuery;
        Arrays.fill(out, 0f);
        for (int h = 0; h < heads; h++) {
            int qOffset = h * headDim, kvOffset = (h / group) * headDim;
            for (int i = 0; i < headDim; i++) q[i] = w.qkv[qOffset + i] * scale;
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t <= pos; t++) {
                int k = t * kvDim + kvOffset;
                float s = 0;
                for (int i = 0; i < headDim; i++) s += q[i] * keys[k + i];
                scores[t] = s;
                max = Math.max(max, s);
            }
            float sum = 0;
            for (int t = 0; t <= pos; t++) {
                scores[t] = exp(scores[t] - max);
                sum += scores[t];
            }
            for (int t = 0; t <= pos; t++) {
                float a = scores[t] / sum;
                int v = t * kvDim + kvOffset;
                for (int i = 0; i < headDim; i++) out[qOffset + i] += a * values[v + i];
            }
        }
    }

    /**
     * e^x for x ≤ 0 in float32 (Cephes {@code expf}, within 2 ulp): x = n·ln 2 + r with
     * |r| ≤ ½ln 2, e^r from a degree-6 polynomial, times 2ⁿ built from its exponent bits. The
     * softmax of a long context calls it once per cached position and head, where
     * {@code Math.exp} in double costs several times more.
     */
    static float exp(float x) {
        if (x < -103.972f) return 0f;
        int n = Math.round(x * 1.44269504088896341f);
        float r = x - n * 0.693359375f + n * 2.12194440e-4f;
        float r2 = r * r;
        float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
                + 1.6666665459e-1f) * r + 5.0000001201e-1f;
        float e = p * r2 + r + 1f;
        return n < -126 ? e * Float.intBitsToFloat((n + 127 + 64) << 23) * 5.421010862e-20f : e * Float.intBitsToFloat((n + 127) << 23);
    }

    /** Rotate-half RoPE of one head at {@code offset}: (x₁, x₂) → (x₁cos − x₂sin, x₂cos + x₁sin). */
    private void rotate(float[] v, int offset, int pos) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float c = ropeCos[pos * half + i], s = ropeSin[pos * half + i];
            float first = v[offset + i], second = v[offset + half + i];
            v[offset + i] = first * c - second * s;
            v[offset + half + i] = second * c + first * s;
        }
    }

    /** RMSNorm {@code x / sqrt(mean(x²) + eps) · w} when {@code bias} is null, else LayerNorm {@code (x − μ)/sqrt(σ² + eps) · w + b}. */
    private void normalise(float[] x, float[] weight, float[] bias, float[] out) {
        if (bias == null) {
            float squares = 0;
            for (int i = 0; i < dim; i++) squares += x[i] * x[i];
            float scale = (float) Math.sqrt(squares / dim + eps);
            for (int i = 0; i < dim; i++) out[i] = x[i] / scale * weight[i];
        } else {
            float mean = 0;
            for (int i = 0; i < dim; i++) mean += x[i];
            mean /= dim;
            float variance = 0;
            for (int i = 0; i < dim; i++) variance += (x[i] - mean) * (x[i] - mean);
            float scale = (float) Math.sqrt(variance / dim + eps);
            for (int i = 0; i < dim; i++) out[i] = (x[i] - mean) / scale * weight[i] + bias[i];
        }
    }

    private static void addBias(float[] y, float[] bias, int n) {
        if (bias == null) return;
        for (int i = 0; i < n; i++) y[i] += bias[i];
    }

    /**
     * {@code y[0, n) = x[0, in) · W} for W stored [in][n]: for each block of output columns, the
     * rows of W are added to y scaled by x_k, four rows per pass so y is loaded and stored a
     * quarter as often. Each y_j still sums its terms in rising k.
     */
    public static void matvec(float[] x, float[] weight, int in, int n, float[] y) {
        for (int from = 0; from < n; from += COLUMN_BLOCK) {
            int to = Math.min(n, from + COLUMN_BLOCK);
            Arrays.fill(y, from, to, 0f);
            int k = 0;
            for (; k + 3 < in; k += 4) {
                float x0 = x[k], x1 = x[k + 1], x2 = x[k + 2], x3 = x[k + 3];
                int r0 = k * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
                for (int j = from; j < to; j++)
                    y[j] = (((y[j] + x0 * weight[r0 + j]) + x1 * weight[r1 + j]) + x2 * weight[r2 + j]) + x3 * weight[r3 + j];
            }
            for (; k < in; k++) {
                float xk = x[k];
                int r = k * n;
                for (int j = from; j < to; j++) y[j] += xk * weight[r + j];
            }
        }
    }

    /** Per-thread buffers and KV cache for rows of at most {@code capacity} positions; allocated once per call. */
    public final class Workspace {
        final float[] x = new float[dim], normed = new float[dim], qkv = new float[dim + 2 * kvDim];
        final float[] attended = new float[dim], projected = new float[dim];
        final float[] up = new float[2 * hidden], activated = new float[hidden];
        final float[] logits = new float[vocab];
        final double[] logits64 = new double[vocab];
        final float[] scores, scaledQuery = new float[headDim];
        final float[][] keys = new float[layers][], values = new float[layers][];
        final TokenChoice choice;

        Workspace(int capacity, SamplingConfig sampling) {
            scores = new float[capacity];
            for (int l = 0; l < layers; l++) {
                keys[l] = new float[capacity * kvDim];
                values[l] = new float[capacity * kvDim];
            }
            choice = new TokenChoice(sampling, vocab);
        }
    }

    /** A workspace for driving {@link #forward} directly, with caches of {@code capacity} positions. */
    public Workspace workspace(int capacity) { return new Workspace(capacity, SamplingConfig.greedy(1)); }

    /** Next-token logits left by the last {@link #forward} into {@code w} (a live buffer). */
    public float[] logits(Workspace w) { return w.logits; }

    /** The parameter as a flat float array in its stored layout. */
    private static float[] values(Map<String, NDArray> p, String name) {
        return p.get(name).toFloatArray();
    }

    /**
     * Matrices stored [out][in] (Hugging Face linear layers), transposed to [in][out] and placed
     * side by side: row k is the concatenation of row k of each transpose.
     */
    private static float[] transposedSideBySide(Map<String, NDArray> p, String... names) {
        int in = (int) p.get(names[0]).getShape().get(1), total = 0;
        for (String name : names) total += (int) p.get(name).getShape().get(0);
        float[] out = new float[in * total];
        int column = 0;
        for (String name : names) {
            Shape s = p.get(name).getShape();
            int rows = (int) s.get(0);
            float[] w = values(p, name);
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < in; k++) out[k * total + column + r] = w[r * in + k];
            column += rows;
        }
        return out;
    }
}
