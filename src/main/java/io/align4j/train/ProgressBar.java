package io.align4j.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * A one-line progress bar on stderr: step, rate, elapsed and ETA, and the key metrics. Redrawn in
 * place on a terminal; elsewhere (CI logs, files) printed as a plain line at most every few seconds.
 */
public final class ProgressBar {
    private final PrintStream err;
    private final String label;
    private final long total;
    private final long firstStep;
    private final long startNanos = System.nanoTime();
    private final boolean interactive = System.console() != null;
    private long lastPrintNanos;

    public ProgressBar(String label, long firstStep, long total, PrintStream err) {
        this.label = label;
        this.firstStep = firstStep;
        this.total = total;
        this.err = err;
    }

    public void update(long step, Map<String, Double> metrics) {
        long now = System.nanoTime();
        boolean last = step >= total;
        if (!last && now - lastPrintNanos < (interactive ? 200_000_000L : 5_000_000_000L)) return;
        lastPrintNanos = now;
        double elapsed = (now - startNanos) / 1e9;
        double rate = (step - firstStep) / Math.max(elapsed, 1e-9);
        double eta = rate > 0 ? (total - step) / rate : Double.NaN;
        int width = 24, filled = (int) Math.min(width, width * step / Math.max(total, 1));
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s [%s%s] %d/%d %.2f it/s %s<%s",
                label, "#".repeat(filled), ".".repeat(width - filled), step, total, rate, clock(elapsed), clock(eta)));
        metrics.forEach((k, v) -> line.append(String.format(Locale.ROOT, " %s=%.4g", k, v)));
        if (interactive) err.print("\r" + line + (last ? "\n" : ""));
        else err.println(line);
        err.flush();
    }

    static String clock(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%02d:%02d", s / 60, s % 60);
    }
}
