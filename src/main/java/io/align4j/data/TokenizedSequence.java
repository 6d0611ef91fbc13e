package io.align4j.data;

/**
 * An SFT example as token ids: prompt (not trained on) and completion (trained on, EOS last
 * unless cut), with {@code promptIds ++ completionIds} the tokenization of the whole text.
 */
public record TokenizedSequence(int[] promptIds, int[] completionIds, boolean boundaryMerged, boolean truncated, String source) {}
