package io.align4j.generate;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.CausalLM;
import io.align4j.model.BlockFeatures;
import io.align4j.model.Linear;
import io.align4j.model.ModelConfig;
import io.align4j.model.ScalarOps;
import io.align4j.model.Transformer;
import io.align4j.model.TransformerWeights;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decoding of small float32 models in plain Java: the same function as the engine forward of
 * {@link io.align4j.model.Transformer} (for the blocks {@link #supports} accepts) with a KV cache, computed one
 * token at a time the way llama2.c's {@code run.c} does. For a model of a few million parameters
 * a decoding step on the engine is a few hundred tiny calls whose overhead dwarfs their
 * arithmetic; here each step is a handful of loops over float arrays with no allocation.
 *
 * <p>The parameters are copied into the decoder's own arrays ({@link #of}); the sampler keeps one
 * decoder per model and rewrites those arrays with the current parameters before each call
 * ({@link #sampleWith}), so an online trainer's rollouts allocate no copy of the model. Linear
 * weights are stored transposed, [in][out], in panels of sixteen columns
 * ({@link DecoderKernels#pack}), so eight neighbouring outputs are one contiguous vector of each
 * weight row and a panel is one contiguous stream. The inner loops are
 * {@link DecoderKernels}: with {@code --add-modules jdk.incubator.vector} (bin/align4j, the
 * tests and bin/jmh pass it) a register-blocked product, six (or four) rows × sixteen outputs
 * held in FMA accumulators down all of k so each weight vector loaded feeds six FMAs and y is
 * stored once, the group's blocks taking one panel at a time, and attention eight positions a
 * vector with a vector {@code exp}; without the module, the same arithmetic lane by lane in
 * plain Java. Attention and the {@code y += x_k·W_k} loop,
 * which loaded and stored y for every four k, were where the time went before these kernels
 * (the profile is in the README, "Measured").
 *
 * <p>Rows are independent: each runs at its own positions with its own KV cache and its own
 * random stream. A thread decodes a group of rows together so each weight block is loaded
 * once per step for the group, and threads take whole groups from a shared counter, never
 * synchronising per token. The token choice is {@link TokenChoice}, the same code the engine
 * sampler runs.
 */
public final class JavaDecoder {
    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    /**
     * Most rows a thread decodes together. Their activations stay in L1 and L2 alongside the
     * weights; their KV caches (655 KiB a row for stories260K at 512 positions) are what the two
     * threads' groups must share L3 with, so 8 rather than 16 (faster at batch 64; README, "Measured").
     */
    private static final int MAX_GROUP_ROWS = 8;
    /**
     * Most rows a thread decodes together when the weights do not fit in the last-level cache
     * (over {@link #CACHED_WEIGHT_BYTES}): then every group streams all of them from memory at
     * each step, so larger groups read them fewer times per token; batch 64 on two cores is two
     * groups of 32, each panel read from memory once per step and thread and reused from the
     * core's L2 cache by the six-row and four-row blocks of its group (4 × 6 + 2 × 4).
     */
    private static final int MAX_STREAMED_GROUP_ROWS = 32;
    /** Weights (bytes) above which a model counts as streamed from memory rather than cached: half a 32 MiB L3. */
    private static final long CACHED_WEIGHT_BYTES = 16L << 20;
    /** The inner loops, on {@code jdk.incubator.vector} where the JVM has it, else in plain Java with the same bits. */
    private static final DecoderKernels KERNELS = DecoderKernels.best();
    /**
     * Weights of the smallest product a {@link ColumnTeam} splits among threads (256 KiB): a
     * smaller one streams from cache in a few microseconds, about what handing it out costs.
     */
    private static final long TEAM_MIN_WEIGHTS = 1 << 16;

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
    /** Weights of the largest product of a step (decides whether a lone group splits its columns among threads). */
    private final long largestProduct;
    /** Floats of all the matrices, norms and biases a step reads (the embedding: one row). */
    private final long streamedWeights;
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
        TransformerWeights weights = ((Transformer) model).weights();
        llama = config.rope() != null;
        dim = config.dim();
        headDim = config.headDim();
        kvDim = config.kvDim();
        hidden = config.hiddenDim();
        vocab = config.vocabSize();
        heads = config.nHeads();
        group = config.nHeads() / config.nKvHeads();
        layers = config.nLayers();
        eps = (float) config.normEps();
        blocks = new Block[layers];
        tokenEmbedding = like(weights.tokenEmbedding());
        positionEmbedding = like(weights.positionEmbedding());
        for (int l = 0; l < layers; l++) {
            TransformerWeights.Block b = weights.blocks().get(l);
            List<Linear> qkv = qkvLayers(b.attention().qkv()), up = upLayers(b.mlp()), down = List.of(downLayer(b.mlp())),
                    out = List.of(b.attention().output());
            blocks[l] = new Block(like(b.attentionNorm().weight()), like(b.attentionNorm().bias()), matrixLike(qkv), biasesLike(qkv),
                    matrixLike(out), biasesLike(out), like(b.mlpNorm().weight()), like(b.mlpNorm().bias()), matrixLike(up),
                    biasesLike(up), matrixLike(down), biasesLike(down));
        }
        finalNormWeight = like(weights.finalNorm().weight());
        finalNormBias = like(weights.finalNorm().bias());
        classifier = matrixLike(List.of(weights.classifier()));
        load(weights);
        int upWidth = llama ? 2 * hidden : hidden;
        long weightFloats = (long) finalNormWeight.length + classifier.length + (finalNormBias == null ? 0 : finalNormBias.length);
        for (Block b : blocks)
            for (float[] a : new float[][] {b.norm1Weight(), b.norm1Bias(), b.qkv(), b.qkvBias(), b.out(), b.outBias(), b.norm2Weight(),
                    b.norm2Bias(), b.up(), b.upBias(), b.down(), b.downBias()})
                if (a != null) weightFloats += a.length;
        streamedWeights = weightFloats;
        largestProduct = Math.max(Math.max((long) dim * (dim + 2 * kvDim), (long) dim * upWidth), Math.max((long) hidden * dim,
                (long) dim * vocab));
        if (llama) {
            int half = headDim / 2;
            double[] inverse = config.rope().inverseFrequencies(config.maxSeqLen() - 1);
            ropeCos = new float[config.maxSeqLen() * half];
            ropeSin = new float[config.maxSeqLen() * half];
            for (int i = 0; i < half; i++) {
                float inverseFrequency = (float) inverse[i];
                for (int pos = 0; pos < config.maxSeqLen(); pos++) {
                    float angle = pos * inverseFrequency;
                    ropeCos[pos * half + i] = (float) Math.cos(angle);
                    ropeSin[pos * half + i] = (float) Math.sin(angle);
                }
            }
        } else {
            ropeCos = null;
            ropeSin = null;
        }
    }

    /**
     * A decoder over a copy of the model's current parameters (later optimiser steps do not
     * reach it). Costs one host copy of the parameters, each matrix transposed and packed.
     *
     * @throws IllegalArgumentException when the model is not one {@link #supports} accepts
     */
    public static JavaDecoder of(CausalLM model) {
        if (!supports(model))
            throw new IllegalArgumentException("the Java decoder needs float32 parameters on the CPU and a block it implements; "
                    + model.config().family() + " with " + model.config().features() + " decodes on the engine");
        return new JavaDecoder(model);
    }

    /** Most models whose decoders {@link #sampleWith} keeps: a trainer's policy, and an evaluation's few policies. */
    private static final int KEPT_DECODERS = 3;
    /** Decoders {@link #sampleWith} keeps, most recently used first; a model is held weakly and matched by identity. */
    private static final List<Kept> KEPT = new ArrayList<>();

    private record Kept(java.lang.ref.WeakReference<CausalLM> model, JavaDecoder decoder) {}

    /**
     * {@code sampling} run on a decoder over the model's current parameters: the decoder this
     * method last used for the same model (the same object), its arrays overwritten with the
     * parameters as they are now, or a new one the first time. An online trainer samples after
     * every optimiser step; a new decoder each time would allocate a copy of the model per
     * rollout (540 MB at 135M parameters) for the garbage collector to find, where one copy kept
     * per model is rewritten in place. Calls for one model are serialised (they share the arrays).
     */
    public static <T> T sampleWith(CausalLM model, java.util.function.Function<JavaDecoder, T> sampling) {
        JavaDecoder decoder = null;
        synchronized (KEPT) {
            KEPT.removeIf(k -> k.model().get() == null);
            for (int i = 0; i < KEPT.size() && decoder == null; i++)
                if (KEPT.get(i).model().get() == model) decoder = KEPT.remove(i).decoder();
            boolean fresh = decoder == null;
            if (fresh) decoder = of(model);
            KEPT.add(0, new Kept(new java.lang.ref.WeakReference<>(model), decoder));
            while (KEPT.size() > KEPT_DECODERS) KEPT.remove(KEPT.size() - 1);
            if (!fresh) decoder.stale = true;
        }
        synchronized (decoder) {
            if (decoder.stale) decoder.load(((Transformer) model).weights());
            decoder.stale = false;
            return sampling.apply(decoder);
        }
    }

    /** Whether {@link #sampleWith} must reread the parameters before decoding. */
    private boolean stale;

    /**
     * Whether {@link #of} accepts the model: every parameter float32 and on the CPU, dense
     * layers, and a block this decoder computes as {@link Transformer} does: Llama's (RMSNorm,
     * SwiGLU, rotary on the whole head; biases allowed, and q/k/v or gate/up fused or not, so
     * Qwen2 and Phi-3 too) or GPT-2's (LayerNorm, tanh GELU, learned positions). Anything else
     * (a window shorter than the context, soft-capping, q/k norms, partial rotary, parallel
     * residual, (1 + w) norms, ...) is refused, and the sampler decodes it on the engine. Low-rank
     * adapters are merged into the copied weights.
     */
    public static boolean supports(CausalLM model) {
        if (!(model instanceof Transformer t) || !supportsConfig(model.config())) return false;
        for (TransformerWeights.Block b : t.weights().blocks())
            if (qkvLayers(b.attention().qkv()) == null) return false;
        List<Linear> layers = new ArrayList<>(t.weights().blockLinears());
        layers.add(t.weights().classifier());
        if (!layers.stream().allMatch(l -> l instanceof Linear.Dense || l instanceof Linear.LowRank)) return false;
        for (NDArray p : model.parameters().values())
            if (p.getDataType() != DataType.FLOAT32 || p.getDevice().getDeviceType() != Device.Type.CPU) return false;
        return true;
    }

    /** The config half of {@link #supports}. */
    static boolean supportsConfig(ModelConfig c) {
        BlockFeatures f = c.features();
        boolean windowsBite = f.slidingWindows().stream().anyMatch(w -> w > 0 && w < c.maxSeqLen());
        boolean common = !f.qkNorm() && !f.parallelResidual() && !f.sandwichNorms() && f.embeddingScale() == 1
                && f.queryScale() == 1 / Math.sqrt(c.headDim()) && !windowsBite && f.attentionSoftcap() <= 0
                && f.finalSoftcap() <= 0 && c.queryDim() == c.dim();
        boolean llamaBlock = c.rope() != null && c.rope().rotaryDim() == c.headDim() && !c.rope().dependsOnLength()
                && f.norm() == BlockFeatures.Norm.RMS && f.activation() == BlockFeatures.Activation.SILU && f.gatedMlp();
        boolean gpt2Block = c.rope() == null && f.norm() == BlockFeatures.Norm.LAYER
                && f.activation() == BlockFeatures.Activation.GELU_TANH && !f.gatedMlp();
        return common && (llamaBlock || gpt2Block);
    }

    /** The layers whose outputs, side by side, are [q | k | v]; null for a layout this decoder does not read. */
    private static List<Linear> qkvLayers(TransformerWeights.QkvProjection qkv) {
        if (qkv instanceof TransformerWeights.QkvProjection.Separate s) return List.of(s.q(), s.k(), s.v());
        if (qkv instanceof TransformerWeights.QkvProjection.Fused f) return List.of(f.qkv());
        return null;
    }

    /** The layers whose outputs, side by side, are the MLP's input projection: [gate | up] or [up]. */
    private static List<Linear> upLayers(TransformerWeights.Mlp mlp) {
        if (mlp instanceof TransformerWeights.Mlp.Gated g) return List.of(g.gate(), g.up());
        if (mlp instanceof TransformerWeights.Mlp.FusedGated f) return List.of(f.gateUp());
        return List.of(((TransformerWeights.Mlp.Plain) mlp).up());
    }

    private static Linear downLayer(TransformerWeights.Mlp mlp) {
        if (mlp instanceof TransformerWeights.Mlp.Gated g) return g.down();
        if (mlp instanceof TransformerWeights.Mlp.FusedGated f) return f.down();
        return ((TransformerWeights.Mlp.Plain) mlp).down();
    }

    public ModelConfig config() { return config; }

    /** Floats a decoding step reads for each group of rows: every matrix, norm and bias once (of the embedding, one row a row). */
    public long streamedWeights() { return streamedWeights; }

    /**
     * Same contract and results as {@link Sampler#generate}. The rows are cut into groups of at
     * most {@link #MAX_GROUP_ROWS} (about a thread's share); worker threads take whole groups,
     * and a group decodes its rows together, one position per step, so every weight matrix is
     * read once per step for all of them. A row's arithmetic does not depend on its group or
     * thread, so a batch gives each row bitwise what it gives alone.
     */
    public List<Generation> generate(List<int[]> prompts, SamplingConfig sampling) {
        return generate(prompts, sampling, 0);
    }

    /** {@link #generate} of rows {@code firstRow, …} of a larger batch (see {@link Sampler#generate(CausalLM, List, SamplingConfig, long)}). */
    public List<Generation> generate(List<int[]> prompts, SamplingConfig sampling, long firstRow) {
        Sampler.checkPrompts(prompts, config.maxSeqLen());
        int rows = prompts.size();
        if (rows == 0) return List.of();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        int capacity = (int) Math.min(config.maxSeqLen(), (long) longest + sampling.maxNewTokens());
        int maxGroupRows = 4 * streamedWeights > CACHED_WEIGHT_BYTES ? MAX_STREAMED_GROUP_ROWS : MAX_GROUP_ROWS;
        int groupRows = Math.min(maxGroupRows, (rows + THREADS - 1) / THREADS);
        int groups = (rows + groupRows - 1) / groupRows;
        Generation[] out = new Generation[rows];
        AtomicInteger nextGroup = new AtomicInteger();
        // A lone group on a machine with more cores: the cores split the columns of its products.
        boolean team = groups == 1 && THREADS > 1 && largestProduct >= TEAM_MIN_WEIGHTS;
        try (ColumnTeam columnTeam = team ? new ColumnTeam(KERNELS, THREADS, Pool.EXECUTOR) : null) {
            Runnable worker = () -> {
                Workspace w = new Workspace(groupRows, capacity, sampling);
                w.team = columnTeam;
                for (int g = nextGroup.getAndIncrement(); g < groups; g = nextGroup.getAndIncrement())
                    decodeGroup(prompts, g * groupRows, Math.min(rows, (g + 1) * groupRows), sampling, firstRow, w, out);
            };
            runWorkers(team ? 1 : Math.min(THREADS, groups), worker);
        }
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

    /**
     * Rows {@code [from, to)} in workspace slots 0..: each step feeds every unfinished row its
     * next token (a prompt token, or the one it drew last) at its own next position; a row whose
     * prompt is consumed draws a token from its logits with its own random stream, and leaves
     * the step set at a stop id or a limit.
     */
    private void decodeGroup(List<int[]> prompts, int from, int to, SamplingConfig sampling, long firstRow, Workspace w, Generation[] out) {
        int count = to - from, maxNew = sampling.maxNewTokens();
        int[][] tokens = new int[count][maxNew];
        double[][] logProbs = new double[count][maxNew];
        int[] produced = new int[count], position = new int[count], feed = new int[count], active = new int[count];
        SplittableRandom[] random = new SplittableRandom[count];
        for (int s = 0; s < count; s++) {
            active[s] = s;
            random[s] = Sampler.rowRandom(sampling.seed(), firstRow + from + s);
            if (maxNew == 0) out[from + s] = new Generation(prompts.get(from + s).clone(), new int[0], new double[0], Generation.Finish.LENGTH);
        }
        int activeCount = maxNew == 0 ? 0 : count;
        while (activeCount > 0) {
            boolean anyLogits = false;
            for (int i = 0; i < activeCount; i++) {
                int s = active[i];
                int[] prompt = prompts.get(from + s);
                feed[s] = position[s] < prompt.length ? prompt[position[s]] : tokens[s][produced[s] - 1];
                anyLogits |= position[s] >= prompt.length - 1;
            }
            step(w, active, activeCount, feed, position, anyLogits);
            int kept = 0;
            for (int i = 0; i < activeCount; i++) {
                int s = active[i];
                int[] prompt = prompts.get(from + s);
                if (position[s]++ < prompt.length - 1) {
                    active[kept++] = s;
                    continue;
                }
                for (int v = 0; v < vocab; v++) w.logits64[v] = w.logits[s * vocab + v];
                int token = w.choice.choose(w.logits64, 0, random[s]);
                tokens[s][produced[s]] = token;
                logProbs[s][produced[s]] = w.choice.logProbOfChoice(w.logits64, 0, token);
                produced[s]++;
                Generation.Finish finish = Sampler.contains(sampling.stopIds(), token) ? Generation.Finish.STOP
                        : produced[s] >= maxNew || prompt.length + produced[s] > config.maxSeqLen() ? Generation.Finish.LENGTH : null;
                if (finish == null) active[kept++] = s;
                else out[from + s] = new Generation(prompt.clone(), Arrays.copyOf(tokens[s], produced[s]),
                        Arrays.copyOf(logProbs[s], produced[s]), finish);
            }
            activeCount = kept;
        }
    }

    /**
     * One decoding step of one token per row: workspace slot {@code slots[i]}, i &lt; {@code count},
     * is fed {@code tokens[slot]} at {@code positions[slot]} (its earlier positions must be in the
     * slot's cache), appends its keys and values and, when asked, leaves next-token logits in
     * the slot's row of the logits buffer.
     */
    private void step(Workspace w, int[] slots, int count, int[] tokens, int[] positions, boolean logits) {
        for (int i = 0; i < count; i++) {
            int s = slots[i], pos = positions[s];
            System.arraycopy(tokenEmbedding, tokens[s] * dim, w.x, s * dim, dim);
            if (!llama) for (int j = 0; j < dim; j++) w.x[s * dim + j] += positionEmbedding[pos * dim + j];
        }
        int qkvWidth = dim + 2 * kvDim;
        for (int l = 0; l < layers; l++) {
            Block b = blocks[l];
            for (int i = 0; i < count; i++) normalise(w.x, slots[i] * dim, b.norm1Weight, b.norm1Bias, w.normed);
            multiply(w, w.normed, b.qkv, dim, qkvWidth, b.qkvBias, w.qkv, slots, count);
            for (int i = 0; i < count; i++) {
                int s = slots[i], pos = positions[s], q = s * qkvWidth;
                if (llama) {
                    for (int h = 0; h < heads; h++) rotate(w.qkv, q + h * headDim, pos);
                    for (int h = 0; h < config.nKvHeads(); h++) rotate(w.qkv, q + dim + h * headDim, pos);
                }
                attend(w, l, s, pos);
            }
            multiply(w, w.attended, b.out, dim, dim, b.outBias, w.projected, slots, count);
            addResidual(w, slots, count);

            for (int i = 0; i < count; i++) normalise(w.x, slots[i] * dim, b.norm2Weight, b.norm2Bias, w.normed);
            int upWidth = llama ? 2 * hidden : hidden;
            multiply(w, w.normed, b.up, dim, upWidth, b.upBias, w.up, slots, count);
            for (int i = 0; i < count; i++) {
                int up = slots[i] * upWidth, act = slots[i] * hidden;
                if (llama) {
                    KERNELS.swiGlu(w.up, up, hidden, w.activated, act, w.activationScratch);
                } else {
                    for (int j = 0; j < hidden; j++) {
                        double u = w.up[up + j];
                        w.activated[act + j] = (float) (0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u))));
                    }
                }
            }
            multiply(w, w.activated, b.down, hidden, dim, b.downBias, w.projected, slots, count);
            addResidual(w, slots, count);
        }
        if (!logits) return;
        for (int i = 0; i < count; i++) normalise(w.x, slots[i] * dim, finalNormWeight, finalNormBias, w.normed);
        multiply(w, w.normed, classifier, dim, vocab, null, w.logits, slots, count);
    }

    private void addResidual(Workspace w, int[] slots, int count) {
        for (int i = 0; i < count; i++)
            for (int j = slots[i] * dim, end = j + dim; j < end; j++) w.x[j] += w.projected[j];
    }

    /**
     * Causal attention of slot {@code s}'s newest query over its positions 0..pos after storing
     * the new key and value: {@code softmax(q·k_t / √d) · v_t} per head, query head h reading
     * key/value head h / group ({@link DecoderKernels#attendHead}).
     *
     * <p>The cache keeps, per slot and layer, each key component as a row over positions
     * ([kvDim][capacity]), so the scores read contiguous memory eight positions a vector, and
     * each head's values position by position ([kvHeads][capacity][headDim]), so the weighted
     * sum reads a value's components contiguously and adds eight of them a vector.
     */
    private void attend(Workspace w, int layer, int s, int pos) {
        int capacity = w.capacity, q = s * (dim + 2 * kvDim), base = s * kvDim * capacity;
        float[] keys = w.keys[layer], values = w.values[layer], query = w.scaledQuery;
        for (int c = 0; c < kvDim; c++) keys[base + c * capacity + pos] = w.qkv[q + dim + c];
        for (int g = 0; g < kvDim; g += headDim)
            System.arraycopy(w.qkv, q + dim + kvDim + g, values, base + g * capacity + pos * headDim, headDim);
        float scale = (float) (1 / Math.sqrt(headDim));
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < headDim; i++) query[i] = w.qkv[q + h * headDim + i] * scale;
            int kvHead = (h / group) * headDim * capacity;
            KERNELS.attendHead(query, 0, headDim, keys, base + kvHead, capacity, values, base + kvHead, pos + 1, w.scores, w.attended,
                    s * dim + h * headDim);
        }
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

    /**
     * RMSNorm {@code x / sqrt(mean(x²) + eps) · w} when {@code bias} is null, else LayerNorm
     * {@code (x − μ)/sqrt(σ² + eps) · w + b}, of {@code x[offset, offset + dim)} into the same
     * range of {@code out}.
     */
    private void normalise(float[] x, int offset, float[] weight, float[] bias, float[] out) {
        if (bias == null) {
            float squares = 0;
            for (int i = 0; i < dim; i++) squares += x[offset + i] * x[offset + i];
            float scale = (float) Math.sqrt(squares / dim + eps);
            for (int i = 0; i < dim; i++) out[offset + i] = x[offset + i] / scale * weight[i];
        } else {
            float mean = 0;
            for (int i = 0; i < dim; i++) mean += x[offset + i];
            mean /= dim;
            float variance = 0;
            for (int i = 0; i < dim; i++) variance += (x[offset + i] - mean) * (x[offset + i] - mean);
            float scale = (float) Math.sqrt(variance / dim + eps);
            for (int i = 0; i < dim; i++) out[offset + i] = (x[offset + i] - mean) / scale * weight[i] + bias[i];
        }
    }

    /**
     * {@code Y[s] = X[s] · W (+ bias)} for each of the {@code count} slots ({@link DecoderKernels#multiply}),
     * split among the workspace's team when it has one and the product is large enough.
     */
    private static void multiply(Workspace w, float[] x, float[] weight, int in, int n, float[] bias, float[] y, int[] slots, int count) {
        if (w.team != null && (long) in * n >= TEAM_MIN_WEIGHTS) w.team.multiply(x, weight, in, n, y, slots, count);
        else KERNELS.multiply(x, weight, in, n, y, slots, count);
        if (bias != null)
            for (int i = 0; i < count; i++)
                for (int j = 0; j < n; j++) y[slots[i] * n + j] += bias[j];
    }

    /** {@code y[0, n) = x[0, in) · W} for W {@link #pack packed}, the kernel every projection runs (for benchmarks). */
    public static void matvec(float[] x, float[] weight, int in, int n, float[] y) {
        KERNELS.multiply(x, weight, in, n, y, new int[] {0}, 1);
    }

    /** W stored [in][n] in the column panels the decoder's products read ({@link DecoderKernels#pack}). */
    public static float[] pack(float[] inOut, int in, int n) { return DecoderKernels.pack(inOut, in, n); }

    /** Whether this JVM decodes on the vector kernels ({@code --add-modules jdk.incubator.vector}, 256-bit vectors). */
    public static boolean vectorKernels() { return !(KERNELS instanceof ScalarDecoderKernels); }

    /**
     * Buffers and KV caches of {@code rows} slots of at most {@code capacity} positions, one per
     * worker thread; slot s owns rows s of every buffer and its own cache, keys laid out
     * [slot][kvDim][capacity] and values [slot][kvHeads][capacity][headDim]. The capacity is
     * rounded up to whole vectors of positions, so the last part-vector scores as a whole one.
     */
    public final class Workspace {
        final int capacity;
        final float[] x, normed, qkv, attended, projected, up, activated, logits;
        final double[] logits64 = new double[vocab], activationScratch = new double[hidden];
        final float[] scores, scaledQuery = new float[headDim];
        final float[][] keys = new float[layers][], values = new float[layers][];
        final TokenChoice choice;
        /** Threads splitting this workspace's products, or null. */
        ColumnTeam team;

        Workspace(int rows, int capacity, SamplingConfig sampling) {
            capacity = (capacity + DecoderKernels.LANES - 1) / DecoderKernels.LANES * DecoderKernels.LANES;
            this.capacity = capacity;
            x = new float[rows * dim];
            normed = new float[rows * dim];
            qkv = new float[rows * (dim + 2 * kvDim)];
            attended = new float[rows * dim];
            projected = new float[rows * dim];
            up = new float[rows * 2 * hidden];
            activated = new float[rows * hidden];
            logits = new float[rows * vocab];
            scores = new float[capacity];
            for (int l = 0; l < layers; l++) {
                keys[l] = new float[rows * kvDim * capacity];
                values[l] = new float[rows * kvDim * capacity];
            }
            choice = new TokenChoice(sampling, vocab);
        }
    }

    /** A one-slot workspace for driving {@link #forward} directly, with a cache of {@code capacity} positions. */
    public Workspace workspace(int capacity) { return new Workspace(1, capacity, SamplingConfig.greedy(1)); }

    /**
     * One decoding step of a single row in a {@link #workspace}: feeds {@code token} at
     * {@code pos} (positions 0..pos−1 must already be in the cache) and, when asked, leaves the
     * next-token logits in {@link #logits(Workspace)}. For benchmarks and callers that drive
     * decoding themselves; {@link #generate} is the usual entry.
     */
    public void forward(int token, int pos, Workspace w, boolean logits) {
        step(w, new int[] {0}, 1, new int[] {token}, new int[] {pos}, logits);
    }

    /** Next-token logits of slot 0 left by the last {@link #forward} into {@code w} (a live buffer). */
    public float[] logits(Workspace w) { return w.logits; }

    /**
     * Overwrites this decoder's arrays with the parameters of {@code weights} (the shapes it was
     * built for): vectors copied as they are, matrices transposed, placed side by side and packed,
     * low-rank adapters merged.
     */
    private void load(TransformerWeights weights) {
        read(weights.tokenEmbedding(), tokenEmbedding);
        read(weights.positionEmbedding(), positionEmbedding);
        for (int l = 0; l < layers; l++) {
            TransformerWeights.Block b = weights.blocks().get(l);
            Block into = blocks[l];
            List<Linear> qkv = qkvLayers(b.attention().qkv()), up = upLayers(b.mlp()), down = List.of(downLayer(b.mlp())),
                    out = List.of(b.attention().output());
            read(b.attentionNorm().weight(), into.norm1Weight());
            read(b.attentionNorm().bias(), into.norm1Bias());
            packSideBySide(qkv, into.qkv());
            readBiases(qkv, into.qkvBias());
            packSideBySide(out, into.out());
            readBiases(out, into.outBias());
            read(b.mlpNorm().weight(), into.norm2Weight());
            read(b.mlpNorm().bias(), into.norm2Bias());
            packSideBySide(up, into.up());
            readBiases(up, into.upBias());
            packSideBySide(down, into.down());
            readBiases(down, into.downBias());
        }
        read(weights.finalNorm().weight(), finalNormWeight);
        read(weights.finalNorm().bias(), finalNormBias);
        packSideBySide(List.of(weights.classifier()), classifier);
    }

    /** An array the size of {@code a}, or null for a missing one (a bias a family has not). */
    private static float[] like(NDArray a) { return a == null ? null : new float[Math.toIntExact(a.size())]; }

    /** An array for layers' weights side by side, [in][Σ out]. */
    private static float[] matrixLike(List<Linear> layers) {
        return new float[Math.multiplyExact(layers.get(0).inFeatures(), layers.stream().mapToInt(Linear::outFeatures).sum())];
    }

    /** An array for layers' biases side by side, or null when none has one. */
    private static float[] biasesLike(List<Linear> layers) {
        return layers.stream().allMatch(l -> l.bias() == null) ? null : new float[layers.stream().mapToInt(Linear::outFeatures).sum()];
    }

    /** The floats of {@code a} in row-major order, read from the engine's memory without an intermediate array. */
    private static FloatBuffer floatsOf(NDArray a) {
        return a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Copies {@code a} into {@code into}; nothing when {@code a} is null. */
    private static void read(NDArray a, float[] into) {
        if (a != null) floatsOf(a).get(0, into, 0, into.length);
    }

    /** Layers' biases side by side into {@code into} (null when none has one), zeros for a layer without. */
    private static void readBiases(List<Linear> layers, float[] into) {
        if (into == null) return;
        int at = 0;
        for (Linear l : layers) {
            if (l.bias() != null) floatsOf(l.bias()).get(0, into, at, l.outFeatures());
            else Arrays.fill(into, at, at + l.outFeatures(), 0f);
            at += l.outFeatures();
        }
    }

    /**
     * Layers' effective weights as [in][out], placed side by side (row k is the concatenation of
     * row k of each), {@link DecoderKernels#pack packed} in column panels, into {@code into}. A
     * low-rank adapted layer is merged first, {@code W + s·B·A} on the engine, so that decoding
     * with adapters costs what decoding without them does.
     */
    private static void packSideBySide(List<Linear> layers, float[] into) {
        int in = layers.get(0).inFeatures(), total = layers.stream().mapToInt(Linear::outFeatures).sum(), column = 0;
        for (Linear layer : layers) {
            int rows = layer.outFeatures();
            if (layer instanceof Linear.Dense dense) {
                packOne(floatsOf(dense.weight()), dense.storedInOut(), in, rows, column, total, into);
            } else {
                Linear.LowRank lora = (Linear.LowRank) layer;
                Linear.Dense base = lora.base();
                try (NDManager scratch = base.weight().getManager().newSubManager()) {
                    NDArray delta = lora.b().matMul(lora.a());
                    delta.attach(scratch);
                    NDArray scaled = ScalarOps.mul(base.storedInOut() ? delta.transpose() : delta, lora.scaling());
                    scaled.attach(scratch);
                    NDArray merged = scaled.add(base.weight());
                    merged.attach(scratch);
                    packOne(floatsOf(merged), base.storedInOut(), in, rows, column, total, into);
                }
            }
            column += rows;
        }
    }

    /**
     * Writes one layer's weight ({@code weight}, [out][in], or [in][out] when {@code inOut}) as
     * columns {@code [column, column + out)} of the packed [in][total] matrix {@code into}.
     */
    private static void packOne(FloatBuffer weight, boolean inOut, int in, int out, int column, int total, float[] into) {
        float[] line = new float[inOut ? out : in];
        if (inOut) {
            for (int k = 0; k < in; k++) {
                weight.get(k * out, line, 0, out);
                for (int r = 0; r < out; r++) {
                    int j = column + r, j0 = j - j % DecoderKernels.PANEL, width = Math.min(DecoderKernels.PANEL, total - j0);
                    into[j0 * in + k * width + j - j0] = line[r];
                }
            }
            return;
        }
        for (int r = 0; r < out; r++) {
            weight.get(r * in, line, 0, in);
            int j = column + r, j0 = j - j % DecoderKernels.PANEL, width = Math.min(DecoderKernels.PANEL, total - j0);
            for (int k = 0, at = j0 * in + j - j0; k < in; k++, at += width) into[at] = line[k];
        }
    }
}
