package io.align4j.generate;

/**
 * One prompt's continuation.
 *
 * @param prompt   the prompt ids
 * @param tokens   the generated ids, the stop token included when one ended the row
 * @param logProbs ln π(token_t | prompt, tokens_&lt;t) of each generated token under the model's
 *                 own distribution (softmax of the raw logits: no temperature, truncation or
 *                 suppression), the quantity a trainer's scoring forward would compute
 * @param finish   why the row ended
 */
public record Generation(int[] prompt, int[] tokens, double[] logProbs, Finish finish) {

    public enum Finish {
        /** A stop id was generated. */
        STOP,
        /** The new-token budget or the model's context ran out. */
        LENGTH
    }

    /** Sum of {@link #logProbs}: ln π(tokens | prompt). */
    public double sequenceLogProb() {
        double s = 0;
        for (double lp : logProbs) s += lp;
        return s;
    }
}
