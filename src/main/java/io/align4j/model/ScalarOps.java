package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Arithmetic with a number that is safe to differentiate. Use these instead of DJL's
 * {@code NDArray.mul(Number)}, {@code div(Number)}, {@code pow(Number)}, {@code maximum(Number)}
 * and {@code minimum(Number)} wherever the result may take part in a backward pass.
 *
 * <p>Why: DJL's PyTorch engine implements those overloads by wrapping the number in a 0-d
 * tensor over a Java direct buffer ({@code from_blob}), applying the tensor op, and closing the
 * wrapper at once. PyTorch's autograd keeps that 0-d tensor for the backward pass (the gradient
 * of {@code x·c} is {@code g·c}), but its memory belongs to the Java buffer, which the garbage
 * collector frees at any time after the close. A collection between forward and backward made
 * gradients wrong or NaN, and identical training runs differ depending on when the collector
 * ran. Here the number becomes an engine-owned tensor in the operand's manager, so it lives
 * until the step's arrays are closed. {@code add(Number)} and {@code sub(Number)} are safe as
 * they are: their backward does not read the number.
 */
public final class ScalarOps {
    private ScalarOps() {}

    /** A 0-d tensor holding {@code value} in {@code like}'s dtype and manager, in engine-owned memory. */
    public static NDArray constant(NDArray like, double value) {
        NDArray wrapped = like.getManager().create(value);
        try {
            // duplicate() copies into engine memory; toType to another dtype also allocates anew
            return like.getDataType() == DataType.FLOAT64 ? wrapped.duplicate() : wrapped.toType(like.getDataType(), false);
        } finally {
            wrapped.close();
        }
    }

    /** {@code x · c}. */
    public static NDArray mul(NDArray x, double c) { return x.mul(constant(x, c)); }

    /** {@code x / c}. */
    public static NDArray div(NDArray x, double c) { return x.div(constant(x, c)); }

    /** {@code x^c}. */
    public static NDArray pow(NDArray x, double c) { return x.pow(constant(x, c)); }

    /** {@code max(x, c)} element-wise. */
    public static NDArray maximum(NDArray x, double c) { return x.maximum(constant(x, c)); }

    /** {@code min(x, c)} element-wise. */
    public static NDArray minimum(NDArray x, double c) { return x.minimum(constant(x, c)); }
}
