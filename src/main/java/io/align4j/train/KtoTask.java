package io.align4j.train;

import io.align4j.config.OfflineConfig;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.data.TokenizedPair;
import io.align4j.model.CausalLM;
import io.align4j.objective.Kto;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.objective.PairLogProbs;
import io.align4j.objective.UnpairedLogProbs;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * KTO training on unpaired examples. Each example is held as a {@link TokenizedPair} whose
 * "chosen" side is its own completion and whose "rejected" side is the completion of another
 * example after its prompt (the mismatched pair of the KL reference point, fixed when the data is
 * prepared, as TRL's KL dataset is), so the pair machinery serves it unchanged: one forward pass
 * for both, reference log-probs of both precomputed and cached.
 */
public final class KtoTask implements TrainingLoop.Task {
    private final CausalLM policy;
    private final CausalLM reference;
    private final Kto objective;
    private final List<TokenizedPair> train, eval;
    private final boolean[] trainDesirable, evalDesirable;
    private final ReferenceCache.Values trainRef, evalRef;
    private final int padId, batchSize;
    private final boolean concatenated;

    /**
     * @param train          each example's completion and mismatched completion after its prompt
     * @param trainDesirable each training example's label
     * @param trainRef       precomputed reference log-probs of {@code train}, or null to run the reference each step
     */
    public KtoTask(CausalLM policy, CausalLM reference, Kto objective, List<TokenizedPair> train, boolean[] trainDesirable,
                   ReferenceCache.Values trainRef, List<TokenizedPair> eval, boolean[] evalDesirable, ReferenceCache.Values evalRef,
                   int padId, OfflineConfig config) {
        this.policy = policy;
        this.reference = reference;
        this.objective = objective;
        this.train = train;
        this.trainDesirable = trainDesirable;
        this.trainRef = trainRef;
        this.eval = eval;
        this.evalDesirable = evalDesirable;
        this.evalRef = evalRef;
        this.padId = padId;
        this.batchSize = config.batchSize;
        this.concatenated = config.concatenatedForward;
    }

    @Override
    public int trainSize() { return train.size(); }

    @Override
    public ObjectiveOutput loss(NDManager step, int[] examples, long seed) {
        return objective.loss(logProbs(step, train, trainDesirable, trainRef, examples));
    }

    /**
     * The objective's metrics over the whole held-out set at once, {@code z_0} from all its
     * mismatched pairs: batch means would not do, since a held-out batch may hold only one label
     * (unpaired files list every desirable example first) and its per-label means would be empty.
     */
    @Override
    public Map<String, Double> evaluate(NDManager manager) {
        int n = eval.size();
        if (n == 0) return Map.of();
        double[] policyLogp = new double[n], referenceLogp = new double[n], policyMismatched = new double[n],
                referenceMismatched = new double[n], labels = new double[n];
        try (NoGradient noGrad = new NoGradient()) {
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                try (NDManager m = manager.newSubManager()) {
                    UnpairedLogProbs lp = logProbs(m, eval, evalDesirable, evalRef, IntStream.range(from, to).toArray());
                    System.arraycopy(doubles(lp.policy()), 0, policyLogp, from, to - from);
                    System.arraycopy(doubles(lp.reference()), 0, referenceLogp, from, to - from);
                    System.arraycopy(doubles(lp.policyMismatched()), 0, policyMismatched, from, to - from);
                    System.arraycopy(doubles(lp.referenceMismatched()), 0, referenceMismatched, from, to - from);
                }
            }
        }
        for (int i = 0; i < n; i++) labels[i] = evalDesirable[i] ? 1 : 0;
        try (NDManager m = manager.newSubManager()) {
            return objective.loss(new UnpairedLogProbs(m.create(policyLogp), m.create(referenceLogp), m.create(labels),
                    m.create(policyMismatched), m.create(referenceMismatched))).values();
        }
    }

    private static double[] doubles(NDArray a) { return a.toType(DataType.FLOAT64, false).toDoubleArray(); }

    private UnpairedLogProbs logProbs(NDManager m, List<TokenizedPair> examples, boolean[] desirable, ReferenceCache.Values ref,
                                      int[] batch) {
        List<TokenizedPair> pairs = Arrays.stream(batch).mapToObj(examples::get).toList();
        PairLogProbs lp = PreferenceTask.pairLogProbs(m, policy, reference, pairs, ref, batch, padId, concatenated);
        double[] labels = new double[batch.length];
        for (int i = 0; i < batch.length; i++) labels[i] = desirable[batch[i]] ? 1 : 0;
        NDArray desirableMask = m.create(labels).toType(lp.policyChosen().getDataType(), false);
        // The mismatched pairs only place z_0, which is detached: no gradient is kept for them (TRL scores them under no_grad).
        return new UnpairedLogProbs(lp.policyChosen(), lp.referenceChosen(), desirableMask, lp.policyRejected().stopGradient(),
                lp.referenceRejected());
    }
}
