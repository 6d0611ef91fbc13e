package io.align4j.eval;

/** A mean with its standard error. */
public record Estimate(double mean, double stderr) {

    /** Mean of {@code x} and the standard error of that mean (sample standard deviation / √n). */
    public static Estimate of(double[] x) {
        int n = x.length;
        if (n == 0) return new Estimate(Double.NaN, Double.NaN);
        double mean = 0;
        for (double v : x) mean += v;
        mean /= n;
        if (n == 1) return new Estimate(mean, Double.NaN);
        double ss = 0;
        for (double v : x) ss += (v - mean) * (v - mean);
        return new Estimate(mean, Math.sqrt(ss / (n - 1) / n));
    }

    /** Whether {@code value} lies within {@code k} standard errors of the mean. */
    public boolean covers(double value, double k) {
        return Math.abs(mean - value) <= k * stderr;
    }

    @Override
    public String toString() {
        return String.format("%.4f ± %.4f", mean, stderr);
    }
}
