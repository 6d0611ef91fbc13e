package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * (prompt, response) pairs as one right-padded batch: row b holds its prompt, then its
 * response, then padding. Right padding needs no attention mask in a causal model, because a
 * real token never attends to the padding after it.
 *
 * @param ids          int32 [B, T] tokens
 * @param responseMask int32 [B, T−1]: entry t is 1 iff {@code ids[b, t+1]} is a response token,
 *                     i.e. the logits at position t predict a token that counts
 * @param promptLengths   tokens of each prompt
 * @param responseLengths tokens of each response
 */
public record ResponseBatch(NDArray ids, NDArray responseMask, int[] promptLengths, int[] responseLengths) {

    /**
     * Builds the batch in {@code manager}.
     *
     * @throws IllegalArgumentException when the lists differ in size, a prompt is empty (the first
     *                                  response token needs a prediction) or a response is empty
     */
    public static ResponseBatch rightPadded(NDManager manager, List<int[]> prompts, List<int[]> responses, int padId) {
        if (prompts.size() != responses.size())
            throw new IllegalArgumentException(prompts.size() + " prompts but " + responses.size() + " responses");
        int rows = prompts.size(), width = 0;
        int[] promptLengths = new int[rows], responseLengths = new int[rows];
        for (int b = 0; b < rows; b++) {
            promptLengths[b] = prompts.get(b).length;
            responseLengths[b] = responses.get(b).length;
            if (promptLengths[b] == 0 || responseLengths[b] == 0)
                throw new IllegalArgumentException("row " + b + " has an empty prompt or response");
            width = Math.max(width, promptLengths[b] + responseLengths[b]);
        }
        int[] ids = new int[rows * width];
        int[] mask = new int[rows * (width - 1)];
        for (int b = 0; b < rows; b++) {
            java.util.Arrays.fill(ids, b * width, (b + 1) * width, padId);
            System.arraycopy(prompts.get(b), 0, ids, b * width, promptLengths[b]);
            System.arraycopy(responses.get(b), 0, ids, b * width + promptLengths[b], responseLengths[b]);
            int firstTarget = promptLengths[b] - 1;
            java.util.Arrays.fill(mask, b * (width - 1) + firstTarget, b * (width - 1) + firstTarget + responseLengths[b], 1);
        }
        return new ResponseBatch(manager.create(ids, new Shape(rows, width)), manager.create(mask, new Shape(rows, width - 1)),
                promptLengths, responseLengths);
    }
}
