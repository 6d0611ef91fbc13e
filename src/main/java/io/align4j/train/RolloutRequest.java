package io.align4j.train;

import io.align4j.generate.SamplingConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * What one rollout (or one shard of it) is: {@code samplesPerPrompt} responses to each prompt
 * group, sampled with {@code sampling} (its seed is the step's), where the first row is row
 * {@code firstRow} of the step's whole rollout. Row r draws from the random stream of its global
 * index {@code firstRow + r}, so the result is a function of (policy weights, this value) alone:
 * a shard computed on another machine, or recomputed after a lost task, is bitwise the same.
 *
 * @param referenceFeatures whether to keep the reference's hidden states ({@link Rollout#referenceFeatures()})
 */
public record RolloutRequest(List<int[]> groupPrompts, int samplesPerPrompt, SamplingConfig sampling, long firstRow,
                             boolean referenceFeatures) implements Serializable {

    public RolloutRequest {
        groupPrompts = new ArrayList<>(groupPrompts); // serialisable whatever list the caller holds
    }

    /** Rows of the request. */
    public int rows() { return groupPrompts.size() * samplesPerPrompt; }

    /**
     * The request cut into at most {@code count} shards of whole prompt groups, as even as can
     * be, in order; each knows its first global row.
     */
    public List<RolloutRequest> shards(int count) {
        int groups = groupPrompts.size(), n = Math.max(1, Math.min(count, groups));
        List<RolloutRequest> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = (int) ((long) i * groups / n), to = (int) ((long) (i + 1) * groups / n);
            out.add(new RolloutRequest(groupPrompts.subList(from, to), samplesPerPrompt, sampling,
                    firstRow + (long) from * samplesPerPrompt, referenceFeatures));
        }
        return out;
    }
}
