package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;

/**
 * Means over the entries a 0/1 mask selects (response tokens of right-padded [B, T] arrays,
 * desirable examples of a batch). The count is floored at 1 so an empty selection gives 0
 * rather than 0/0; with at least one entry the result is the plain quotient, bit for bit.
 */
public final class MaskedMean {
    private MaskedMean() {}

    /** {@code Σ values·mask / max(Σ mask, 1)}, a scalar. */
    public static NDArray of(NDArray values, NDArray mask) {
        return values.mul(mask).sum().div(ScalarOps.maximum(mask.sum(), 1));
    }

    /** The same along the last axis of [B, T] arrays: each row's mean over its own masked entries, [B]. */
    public static NDArray perRow(NDArray values, NDArray mask) {
        return values.mul(mask).sum(new int[] {1}).div(ScalarOps.maximum(mask.sum(new int[] {1}), 1));
    }
}
