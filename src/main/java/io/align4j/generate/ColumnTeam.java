package io.align4j.generate;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Threads that split the columns of each product of one decoding group among themselves, for a
 * group too small to give every core a group of its own (batch 1 on two cores). Each product is
 * cut into contiguous ranges of whole {@link DecoderKernels#PANEL panels}, one a thread, the
 * caller taking the first; an output's arithmetic does not depend on which thread computes it, so
 * the results are bitwise those of one thread.
 *
 * <p>Between products the helpers spin (a decoding step is a few dozen products a few
 * microseconds apart), and park after {@link #SPIN_NANOS} without work, so a team costs nothing
 * while its caller samples or attends; the caller wakes a parked helper when it hands out work.
 */
final class ColumnTeam implements AutoCloseable {
    /** How long a helper spins for the next product before it parks. */
    private static final long SPIN_NANOS = 200_000;

    private final DecoderKernels kernels;
    private final int size;
    private final Helper[] helpers;
    private final AtomicInteger remaining = new AtomicInteger();
    private volatile int epoch;
    private volatile boolean closed;
    private volatile Throwable failure;
    // The product being split; written before epoch is raised, read after it is seen.
    private float[] x, weight, y;
    private int in, n, count;
    private int[] slots;

    private final class Helper implements Runnable {
        final int index;
        volatile Thread thread;
        volatile boolean sleeping;

        Helper(int index) { this.index = index; }

        @Override
        public void run() {
            thread = Thread.currentThread();
            int seen = 0;
            while (true) {
                int e = epoch;
                if (e == seen) {
                    long start = System.nanoTime();
                    while ((e = epoch) == seen && !closed && System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                    if (e == seen && !closed) {
                        sleeping = true;
                        if (epoch == seen && !closed) LockSupport.parkNanos(this, 1_000_000);
                        sleeping = false;
                    }
                    if (closed) return;
                    continue;
                }
                seen = e;
                try {
                    share(index);
                } catch (Throwable t) {
                    failure = t;
                }
                remaining.decrementAndGet();
            }
        }
    }

    /** A team of {@code size} threads: the caller and {@code size − 1} helpers started on {@code executor}. */
    ColumnTeam(DecoderKernels kernels, int size, ExecutorService executor) {
        this.kernels = kernels;
        this.size = size;
        this.helpers = new Helper[size - 1];
        for (int i = 1; i < size; i++) {
            helpers[i - 1] = new Helper(i);
            executor.execute(helpers[i - 1]);
        }
    }

    /** {@link DecoderKernels#multiply} of all n columns, split among the team; returns when all are done. */
    void multiply(float[] x, float[] weight, int in, int n, float[] y, int[] slots, int count) {
        this.x = x;
        this.weight = weight;
        this.in = in;
        this.n = n;
        this.y = y;
        this.slots = slots;
        this.count = count;
        remaining.set(size - 1);
        epoch = epoch + 1;
        for (Helper h : helpers) {
            if (h.sleeping) {
                Thread t = h.thread;
                if (t != null) LockSupport.unpark(t);
            }
        }
        share(0);
        while (remaining.get() != 0) Thread.onSpinWait();
        Throwable t = failure;
        if (t != null) {
            failure = null;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error err) throw err;
            throw new IllegalStateException(t);
        }
    }

    /** Thread {@code index}'s columns: panels [P·index/size, P·(index+1)/size) of the P panels. */
    private void share(int index) {
        int panels = (n + DecoderKernels.PANEL - 1) / DecoderKernels.PANEL;
        int from = panels * index / size * DecoderKernels.PANEL, to = Math.min(n, panels * (index + 1) / size * DecoderKernels.PANEL);
        if (from < to) kernels.multiply(x, weight, in, n, y, slots, count, from, to);
    }

    @Override
    public void close() {
        closed = true;
        for (Helper h : helpers) {
            Thread t = h.thread;
            if (t != null) LockSupport.unpark(t);
        }
    }
}
