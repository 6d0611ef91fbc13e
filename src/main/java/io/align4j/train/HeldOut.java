package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.data.TokenizedPair;
import io.align4j.model.ResponseBatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Pieces the tasks share: held-out metric averaging and the one-pass pair batch. */
final class HeldOut {
    private HeldOut() {}

    /** Metrics of the examples {@code [from, to)}, each a batch mean. */
    @FunctionalInterface
    interface BatchMetrics {
        Map<String, Double> of(NDManager batchManager, int from, int to);
    }

    /**
     * Example-weighted means of per-batch metrics over {@code size} held-out examples, computed
     * without recording gradients and each batch in its own sub-manager.
     */
    static Map<String, Double> means(int size, int batchSize, NDManager manager, BatchMetrics metrics) {
        if (size == 0) return Map.of();
        Map<String, Double> sums = new LinkedHashMap<>();
        try (NoGradient noGrad = new NoGradient()) {
            for (int start = 0; start < size; start += batchSize) {
                int from = start, to = Math.min(size, start + batchSize);
                try (NDManager m = manager.newSubManager()) {
                    metrics.of(m, from, to).forEach((k, v) -> sums.merge(k, v * (to - from), Double::sum));
                }
            }
        }
        sums.replaceAll((k, v) -> v / size);
        return sums;
    }

    /**
     * One right-padded batch of the chosen sequences (rows 0..n−1) then the rejected ones
     * (rows n..2n−1), so both sides of every pair share a single forward pass.
     */
    static ResponseBatch chosenThenRejected(NDManager m, List<TokenizedPair> pairs, int padId) {
        List<int[]> prompts = new ArrayList<>(2 * pairs.size()), responses = new ArrayList<>(2 * pairs.size());
        for (TokenizedPair p : pairs) { prompts.add(p.promptIds()); responses.add(p.chosenIds()); }
        for (TokenizedPair p : pairs) { prompts.add(p.promptIds()); responses.add(p.rejectedIds()); }
        return ResponseBatch.rightPadded(m, prompts, responses, padId);
    }
}
