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
     * Continues each prompt (at least one token each, e.g. BOS) per {@code config}. A row ends at
     * a stop id, after {@code maxNewTokens}, or when the model's context is full.
     */
    public static List<Generation> generate(CausalLM model, List<int[]> prompts, SamplingConfig config) {
        int rows = prompts.size();
        int contextLength = model.config().maxSeqLen();
        int longest = 0;
        for (int b = 0; b < rows; b++) {
            if (prompts.get(b).length == 0) throw new IllegalArgumentException("prompt " + b + " is empty; start it with BOS");
            if (prompts.get(b).length > contextLength)
                throw new IllegalArgumentException("prompt " + b + " has " + prompts.get(b).length + " tokens; the context is " + contextLength);
            longest = Math.max(longest, prompts.get(b).length);
        }
        List<List<Integer>> tokens = new ArrayList<>();
        List<List<Double>> logProbs = new ArrayList<>();
        Generation.Finish[] finish = new Generation.Finish[rows];
        SplittableRandom[] random = new SplittableRandom[rows];
        for (int b = 0; b < rows; b++) {
            tokens.add(new ArrayList<>());
            logProbs.add(new ArrayList<>());
            random[b] = new SplittableRandom(config.seed() ^ (0x9E3779B97F4A7C15L * (b + 1)));
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
            NDArray suppress = suppressionRow(session, model, config.suppressIds());
            int width = longest;
            while (active.length > 0) {
                int batch = active.length;
                int[] chosen;
                double[] chosenLogProbs;
                try (NDManager step = session.newSubManager()) {
                    NDArray ids = step.create(fed, new Shape(batch, width));
                    NDArray pos = step.create(positions, new Shape(batch, width));
                    NDArray mask = attentionMask(step, pads, cache.length() + width);
                    NDArray logits = model.forward(ids, pos, mask, cache).get(new NDIndex(":, -1, :"));
                    NDArray processed = suppress == null ? logits : logits.add(suppress);
                    chosen = choose(processed, config, active, random);
                    NDArray index = step.create(chosen, new Shape(batch, 1)).toType(DataType.INT64, false);
                    chosenLogProbs = logits.logSoftmax(-1).gather(index, -1).toType(DataType.FLOAT64, false).toDoubleArray();
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

    /** [1, vocab] of 0 with −∞ at the suppressed ids, in the model's dtype; null when none. */
    private static NDArray suppressionRow(NDManager m, CausalLM model, int[] suppressIds) {
        if (suppressIds.length == 0) return null;
        double[] row = new double[model.config().vocabSize()];
        for (int id : suppressIds) row[id] = Double.NEGATIVE_INFINITY;
        DataType dtype = model.parameters().values().iterator().next().getDataType();
        return m.create(row, new Shape(1, row.length)).toType(dtype, false);
    }

    /** Next token of each batch row from its processed logits [B, vocab]. */
    private static int[] choose(NDArray logits, SamplingConfig config, int[] active, SplittableRandom[] random) {
        int batch = active.length;
        if (config.temperature() == 0) return logits.argMax(-1).toType(DataType.INT32, false).toIntArray();
        NDArray probs = logits.div(config.temperature()).softmax(-1);
        int vocab = (int) probs.getShape().get(1);
        boolean truncate = config.topK() > 0 || config.topP() < 1;
        NDArray order = truncate ? probs.argSort(-1, false) : null;
        double[] p = (truncate ? probs.gather(order, -1) : probs).toType(DataType.FLOAT64, false).toDoubleArray();
        long[] ids = truncate ? order.toLongArray() : null;
        int[] chosen = new int[batch];
        for (int i = 0; i < batch; i++) {
            int offset = i * vocab;
            int kept = config.topK() > 0 ? Math.min(config.topK(), vocab) : vocab;
            double mass = 0;
            for (int j = 0; j < kept; j++) mass += p[offset + j];
            if (config.topP() < 1) {
                double cumulative = 0;
                int j = 0;
                while (j < kept && cumulative < config.topP() * mass) cumulative += p[offset + j++];
                kept = Math.max(j, 1);
                mass = cumulative > 0 ? cumulative : p[offset];
            }
            double u = random[active[i]].nextDouble() * mass, cumulative = 0;
            int pick = kept - 1;
            for (int j = 0; j < kept; j++) {
                cumulative += p[offset + j];
                if (u < cumulative) {
                    pick = j;
                    break;
                }
            }
            chosen[i] = truncate ? (int) ids[offset + pick] : pick;
        }
        return chosen;
    }

    private static boolean contains(int[] ids, int id) {
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
