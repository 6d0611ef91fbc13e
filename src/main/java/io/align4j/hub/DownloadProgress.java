package io.align4j.hub;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place with a carriage return:
 * {@code stories260K.bin [########------------]  41%  432.0 KiB / 1.0 MiB  1.2 MiB/s}.
 * Redraws at most every 100 ms so a fast local copy does not flood the terminal; the rate is
 * bytes so far over time since the first byte was asked for.
 */
final class DownloadProgress {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final String name;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw = Long.MIN_VALUE;

    /** {@code total} is the expected size in bytes, or -1 when unknown. */
    DownloadProgress(PrintStream out, String name, long total) {
        this.out = out;
        this.name = name;
        this.total = total;
    }

    void update(long done) {
        long now = System.nanoTime();
        if (lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        draw(done, now);
    }

    /** Draws the final state and ends the line. */
    void finish(long done) {
        draw(done, System.nanoTime());
        out.println();
        out.flush();
    }

    private void draw(long done, long now) {
        double seconds = Math.max((now - start) / 1e9, 1e-3);
        String rate = bytes(done / seconds) + "/s";
        String line;
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.round(fraction * WIDTH);
            line = String.format(Locale.ROOT, "%s [%s%s] %3d%%  %s / %s  %s", name, "#".repeat(filled), "-".repeat(WIDTH - filled),
                    Math.round(fraction * 100), bytes(done), bytes(total), rate);
        } else {
            line = String.format(Locale.ROOT, "%s  %s  %s", name, bytes(done), rate);
        }
        out.print("\r" + line);
        out.flush();
    }

    static String bytes(double n) {
        if (n < 1024) return String.format(Locale.ROOT, "%.0f B", n);
        if (n < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", n / 1024);
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024 * 1024));
    }
}
