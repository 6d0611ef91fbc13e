package io.align4j.data;

/**
 * A preference example as token ids: the shared prompt, and each response with EOS last (unless
 * cut by {@code max_length}). {@code promptIds ++ chosenIds} is the tokenization of the whole
 * chosen text (before truncation), and the same for rejected.
 *
 * @param boundaryMerged a token crossed the prompt/response boundary (see {@link BoundarySplit})
 * @param truncated      the prompt or a response was cut to the limits
 * @param source         file and line of the example
 */
public record TokenizedPair(int[] promptIds, int[] chosenIds, int[] rejectedIds, boolean boundaryMerged, boolean truncated,
        String source) implements java.io.Serializable {}
