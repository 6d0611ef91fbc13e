package io.align4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The machine's practical memory bandwidth, measured as STREAM's triad measures it:
 * {@code a[i] = b[i] + s·c[i]} over three float arrays far larger than the caches, each of
 * {@code threads} threads on its own contiguous slice, counting 12 bytes an element (two
 * reads and a write, as STREAM counts them; the write's read for ownership is not counted).
 * Decoding one token at batch 1 streams every weight once, so this over the bytes of the
 * weights is the bound of batch-1 sampling, as {@link MatmulPeak} bounds large batches.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    /**
     * GB/s (10⁹ bytes a second) of the best triad over {@code floats} elements an array on {@code threads}
     * threads, as STREAM reports its best pass: a bound is what the machine can do, and in a quiet
     * sitting the median of five passes once read 3.9 GB/s where the passes before and after read 18–27.
     */
    public static double triadGBs(int threads, int floats, int warmup, int repeats) {
        float[] a = new float[floats], b = new float[floats], c = new float[floats];
        for (int i = 0; i < floats; i++) {
            b[i] = i & 1023;
            c[i] = 1 + (i & 511);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "align4j-triad");
            t.setDaemon(true);
            return t;
        });
        try {
            double seconds = Timing.bestSeconds(Math.max(warmup, 2), repeats, () -> {
                List<CompletableFuture<Void>> parts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int from = (int) ((long) floats * t / threads), to = (int) ((long) floats * (t + 1) / threads);
                    parts.add(CompletableFuture.runAsync(() -> triad(a, b, c, 3f, from, to), pool));
                }
                parts.forEach(CompletableFuture::join);
            });
            return 12.0 * floats / seconds / 1e9;
        } finally {
            pool.shutdown();
        }
    }

    private static void triad(float[] a, float[] b, float[] c, float s, int from, int to) {
        for (int i = from; i < to; i++) a[i] = b[i] + s * c[i];
    }
}
