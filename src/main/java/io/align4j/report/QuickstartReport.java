package io.align4j.report;

import io.align4j.report.QuickstartMetrics.Method;
import io.align4j.report.QuickstartMetrics.Stat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The quickstart's report: {@code index.html} with its PNGs embedded as data URIs (so it opens
 * from {@code file://}, mailed or copied alone) and the same PNGs beside it, plus
 * {@code metrics.json}, from which every number shown is formatted. Means and standard errors
 * use three decimals, wall times one; a missing metric shows as a dash.
 */
public final class QuickstartReport {
    private QuickstartReport() {}

    /** The figures, in page order. */
    public record Figure(String file, String title, String caption) {}

    /** What {@link #write} produced. */
    public record Written(Path html, Path metrics, List<Path> images) {}

    /** The columns of the results table (after method and kind): metric, heading, with SE. */
    private record Column(String metric, String heading, boolean withSe) {}

    /** Distances to the known target and to each method's predicted optimum first: they are what the task can measure and no other can. */
    private static final List<Column> COLUMNS = List.of(
            new Column(QuickstartMetrics.KL_TARGET_FORWARD, "KL(π* ‖ π)", true),
            new Column(QuickstartMetrics.KL_TARGET_REVERSE, "KL(π ‖ π*)", true),
            new Column(QuickstartMetrics.KL_OPTIMUM_FORWARD, "KL(opt ‖ π)", true),
            new Column(QuickstartMetrics.KL_OPTIMUM_REVERSE, "KL(π ‖ opt)", true),
            new Column(QuickstartMetrics.KL_REF, "KL to π_0", true),
            new Column(QuickstartMetrics.GOLD_WIN_RATE, "win rate vs π_0", true),
            new Column(QuickstartMetrics.GOLD_REWARD, "gold reward", true),
            new Column(QuickstartMetrics.RM_SCORE, "RM score", true),
            new Column(QuickstartMetrics.ENTROPY, "entropy", false),
            new Column(QuickstartMetrics.DISTINCT_2, "distinct-2", false));

    /** What each measure means, shown above the table. */
    static final String MEASURES = "KL(π* ‖ π) and KL(π ‖ π*): how far the policy is from the target π* ∝ π_0·exp(r/τ) that labelled"
            + " the pairs, in both directions (0 is π* itself; the first punishes missing what π* samples, the second sampling what"
            + " π* would not). opt: the distribution the method converges to in theory with unlimited data and optimisation (a"
            + " dash where its source states none); KL(opt ‖ π) and KL(π ‖ opt) say whether it got there. KL to π_0: how far it drifted"
            + " from the base. Win rate: the labeller's mean preference σ(γ[ln π*(a) − ln π*(b)]) for the policy's sample a over"
            + " π_0's sample b (one half for π_0 itself); it rewards moving past π*, so a method can beat π*'s own win rate by"
            + " over-optimising. Gold reward: the happiness judge r. RM score: the learned reward model.";

    private static final String MISSING = "—";

    /** Reads {@code metricsJson} and writes the report into {@code reportDir}. */
    public static Written write(Path metricsJson, Path reportDir) {
        return write(QuickstartMetrics.read(metricsJson), reportDir);
    }

    /**
     * Writes {@code metrics.json}, the PNGs and {@code index.html} into {@code reportDir}
     * (created if needed), replacing earlier ones.
     */
    public static Written write(QuickstartMetrics metrics, Path reportDir) {
        try {
            Files.createDirectories(reportDir);
            Path json = reportDir.resolve("metrics.json");
            metrics.write(json);
            List<Figure> figures = new ArrayList<>();
            figures.add(new Figure("frontier.png", "Reward–KL frontier",
                    "Gold reward against KL to π_0, mean ± 1 SE over held-out prompts. Up and to the left is better: more reward for less drift."));
            ReportCharts.frontier(metrics, reportDir.resolve("frontier.png"));
            figures.add(new Figure("kl_target.png", "Distance to the known target",
                    "KL(π* ‖ π) and KL(π ‖ π*) between the target π* ∝ π_0·exp(r/τ) and each policy, mean ± 1 SE over held-out prompts."));
            ReportCharts.klTarget(metrics, reportDir.resolve("kl_target.png"));
            for (String curve : QuickstartMetrics.CURVES) {
                if (!ReportCharts.hasCurve(metrics, curve)) continue;
                String file = "curve_" + curve.replaceAll("[^A-Za-z0-9]+", "_") + ".png";
                ReportCharts.curve(metrics, curve, reportDir.resolve(file));
                figures.add(new Figure(file, "Training: " + curve, curve + " against the training step, one line per method."));
            }
            Path html = reportDir.resolve("index.html");
            Files.writeString(html, html(metrics, reportDir, figures), StandardCharsets.UTF_8);
            List<Path> images = new ArrayList<>();
            for (Figure f : figures) images.add(reportDir.resolve(f.file()));
            return new Written(html, json, images);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report into " + reportDir, e);
        }
    }

    /** The results as a plain-text table for the console (ASCII, fixed-width columns). */
    public static String table(QuickstartMetrics metrics) {
        List<String> headings = new ArrayList<>(List.of("method", "kind", "optimum"));
        for (Column c : COLUMNS) headings.add(c.metric());
        headings.add("seconds");
        List<List<String>> rows = new ArrayList<>();
        for (Method m : metrics.methods()) {
            List<String> row = new ArrayList<>(List.of(m.name(), m.kind(), m.optimum() == null ? MISSING : m.optimum()));
            for (Column c : COLUMNS) row.add(cell(m, c, " +- "));
            row.add(seconds(m.seconds()));
            rows.add(row);
        }
        int[] width = new int[headings.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headings.get(i).length();
            for (List<String> r : rows) width[i] = Math.max(width[i], r.get(i).length());
        }
        StringBuilder out = new StringBuilder();
        appendRow(out, headings, width);
        List<String> rule = new ArrayList<>();
        for (int w : width) rule.add("-".repeat(w));
        appendRow(out, rule, width);
        for (List<String> r : rows) appendRow(out, r, width);
        return out.toString();
    }

    private static void appendRow(StringBuilder out, List<String> cells, int[] width) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i).replace("—", "-");
            out.append(i == 0 ? "" : "  ").append(i < 3 ? pad(c, width[i], false) : pad(c, width[i], true));
        }
        out.append('\n');
    }

    private static String pad(String s, int width, boolean right) {
        String space = " ".repeat(Math.max(0, width - s.length()));
        return right ? space + s : s + space;
    }

    /** A mean to three decimals ({@link #MISSING} when absent or not finite). */
    static String number(double x) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, "%.3f", x) : MISSING;
    }

    static String seconds(double s) {
        return Double.isFinite(s) ? String.format(Locale.ROOT, "%.1f", s) : MISSING;
    }

    /** {@code mean ± se}, or the mean alone when the column has no SE or the SE is not finite. */
    private static String cell(Method m, Column c, String plusMinus) {
        Optional<Stat> s = m.metric(c.metric());
        if (s.isEmpty() || !Double.isFinite(s.get().mean())) return MISSING;
        String mean = number(s.get().mean());
        return c.withSe() && Double.isFinite(s.get().se()) ? mean + plusMinus + number(s.get().se()) : mean;
    }

    private static String html(QuickstartMetrics metrics, Path reportDir, List<Figure> figures) throws IOException {
        QuickstartMetrics.Task t = metrics.task();
        StringBuilder h = new StringBuilder(1 << 20);
        h.append("""
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Align4j quickstart report</title>
                <style>
                body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
                h1 { margin-bottom: 0.2rem; }
                table { border-collapse: collapse; margin: 1rem 0; }
                th, td { padding: 0.3rem 0.7rem; border-bottom: 1px solid #ddd; text-align: right; }
                th:first-child, td:first-child, td.kind, th.kind { text-align: left; }
                thead th { border-bottom: 2px solid #888; }
                td { font-variant-numeric: tabular-nums; }
                figure { margin: 1.5rem 0; }
                figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
                figcaption { color: #555; font-size: 0.9rem; }
                .curves { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1rem; }
                .samples pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.5rem; margin: 0.2rem 0; }
                .note { color: #555; font-size: 0.9rem; }
                </style>
                </head>
                <body>
                <h1>Align4j quickstart</h1>
                """);
        h.append("<p class=\"note\">Every number on this page is read from <code>metrics.json</code> beside it. ")
                .append("<span id=\"images-loaded\" data-loaded=\"\" data-total=\"\"></span></p>\n");

        h.append("<h2>Task</h2>\n<table class=\"task\"><tbody>\n");
        taskRow(h, "model", escape(t.model()));
        taskRow(h, "budget", escape(t.budget()));
        taskRow(h, "methods' settings", escape(t.preset()));
        taskRow(h, "labeller's γ", number(t.gamma()));
        taskRow(h, "target's τ", number(t.tau()));
        taskRow(h, "preference pairs", Integer.toString(t.pairs()));
        taskRow(h, "training prompts", Integer.toString(t.trainPrompts()));
        taskRow(h, "held-out prompts", Integer.toString(t.evalPrompts()));
        taskRow(h, "samples per prompt", Integer.toString(t.samplesPerPrompt()));
        taskRow(h, "total time (s)", seconds(t.seconds()));
        h.append("</tbody></table>\n");

        h.append("<h2>Results</h2>\n<p class=\"note\">Held-out means ± 1 standard error. ").append(escape(MEASURES)).append("</p>\n");
        h.append("<table class=\"results\"><thead><tr><th>method</th><th class=\"kind\">kind</th><th class=\"kind\">opt</th>");
        for (Column c : COLUMNS) h.append("<th title=\"").append(escape(c.metric())).append("\">").append(escape(c.heading())).append("</th>");
        h.append("<th>train s</th></tr></thead>\n<tbody>\n");
        for (Method m : metrics.methods()) {
            h.append("<tr><td>").append(escape(m.name())).append("</td><td class=\"kind\">").append(escape(m.kind())).append("</td>")
                    .append("<td class=\"kind\">").append(m.optimum() == null ? MISSING : escape(m.optimum())).append("</td>");
            for (Column c : COLUMNS) h.append("<td>").append(cell(m, c, " ± ")).append("</td>");
            h.append("<td>").append(seconds(m.seconds())).append("</td></tr>\n");
        }
        h.append("</tbody></table>\n");
        rewardModel(h, metrics);

        h.append("<h2>Figures</h2>\n");
        boolean inCurves = false;
        for (Figure f : figures) {
            boolean curve = f.file().startsWith("curve_");
            if (curve && !inCurves) {
                h.append("<h3>Training curves</h3>\n<div class=\"curves\">\n");
                inCurves = true;
            }
            byte[] png = Files.readAllBytes(reportDir.resolve(f.file()));
            h.append("<figure><img alt=\"").append(escape(f.title())).append("\" data-file=\"").append(f.file())
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\">")
                    .append("<figcaption><b>").append(escape(f.title())).append(".</b> ").append(escape(f.caption()))
                    .append("</figcaption></figure>\n");
        }
        if (inCurves) h.append("</div>\n");

        samples(h, metrics);

        h.append("""
                <script>
                // Records in the page how many images decoded, so a headless browser's DOM dump can be checked.
                window.addEventListener('load', function () {
                  var images = document.images, loaded = 0;
                  for (var i = 0; i < images.length; i++) if (images[i].complete && images[i].naturalWidth > 0) loaded++;
                  var note = document.getElementById('images-loaded');
                  note.setAttribute('data-loaded', loaded);
                  note.setAttribute('data-total', images.length);
                  note.textContent = 'Images loaded: ' + loaded + ' of ' + images.length + '.';
                });
                </script>
                </body>
                </html>
                """);
        return h.toString();
    }

    /** How far the reward model is from the optimum the online methods' predicted optima assume. */
    private static void rewardModel(StringBuilder h, QuickstartMetrics metrics) {
        var fit = metrics.rewardModel();
        if (fit == null) return;
        h.append("<h3>The reward model against γ ln π*</h3>\n<p class=\"note\">The predicted optima of PD, RKL and RLHF assume the")
                .append(" reward model reached its Bradley–Terry optimum R̂ = γ ln π* + c(x) = γ ln π_0 + (γ/τ) r + c(x). On π_0's held-out")
                .append(" samples, each prompt's mean removed:</p>\n<table class=\"task\"><tbody>\n");
        taskRow(h, "correlation with γ ln π* (1 at the optimum)", number(fit.correlation()));
        taskRow(h, "slope on γ ln π* (1 at the optimum)", number(fit.slope()));
        taskRow(h, "rms of R̂ − γ ln π*", number(fit.rmsResidual()));
        taskRow(h, "rms of γ ln π*", number(fit.targetSpread()));
        taskRow(h, "correlation with ln π_0 (fluency)", number(fit.fluencyCorrelation()));
        taskRow(h, "correlation with r (happiness)", number(fit.rewardCorrelation()));
        h.append("</tbody></table>\n");
    }

    private static void taskRow(StringBuilder h, String name, String value) {
        h.append("<tr><th>").append(name).append("</th><td class=\"kind\">").append(value).append("</td></tr>\n");
    }

    /** Each method's continuations; the prompt is shown once when every method shares it. */
    private static void samples(StringBuilder h, QuickstartMetrics metrics) {
        h.append("<h2>Samples</h2>\n<div class=\"samples\">\n");
        List<String> prompts = metrics.methods().stream().filter(m -> m.samples() != null).map(m -> m.samples().prompt()).distinct().toList();
        boolean shared = prompts.size() == 1;
        if (shared) h.append("<p>Prompt:</p><pre class=\"prompt\">").append(escape(prompts.get(0))).append("</pre>\n");
        for (Method m : metrics.methods()) {
            h.append("<h3>").append(escape(m.name())).append("</h3>\n");
            if (m.samples() == null || m.samples().continuations().isEmpty()) {
                h.append("<p class=\"note\">no samples recorded</p>\n");
                continue;
            }
            if (!shared) h.append("<p>Prompt:</p><pre class=\"prompt\">").append(escape(m.samples().prompt())).append("</pre>\n");
            h.append("<ol>\n");
            for (String c : m.samples().continuations()) h.append("<li><pre>").append(escape(c)).append("</pre></li>\n");
            h.append("</ol>\n");
        }
        h.append("</div>\n");
    }

    /** HTML-escapes text for element content and double-quoted attributes. */
    static String escape(String s) {
        if (s == null) return MISSING;
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
