package io.align4j.report;

import io.align4j.report.QuickstartMetrics.Method;
import io.align4j.report.QuickstartMetrics.Stat;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The quickstart's figures, drawn from {@link QuickstartMetrics} only: the reward–KL frontier,
 * the KL to the known target per method, and the training curves. Methods lacking a metric are
 * left out of that figure rather than drawn at zero.
 */
final class ReportCharts {
    private ReportCharts() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private static final Color[] PALETTE = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
        new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
        new Color(188, 189, 34), new Color(23, 190, 207)};

    /** A method's colour, the same in every figure: its position in the metrics file. */
    private static Color colour(int methodIndex) {
        return PALETTE[methodIndex % PALETTE.length];
    }

    /**
     * Gold reward (y) against KL to π_0 (x), one labelled point per method with ± 1 SE bars in both
     * directions (the vertical ones by XChart, the horizontal ones as a short unmarked line).
     */
    static void frontier(QuickstartMetrics metrics, Path png) {
        XYChart chart = new XYChartBuilder().width(900).height(600).title("Reward-KL frontier (mean ± 1 SE over held-out prompts)")
                .xAxisTitle("KL to pi_0 (kl/ref, nats)").yAxisTitle("gold reward (gold/reward)").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(10);
        chart.getStyler().setErrorBarsColorSeriesColor(true);
        double yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        List<double[]> labelled = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < metrics.methods().size(); i++) {
            Method m = metrics.methods().get(i);
            Optional<Stat> reward = finite(m, QuickstartMetrics.GOLD_REWARD), kl = finite(m, QuickstartMetrics.KL_REF);
            if (reward.isEmpty() || kl.isEmpty()) continue;
            double x = kl.get().mean(), y = reward.get().mean();
            double xSe = orZero(kl.get().se()), ySe = orZero(reward.get().se());
            XYSeries point = chart.addSeries(m.name(), new double[] {x}, new double[] {y}, new double[] {ySe});
            point.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            point.setMarker(SeriesMarkers.CIRCLE);
            point.setMarkerColor(colour(i));
            point.setLineColor(colour(i));
            if (xSe > 0) {
                XYSeries bar = chart.addSeries(m.name() + " kl se", new double[] {x - xSe, x + xSe}, new double[] {y, y});
                bar.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                bar.setMarker(SeriesMarkers.NONE);
                bar.setLineStyle(SeriesLines.SOLID);
                bar.setLineColor(colour(i));
                bar.setShowInLegend(false);
            }
            yMin = Math.min(yMin, y - ySe);
            yMax = Math.max(yMax, y + ySe);
            labelled.add(new double[] {x, y});
            names.add(m.name());
        }
        double lift = yMax > yMin ? 0.04 * (yMax - yMin) : 0.05;
        for (int i = 0; i < names.size(); i++) {
            chart.addAnnotation(new AnnotationText(names.get(i), labelled.get(i)[0], labelled.get(i)[1] + lift, false));
        }
        Plots.save(chart, png);
    }

    /** {@code kl/target_forward} per method as bars with ± 1 SE error bars. */
    static void klTarget(QuickstartMetrics metrics, Path png) {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500)
                .title("KL between each policy and the known target pi* (mean ± 1 SE; lower is closer)")
                .xAxisTitle("method").yAxisTitle("nats").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setErrorBarsColor(Color.BLACK);
        chart.getStyler().setSeriesColors(new Color[] {PALETTE[0], PALETTE[1]});
        List<String> names = new ArrayList<>();
        List<Double> forward = new ArrayList<>(), forwardSe = new ArrayList<>(), reverse = new ArrayList<>(), reverseSe = new ArrayList<>();
        for (Method m : metrics.methods()) {
            Optional<Stat> f = finite(m, QuickstartMetrics.KL_TARGET_FORWARD), r = finite(m, QuickstartMetrics.KL_TARGET_REVERSE);
            if (f.isEmpty() || r.isEmpty()) continue;
            names.add(m.name());
            forward.add(f.get().mean());
            forwardSe.add(orZero(f.get().se()));
            reverse.add(r.get().mean());
            reverseSe.add(orZero(r.get().se()));
        }
        if (names.isEmpty()) {
            names.add("(no method has both target KLs)");
            forward.add(0.0);
            forwardSe.add(0.0);
            reverse.add(0.0);
            reverseSe.add(0.0);
        }
        chart.addSeries("KL(pi* || pi) " + QuickstartMetrics.KL_TARGET_FORWARD, names, forward, forwardSe);
        chart.addSeries("KL(pi || pi*) " + QuickstartMetrics.KL_TARGET_REVERSE, names, reverse, reverseSe);
        Plots.save(chart, png);
    }

    /**
     * One figure for {@code curve}: a line per method that recorded it, against its training step;
     * non-finite values are dropped.
     */
    static void curve(QuickstartMetrics metrics, String curve, Path png) {
        XYChart chart = new XYChartBuilder().width(720).height(460).title("Training curve: " + curve)
                .xAxisTitle("step").yAxisTitle(curve).build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        for (int i = 0; i < metrics.methods().size(); i++) {
            Method m = metrics.methods().get(i);
            List<Double> ys = m.curves().get(curve), steps = m.curves().get(QuickstartMetrics.STEP);
            if (ys == null || steps == null) continue;
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (int j = 0; j < ys.size(); j++) {
                Double s = steps.get(j), v = ys.get(j);
                if (s != null && v != null && Double.isFinite(s) && Double.isFinite(v)) {
                    x.add(s);
                    y.add(v);
                }
            }
            if (x.isEmpty()) continue;
            XYSeries line = chart.addSeries(m.name(), x, y);
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setLineColor(colour(i));
            line.setMarkerColor(colour(i));
            line.setLineStyle(SeriesLines.SOLID);
            line.setMarker(x.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        Plots.save(chart, png);
    }

    /** Whether any method recorded {@code curve}. */
    static boolean hasCurve(QuickstartMetrics metrics, String curve) {
        return metrics.methods().stream().anyMatch(m -> m.curves().containsKey(curve));
    }

    private static Optional<Stat> finite(Method m, String metric) {
        return m.metric(metric).filter(s -> Double.isFinite(s.mean()));
    }

    private static double orZero(double se) {
        return Double.isFinite(se) ? se : 0.0;
    }

    private static void style(Styler styler) {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setLegendBorderColor(Color.LIGHT_GRAY);
    }
}
