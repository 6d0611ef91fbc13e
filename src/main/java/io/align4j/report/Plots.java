package io.align4j.report;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Line plots written as PNG: one or more panels, each a set of named curves with optional
 * shaded bands (quartiles, say) and optional logarithmic axes. Headless; callers build
 * {@link Panel}s and {@link #save} them.
 */
public final class Plots {
    private Plots() {}

    private static final Color[] PALETTE = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127)};

    /**
     * One curve; {@code lower}/{@code upper} (both or neither) shade a band around it; {@code colour}
     * picks its palette entry (−1: its place in the panel), so one name keeps its colour across panels.
     */
    public record Series(String name, double[] x, double[] y, double[] lower, double[] upper, int colour) {
        public Series(String name, double[] x, double[] y) { this(name, x, y, null, null, -1); }

        public Series(String name, double[] x, double[] y, double[] lower, double[] upper) { this(name, x, y, lower, upper, -1); }

        public Series {
            if (x.length != y.length) throw new IllegalArgumentException(name + ": x and y differ in length");
            if ((lower == null) != (upper == null)) throw new IllegalArgumentException(name + ": give both band edges or neither");
        }
    }

    /** One chart: title, axis titles, log axes, curves. */
    public record Panel(String title, String xLabel, String yLabel, boolean logX, boolean logY, List<Series> series) {}

    /** Writes the panels side by side ({@code columns} per row) into one PNG, creating its folder. */
    public static void save(Path png, int columns, List<Panel> panels) {
        List<XYChart> charts = new ArrayList<>();
        for (Panel p : panels) charts.add(chart(p));
        if (charts.size() == 1) {
            save(charts.get(0), png);
            return;
        }
        int rows = (panels.size() + columns - 1) / columns;
        write(png, base -> BitmapEncoder.saveBitmap(charts, rows, Math.min(columns, charts.size()), base, BitmapEncoder.BitmapFormat.PNG));
    }

    /** Writes one chart as a PNG, creating its folder. */
    public static void save(Chart<?, ?> chart, Path png) {
        write(png, base -> BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG));
    }

    private interface Encoder {
        void encode(String pathWithoutSuffix) throws IOException;
    }

    /** The encoder appends ".png" itself, so it is given the path without it. */
    private static void write(Path png, Encoder encoder) {
        try {
            if (png.toAbsolutePath().getParent() != null) Files.createDirectories(png.toAbsolutePath().getParent());
            String name = png.toString();
            encoder.encode(name.endsWith(".png") ? name.substring(0, name.length() - 4) : name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + png, e);
        }
    }

    private static XYChart chart(Panel p) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(720).height(480)
                .title(p.title()).xAxisTitle(p.xLabel()).yAxisTitle(p.yLabel()).build();
        Styler styler = chart.getStyler();
        chart.getStyler().setXAxisLogarithmic(p.logX());
        chart.getStyler().setYAxisLogarithmic(p.logY());
        styler.setLegendPosition(Styler.LegendPosition.InsideNE);
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        int i = 0;
        for (Series s : p.series()) {
            Color c = PALETTE[(s.colour() >= 0 ? s.colour() : i) % PALETTE.length];
            i++;
            if (s.lower() != null) {
                int n = s.x().length;
                double[] px = new double[2 * n], py = new double[2 * n];
                for (int j = 0; j < n; j++) {
                    px[j] = s.x()[j];
                    py[j] = s.upper()[j];
                    px[2 * n - 1 - j] = s.x()[j];
                    py[2 * n - 1 - j] = s.lower()[j];
                }
                XYSeries band = chart.addSeries(s.name() + " band", px, py);
                band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
                band.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
                band.setLineColor(new Color(0, 0, 0, 0));
                band.setMarker(SeriesMarkers.NONE);
                band.setShowInLegend(false);
            }
            XYSeries line = chart.addSeries(s.name(), s.x(), s.y());
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setLineColor(c);
            line.setMarkerColor(c);
            line.setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }
}
