package io.align4j.generate;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fixed-length sampling and scoring of many rows in large batches. Rows are cut into chunks of
 * {@code batch}; chunk c samples with seed {@code mix(seed, c)}, and the sampler gives every
 * row of a chunk its own stream, so a result depends only on (seed, batch, row index).
 */
public final class BatchSampling {
    private BatchSampling() {}

    /** Sequence log-probs and mean per-token entropy of responses under a model. */
    public record Scored(double[] logProbs, double[] meanEntropy) {}

    /** A seed for stream {@code stream} of {@code seed} (SplitMix64 of their combination). */
    public static long mix(long seed, long stream) {
        return new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (stream + 1))).nextLong();
    }

    /**
     * Exactly {@code length} new tokens for every row at temperature 1, never generating an id in
     * {@code suppressIds} (BOS and EOS, so no row ends early). Each generation's log-probs are under
     * the unsuppressed model.
     */
    public static List<Generation> sample(CausalLM model, List<int[]> rows, int length, int[] suppressIds, long seed, int batch) {
        return sample(model, rows, length, suppressIds, seed, batch, 0);
    }

    /**
     * {@link #sample} of rows {@code firstRow, firstRow + 1, …} of a larger list: global row g is
     * row {@code g mod batch} of chunk {@code g / batch}, whatever shard it arrives in, so shards
     * of a list sampled apart (on a cluster) give bitwise what the whole list gives here.
     */
    public static List<Generation> sample(CausalLM model, List<int[]> rows, int length, int[] suppressIds, long seed, int batch,
                                          long firstRow) {
        return sample(model, rows, length, suppressIds, seed, batch, firstRow, 1);
    }

    /** {@link #sample(CausalLM, List, int, int[], long, int, long)} at {@code temperature} (the logits divided by it) instead of 1. */
    public static List<Generation> sample(CausalLM model, List<int[]> rows, int length, int[] suppressIds, long seed, int batch,
                                          long firstRow, double temperature) {
        List<Generation> out = new ArrayList<>(rows.size());
        for (int from = 0; from < rows.size(); ) {
            long global = firstRow + from, chunk = global / batch;
            int to = (int) Math.min(rows.size(), (chunk + 1) * batch - firstRow);
            SamplingConfig config = new SamplingConfig(temperature, 0, 1, length, new int[0], suppressIds, mix(seed, chunk));
            out.addAll(Sampler.generate(model, rows.subList(from, to), config, global % batch));
            from = to;
        }
        return out;
    }

    /** ln π(response | prompt) and the mean next-token entropy over the response, row by row. */
    public static Scored score(CausalLM model, List<int[]> prompts, List<int[]> responses, int padId, int batch) {
        int n = prompts.size();
        double[] logProbs = new double[n], entropy = new double[n];
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            try (NDManager step = model.manager().newSubManager()) {
                ResponseBatch b = ResponseBatch.rightPadded(step, prompts.subList(from, to), responses.subList(from, to), padId);
                SequenceScorer.Scores s = SequenceScorer.score(model, b);
                System.arraycopy(s.sequenceLogProbs().toType(DataType.FLOAT64, false).toDoubleArray(), 0, logProbs, from, to - from);
                System.arraycopy(s.meanEntropy().toType(DataType.FLOAT64, false).toDoubleArray(), 0, entropy, from, to - from);
            }
        }
        return new Scored(logProbs, entropy);
    }
}
