package io.align4j.data;

import io.align4j.tokenizer.TextTokenizer;
import java.util.Arrays;

/**
 * Token ids of a prompt and its responses such that, for every response,
 * {@code promptIds ++ responseIds[i] == encode(prompt + response_i)}: the responses are always
 * tokenized as part of the whole text, never on their own.
 *
 * <p>The split point is the longest common prefix of {@code encode(prompt)} and every
 * {@code encode(prompt + response_i)}. When the tokenizer merges characters across the boundary
 * (a BPE piece spanning the end of the prompt and the start of a response), that prefix is
 * shorter than {@code encode(prompt)}; the spanning token then belongs to the response, the
 * prompt keeps only the tokens every whole text agrees on, and {@link #merged} is true.
 *
 * @param promptIds   ids of the prompt (BOS first when asked and the tokenizer adds one)
 * @param responseIds ids of each response, in the order given
 * @param merged      whether a token crossed the prompt/response boundary in some response
 */
public record BoundarySplit(int[] promptIds, int[][] responseIds, boolean merged) {

    public static BoundarySplit of(TextTokenizer tokenizer, boolean addBos, String prompt, String... responses) {
        int[] alone = tokenizer.encode(prompt, addBos, false);
        int[][] wholes = new int[responses.length][];
        int split = alone.length;
        for (int i = 0; i < responses.length; i++) {
            wholes[i] = tokenizer.encode(prompt + responses[i], addBos, false);
            split = Math.min(split, Arrays.mismatch(alone, wholes[i]) < 0 ? alone.length : Arrays.mismatch(alone, wholes[i]));
        }
        int[][] responseIds = new int[responses.length][];
        for (int i = 0; i < responses.length; i++) responseIds[i] = Arrays.copyOfRange(wholes[i], split, wholes[i].length);
        return new BoundarySplit(Arrays.copyOf(alone, split), responseIds, split < alone.length);
    }
}
