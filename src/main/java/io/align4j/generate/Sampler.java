package io.align4j.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.CausalLM;
import io.align4j.model.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched autoregressive generation with a KV cache: one forward over the left-padded prompts,
 * then one forward of a single token per row for every new token. Row b of a prompt of length
 * L_b padded to L has positions {@code max(0, t − (L − L_b))} and an attention mask that hides
 * its padding, so it computes what it would alone. Finished rows leave the batch (and the cache).
 */
public final class Sampler {
    private Sampler() {}

    /**
     * System property that, set to {@code engine}, makes {@link #generate} use the engine path
     * even where the {@link JavaDecoder} applies (to compare the two, or to rule the fast path
     * out), and set to {@code java} uses the Java decoder wherever it applies without measuring.
     */
    public static final String PATH_PROPERTY = "align4j.sampler";

    /**
     * Continues each prompt (at least one token each, e.g. BOS) per {@code config}. A row ends at
     * a stop id, after {@code maxNewTokens}, or when the model's context is full. Models the
     * {@link JavaDecoder} supports (float32 on the CPU, a block it implements) decode on whichever
     * of it and the engine {@link DecodePathChoice} measured faster on this machine (the same function without per-op engine calls; tests hold the two paths to the same
     * tokens), others on the engine.
     */
    public static List<Generation> generate(CausalLM model, List<int[]> prompts, SamplingConfig config) {
        return generate(model, prompts, config, 0);
    }

    /**
     * {@link #generate} of rows {@code firstRow, firstRow + 1, …} of a larger batch: row b draws
     * from the stream of row {@code firstRow + b}, so a batch cut into shards (a distributed
     * rollout) samples bitwise what the whole batch samples in one call.
     */
    public static List<Generation> generate(CausalLM model, List<int[]> prompts, SamplingConfig config, long firstRow) {
        if (usesJavaDecoder(model)) return JavaDecoder.sampleWith(model, decoder -> decoder.generate(prompts, config, firstRow));
        return generateOnEngine(model, prompts, config, firstRow);
    }

    /**
     * Whether {@link #generate} decodes this model on the {@link JavaDecoder} rather than the engine: where the decoder
     * supports the model, the path {@link DecodePathChoice} measured faster on this machine, unless {@link #PATH_PROPERTY}
     * forces one. The same at every batch size, so a batch and its shards decode alike.
     */
    public static boolean usesJavaDecoder(CausalLM model) {
        String forced = System.getProperty(PATH_PROPERTY);
        if ("engine".equals(forced) || !JavaDecoder.supports(model)) return false;
        return "java".equals(forced) || DecodePathChoice.javaFaster(model);
    }

    /** {@link #generate} on the engine's batched forward, whatever the model's dtype and device. */
    public static List<Generation> generateOnEngine(CausalLM model, List<int[]> prompts, SamplingConfig config) {
        return generateOnEngine(model, prompts, config, 0);
    }

