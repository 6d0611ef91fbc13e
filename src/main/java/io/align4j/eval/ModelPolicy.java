package io.align4j.eval;

import io.align4j.generate.BatchSampling;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.generate.Generation;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
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
        return sampleAtTemperature(prompts, k, length, seed, 1);
    }

    @Override
    public BatchSampling.Scored score(List<int[]> prompts, List<int[]> responses) {
        return BatchSampling.score(model, prompts, responses, padId, batch);
    }

    /**
     * {@link #sample} from the model at {@code temperature} (its logits divided by it), the same
     * rows, seeds and suppressed ids otherwise.
     */
    public List<int[]> sampleAtTemperature(List<int[]> prompts, int k, int length, long seed, double temperature) {
        List<int[]> rows = new ArrayList<>(prompts.size() * k);
        for (int[] p : prompts) for (int j = 0; j < k; j++) rows.add(p);
        List<int[]> out = new ArrayList<>(rows.size());
        for (Generation g : BatchSampling.sample(model, rows, length, suppressIds, seed, batch, 0, temperature)) out.add(g.tokens());
        return out;
    }

    /**
     * ln of the responses under the model at {@code temperature}: Σ_t log_softmax(z_t / T)[a_t].
     * The final hidden states are divided by T before the LM head, which divides the logits by T
     * because the head is linear without a bias in every family the task's models come from (a
     * test holds this to the logits of the full forward).
     */
    public double[] logProbsAtTemperature(List<int[]> prompts, List<int[]> responses, double temperature) {
        int n = prompts.size();
        double[] out = new double[n];
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            try (NDManager step = model.manager().newSubManager()) {
                ResponseBatch b = ResponseBatch.rightPadded(step, prompts.subList(from, to), responses.subList(from, to), padId);
                NDArray hidden = model.hidden(b.ids(), null, null, null).div(temperature);
                double[] rows = SequenceScorer.sequenceLogProbs(model, hidden, b).toType(DataType.FLOAT64, false).toDoubleArray();
                System.arraycopy(rows, 0, out, from, to - from);
            }
        }
        return out;
    }
}
