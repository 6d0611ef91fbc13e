package io.align4j.util;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Gives the native heap's free memory back to the kernel ({@code malloc_trim(0)} of glibc), where
 * libtorch's tensors live. A training step frees gigabytes of activations at once; glibc keeps the
 * freed pages, scattered between live blocks, and the next step's allocations fit those holes only
 * in part, so without a trim the resident set grows by up to a step's activations again (measured
 * in the README's memory notes). The next step faults the returned pages back in.
 */
public final class NativeHeap {
    private interface C extends Library {
        int malloc_trim(long pad);
    }

    /** glibc's malloc_trim, or null where the C library has none (musl, macOS). */
    private static final C LIBC = load();

    private NativeHeap() {}

    private static C load() {
        try {
            C c = Native.load("c", C.class);
            c.malloc_trim(0);
            return c;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** Returns the free pages of every malloc arena to the kernel; does nothing where that is not available. */
    public static void trim() {
        if (LIBC != null) LIBC.malloc_trim(0);
    }
}
