package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.data.TokenizedSequence;
import io.align4j.model.ScalarOps;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.objective.ObjectiveOutput;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning: next-token cross-entropy on the completion tokens of each sequence
 * (the prompt only conditions), averaged over the tokens of the batch as TRL's SFT trainer does:
 * <pre>
 *   loss = −(1/N) Σ_b Σ_{t ∈ completion_b} ln π_θ(a_t | x_b, a_&lt;t),   N = Σ_b |completion_b|
 *   ppl  = exp(loss)
 * </pre>
 * Plain text arrives as blocks whose first token is the prompt, so every other token is a target.
 */
public final class SftTask implements TrainingLoop.Task {
    private final CausalLM model;
    private final List<TokenizedSequence> train, eval;
    private final int padId, batchSize;

    public SftTask(CausalLM model, List<TokenizedSequence> train, List<TokenizedSequence> eval, int padId, int batchSize) {
        this.model = model;
        this.train = train;
        this.eval = eval;
        this.padId = padId;
        this.batchSize = batchSize;
    }

    @Override
    public int trainSize() { return train.size(); }

    @Override
    public ObjectiveOutput loss(NDManager step, int[] examples, long seed) {
        List<TokenizedSequence> batch = Arrays.stream(examples).mapToObj(train::get).toList();
        NDArray loss = ScalarOps.div(summedNll(step, batch), targetTokens(batch));
        Map<String, NDArray> metrics = new LinkedHashMap<>();
        metrics.put("ppl", loss.stopGradient().exp());
        return new ObjectiveOutput(loss, metrics);
    }

    /** Held-out {@code loss} and {@code ppl}, weighted by tokens over the whole split. */
    @Override
    public Map<String, Double> evaluate(NDManager manager) {
        if (eval.isEmpty()) return Map.of();
        double nll = 0, tokens = 0;
        try (NoGradient noGrad = new NoGradient()) {
            for (int start = 0; start < eval.size(); start += batchSize) {
                List<TokenizedSequence> batch = eval.subList(start, Math.min(eval.size(), start + batchSize));
                try (NDManager m = manager.newSubManager()) {
                    nll += summedNll(m, batch).toType(DataType.FLOAT64, false).getDouble();
                }
                tokens += targetTokens(batch);
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", nll / tokens);
        out.put("ppl", Math.exp(nll / tokens));
        return out;
    }

    /** Scalar {@code −Σ ln π(target)} over the completion tokens of the batch. */
    private NDArray summedNll(NDManager m, List<TokenizedSequence> batch) {
        ResponseBatch b = ResponseBatch.rightPadded(m, batch.stream().map(TokenizedSequence::promptIds).toList(),
                batch.stream().map(TokenizedSequence::completionIds).toList(), padId);
        return SequenceScorer.sequenceLogProbs(model, b).sum().neg();
    }

    private static long targetTokens(List<TokenizedSequence> batch) {
        return batch.stream().mapToLong(s -> s.completionIds().length).sum();
    }
}
