package io.align4j.bench;

import java.util.Arrays;

/** Median wall time of repeated runs after warm-up: the one way every benchmark here is timed. */
public final class Timing {
    private Timing() {}

    /** Runs {@code body} {@code warmup} times untimed, then {@code repeats} times; the median in seconds. */
    public static double medianSeconds(int warmup, int repeats, Runnable body) {
        for (int i = 0; i < warmup; i++) body.run();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            body.run();
            t[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(t);
        return repeats % 2 == 1 ? t[repeats / 2] : (t[repeats / 2 - 1] + t[repeats / 2]) / 2;
    }
}
