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
        return median(t);
    }

    /** Runs {@code body} {@code warmup} times untimed, then {@code repeats} times; the shortest in seconds. */
    public static double bestSeconds(int warmup, int repeats, Runnable body) {
        for (int i = 0; i < warmup; i++) body.run();
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            body.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        return best;
    }

    /** The median of timings (the mean of the middle two for an even count). */
    public static double median(double[] seconds) {
        double[] t = seconds.clone();
        Arrays.sort(t);
        int n = t.length;
        return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    }

    /** As {@link #median(double[])}. */
    public static double median(java.util.List<Double> seconds) {
        return median(seconds.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
