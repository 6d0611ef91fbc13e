package io.align4j.eval;

import io.align4j.generate.BatchSampling;
import io.align4j.generate.Generation;
import io.align4j.model.CausalLM;
import java.util.ArrayList;
import java.util.List;

/**
 * A causal LM as a policy: samples at temperature 1 with {@code suppressIds} (BOS and EOS) never
 * generated, so every response has exactly the requested length, and scores with one forward pass
 * ({@link io.align4j.model.SequenceScorer}) in batches of {@code batch} rows.
 */
public record ModelPolicy(String name, CausalLM model, int[] suppressIds, int padId, int batch) implements Policy {

    @Override
    public List<int[]> sample(List<int[]> prompts, int k, int length, long seed) {
        List<int[]> rows = new ArrayList<>(prompts.size() * k);
        for (int[] p : prompts) for (int j = 0; j < k; j++) rows.add(p);
        List<int[]> out = new ArrayList<>(rows.size());
        for (Generation g : BatchSampling.sample(model, rows, length, suppressIds, seed, batch)) out.add(g.tokens());
        return out;
    }

    @Override
    public BatchSampling.Scored score(List<int[]> prompts, List<int[]> responses) {
        return BatchSampling.score(model, prompts, responses, padId, batch);
    }
}
