package io.align4j.model;

import ai.djl.training.GradientCollector;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Activation checkpointing per transformer block (Chen et al. 2016, "Training Deep Nets with
 * Sublinear Memory Cost"; transformers' {@code gradient_checkpointing}). While it is on, a
 * forward that records gradients runs the blocks without recording, keeping only each block's
 * input; the final state becomes a leaf the loss is built on. After the loss's backward pass,
 * {@link #backward} walks the blocks from the last to the first: it recomputes block l from its
 * saved input with gradients on, and back-propagates {@code Σ y ⊙ g} with g the gradient that
 * reached the block's output, which gives block l's parameter gradients and the gradient of its
 * input. Memory then holds one block's activations instead of all of them, for about one more
 * forward of compute.
 *
 * <p>The deferred passes are the one place where a backward that DJL's autograd cannot express runs:
 * {@link ChunkedLogProbs} defers its LM-head gradient here too, whether or not blocks are checkpointed.
 *
 * <p>The switch and the deferred passes belong to the calling thread; {@link #scope} bounds them.
 */
public final class BlockCheckpointing {
    /** A deferred block-wise backward pass of one forward. */
    interface Deferred {
        void run(GradientCollector gc);

        /** Frees what the pass holds when it will not run (an exception before the backward). */
        void discard();
    }

    private static final ThreadLocal<Boolean> ON = ThreadLocal.withInitial(() -> false);
    private static final ThreadLocal<Deque<Deferred>> PENDING = ThreadLocal.withInitial(ArrayDeque::new);
    private static final ThreadLocal<Integer> OPEN_SCOPES = ThreadLocal.withInitial(() -> 0);

    private BlockCheckpointing() {}

    /** Turns checkpointing on ({@code enabled}) or leaves it off for the calling thread until the scope closes. */
    public static Scope scope(boolean enabled) {
        boolean previous = ON.get();
        ON.set(enabled);
        OPEN_SCOPES.set(OPEN_SCOPES.get() + 1);
        return new Scope(previous);
    }

    /** Restores the previous switch and drops passes that never ran. */
    public static final class Scope implements AutoCloseable {
        private final boolean previous;

        private Scope(boolean previous) { this.previous = previous; }

        @Override
        public void close() {
            ON.set(previous);
            OPEN_SCOPES.set(OPEN_SCOPES.get() - 1);
            Deque<Deferred> pending = PENDING.get();
            while (!pending.isEmpty()) pending.pop().discard();
        }
    }

    static boolean active() { return ON.get(); }

    /**
     * Whether a scope is open, i.e. the caller promises to run {@link #backward} after its loss's
     * backward: only then may a forward leave part of its backward to a deferred pass.
     */
    static boolean deferring() { return OPEN_SCOPES.get() > 0; }

    static void defer(Deferred d) { PENDING.get().push(d); }

    /**
     * Runs the block-wise backward passes of the forwards checkpointed since the last call, newest
     * first; call it right after the loss's {@code backward}. Does nothing when none are pending.
     */
    public static void backward(GradientCollector gc) {
        Deque<Deferred> pending = PENDING.get();
        while (!pending.isEmpty()) pending.pop().run(gc);
    }
}
