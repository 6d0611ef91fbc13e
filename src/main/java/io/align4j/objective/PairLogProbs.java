package io.align4j.objective;

import ai.djl.ndarray.NDArray;

/**
 * What a pairwise objective sees of a batch of pairs: per-sequence log-probs (summed over the
 * response tokens) of the chosen and rejected response, all of one shape (usually [B]).
 *
 * <p>Which fields an objective needs: every one needs the policy log-probs; the reference
 * methods (DPO family, MIO, IPO) need the reference; SimPO and length-normalised IPO the token
 * counts; the Bradley–Terry loss, preference distillation and REBEL the reward scores; REBEL
 * and the ratio variant of PD the log-probs under the policy that sampled the pair
 * ({@code π_t}). Fields an objective does not need may be null. For the unlabelled online pairs
 * of PD and REBEL "chosen" and "rejected" simply mean the first and second response.
 */
public record PairLogProbs(
        NDArray policyChosen, NDArray policyRejected,
        NDArray referenceChosen, NDArray referenceRejected,
        NDArray lengthChosen, NDArray lengthRejected,
        NDArray scoreChosen, NDArray scoreRejected,
        NDArray samplingChosen, NDArray samplingRejected) {

    /** Policy log-probs only (PMLE, SimPO with {@link #withLengths}). */
    public static PairLogProbs of(NDArray policyChosen, NDArray policyRejected) {
        return new PairLogProbs(policyChosen, policyRejected, null, null, null, null, null, null, null, null);
    }

    /** Policy and reference log-probs (DPO and its variants, MIO). */
    public static PairLogProbs of(NDArray policyChosen, NDArray policyRejected,
                                  NDArray referenceChosen, NDArray referenceRejected) {
        return new PairLogProbs(policyChosen, policyRejected, referenceChosen, referenceRejected,
                null, null, null, null, null, null);
    }

    /** Reward scores only (the Bradley–Terry reward-model loss). */
    public static PairLogProbs ofScores(NDArray scoreChosen, NDArray scoreRejected) {
        return new PairLogProbs(null, null, null, null, null, null, scoreChosen, scoreRejected, null, null);
    }

    public PairLogProbs withLengths(NDArray chosen, NDArray rejected) {
        return new PairLogProbs(policyChosen, policyRejected, referenceChosen, referenceRejected,
                chosen, rejected, scoreChosen, scoreRejected, samplingChosen, samplingRejected);
    }

    public PairLogProbs withScores(NDArray chosen, NDArray rejected) {
        return new PairLogProbs(policyChosen, policyRejected, referenceChosen, referenceRejected,
                lengthChosen, lengthRejected, chosen, rejected, samplingChosen, samplingRejected);
    }

    public PairLogProbs withSampling(NDArray chosen, NDArray rejected) {
        return new PairLogProbs(policyChosen, policyRejected, referenceChosen, referenceRejected,
                lengthChosen, lengthRejected, scoreChosen, scoreRejected, chosen, rejected);
    }

    NDArray policyLogRatioChosen() {
        return policyChosen.sub(require(referenceChosen, "referenceChosen"));
    }

    NDArray policyLogRatioRejected() {
        return policyRejected.sub(require(referenceRejected, "referenceRejected"));
    }

    /** {@code h = (ln π_θ(a+) − ln π_0(a+)) − (ln π_θ(a-) − ln π_0(a-))}. */
    NDArray logRatioMargin() {
        return policyLogRatioChosen().sub(policyLogRatioRejected());
    }

    static NDArray require(NDArray field, String name) {
        if (field == null) throw new IllegalArgumentException("this objective needs PairLogProbs." + name);
        return field;
    }
}