    /** {@link #generateOnEngine} of rows {@code firstRow, …} of a larger batch (see {@link #generate(CausalLM, List, SamplingConfig, long)}). */
    public static List<Generation> generateOnEngine(CausalLM model, List<int[]> prompts, SamplingConfig config, long firstRow) {
        checkPrompts(prompts, model.config().maxSeqLen());
        int rows = prompts.size();
        int contextLength = model.config().maxSeqLen();
        int vocab = model.config().vocabSize();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        List<List<Integer>> tokens = new ArrayList<>();
        List<List<Double>> logProbs = new ArrayList<>();
        Generation.Finish[] finish = new Generation.Finish[rows];
        SplittableRandom[] random = new SplittableRandom[rows];
        for (int b = 0; b < rows; b++) {
            tokens.add(new ArrayList<>());
            logProbs.add(new ArrayList<>());
            random[b] = rowRandom(config.seed(), firstRow + b);
        }

        // active[i] = original row of batch row i; pads[i] = its left padding; nextPosition[i] its next position
        int[] active = new int[rows];
        int[] pads = new int[rows];
        int[] nextPosition = new int[rows];
        int[] fed = new int[rows * longest];
        int[] positions = new int[rows * longest];
        for (int b = 0; b < rows; b++) {
            int[] p = prompts.get(b);
            active[b] = b;
            pads[b] = longest - p.length;
            nextPosition[b] = p.length;
            System.arraycopy(p, 0, fed, b * longest + pads[b], p.length);
            for (int t = pads[b]; t < longest; t++) positions[b * longest + t] = t - pads[b];
        }
        if (config.maxNewTokens() == 0) return results(prompts, tokens, logProbs, finishAll(finish, Generation.Finish.LENGTH));

        try (NDManager session = model.manager().newSubManager(); KvCache cache = model.newCache()) {
            TokenChoice choice = new TokenChoice(config, vocab);
            int width = longest;
            while (active.length > 0) {
                int batch = active.length;
                int[] chosen = new int[batch];
                double[] chosenLogProbs = new double[batch];
                try (NDManager step = session.newSubManager()) {
                    NDArray ids = step.create(fed, new Shape(batch, width));
                    NDArray pos = step.create(positions, new Shape(batch, width));
                    NDArray mask = attentionMask(step, pads, cache.length() + width);
                    double[] logits = model.forward(ids, pos, mask, cache).get(new NDIndex(":, -1, :"))
                            .toType(DataType.FLOAT64, false).toDoubleArray();
                    for (int i = 0; i < batch; i++) {
                        chosen[i] = choice.choose(logits, i * vocab, random[active[i]]);
                        chosenLogProbs[i] = choice.logProbOfChoice(logits, i * vocab, chosen[i]);
                    }
                }
                List<Integer> keep = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    int row = active[i];
                    tokens.get(row).add(chosen[i]);
                    logProbs.get(row).add(chosenLogProbs[i]);
                    nextPosition[i]++;
                    if (contains(config.stopIds(), chosen[i])) finish[row] = Generation.Finish.STOP;
                    else if (tokens.get(row).size() >= config.maxNewTokens() || nextPosition[i] > contextLength)
                        finish[row] = Generation.Finish.LENGTH;
                    else keep.add(i);
                }
                if (keep.size() < batch && !keep.isEmpty()) cache.keepRows(keep.stream().mapToLong(Integer::longValue).toArray());
                int[] nextActive = new int[keep.size()], nextPads = new int[keep.size()], nextPos = new int[keep.size()];
                fed = new int[keep.size()];
                positions = new int[keep.size()];
                for (int j = 0; j < keep.size(); j++) {
                    int i = keep.get(j);
                    nextActive[j] = active[i];
                    nextPads[j] = pads[i];
                    nextPos[j] = nextPosition[i];
                    fed[j] = chosen[i];
                    positions[j] = nextPosition[i] - 1;
                }
                active = nextActive;
                pads = nextPads;
                nextPosition = nextPos;
                width = 1;
            }
        }
        return results(prompts, tokens, logProbs, finish);
    }

    /** [B, keys] with 0 on each row's left padding, or null when no row is padded. */
    private static NDArray attentionMask(NDManager m, int[] pads, int keys) {
        if (Arrays.stream(pads).allMatch(p -> p == 0)) return null;
        int[] mask = new int[pads.length * keys];
        for (int i = 0; i < pads.length; i++) Arrays.fill(mask, i * keys + pads[i], (i + 1) * keys, 1);
        return m.create(mask, new Shape(pads.length, keys));
    }

    /** Checks every prompt has 1..contextLength tokens. */
    static void checkPrompts(List<int[]> prompts, int contextLength) {
        for (int b = 0; b < prompts.size(); b++) {
            if (prompts.get(b).length == 0) throw new IllegalArgumentException("prompt " + b + " is empty; start it with BOS");
            if (prompts.get(b).length > contextLength)
                throw new IllegalArgumentException("prompt " + b + " has " + prompts.get(b).length + " tokens; the context is " + contextLength);
        }
    }

    /** Row r's random stream for a seed (r counts from the first row of the whole batch); both decoding paths draw from exactly these. */
    static SplittableRandom rowRandom(long seed, long row) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (row + 1)));
    }

    static boolean contains(int[] ids, int id) {
        for (int x : ids) if (x == id) return true;
        return false;
    }

    private static Generation.Finish[] finishAll(Generation.Finish[] finish, Generation.Finish why) {
        Arrays.fill(finish, why);
        return finish;
    }

    private static List<Generation> results(List<int[]> prompts, List<List<Integer>> tokens, List<List<Double>> logProbs,
                                            Generation.Finish[] finish) {
        List<Generation> out = new ArrayList<>();
        for (int b = 0; b < prompts.size(); b++)
            out.add(new Generation(prompts.get(b).clone(), tokens.get(b).stream().mapToInt(Integer::intValue).toArray(),
                    logProbs.get(b).stream().mapToDouble(Double::doubleValue).toArray(), finish[b]));
        return out;
    }
}
