package io.align4j.lab;

import java.util.Arrays;

/** Quantiles and log–log slopes for the experiment summaries. */
public final class LabStats {
    private LabStats() {}

    /** Linear-interpolated quantile q ∈ [0, 1] (the "type 7" rule of R and NumPy). */
    public static double quantile(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    public static double median(double[] values) { return quantile(values, 0.5); }

    /** Least-squares slope of {@code ln y} against {@code ln x}. */
    public static double logLogSlope(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) { mx += Math.log(x[i]) / n; my += Math.log(y[i]) / n; }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(x[i]) - mx;
            sxy += dx * (Math.log(y[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }
}
