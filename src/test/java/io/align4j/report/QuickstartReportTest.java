package io.align4j.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.report.QuickstartMetrics.Method;
import io.align4j.report.QuickstartMetrics.Samples;
import io.align4j.report.QuickstartMetrics.Stat;
import io.align4j.report.QuickstartMetrics.Task;
import io.align4j.eval.RewardModelFit;
import io.align4j.util.UserError;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartReportTest {
    @TempDir Path temp;

    private static final String PROMPT = "Once upon a time, <Lily> & \"Tom\" found a";
    private static final List<String> EXPECTED_PNGS = List.of("frontier.png", "kl_target.png", "curve_loss.png",
            "curve_rewards_chosen.png", "curve_rewards_rejected.png", "curve_rewards_margins.png", "curve_entropy.png");

    /**
     * Nine methods with random (seed 20260522) metrics in plausible ranges; π_0 has no curves and a
     * NaN win-rate SE; offline methods record the DPO-style reward curves, online ones entropy.
     */
    static QuickstartMetrics fixture() {
        Random rng = new Random(20260522);
        List<Method> methods = new ArrayList<>();
        String[][] specs = {{"pi0", "base"}, {"sft", "offline"}, {"dpo", "offline"}, {"pmle", "offline"}, {"mio", "offline"},
            {"pd", "online"}, {"rebel", "online"}, {"rlhf", "online"}, {"rkl", "online"}};
        for (String[] spec : specs) {
            boolean base = spec[1].equals("base");
            Map<String, Stat> eval = new LinkedHashMap<>();
            eval.put(QuickstartMetrics.GOLD_REWARD, new Stat(rng.nextDouble() * 2 - 0.5, 0.02 + 0.05 * rng.nextDouble()));
            eval.put(QuickstartMetrics.GOLD_WIN_RATE, base ? new Stat(0.5, Double.NaN) : new Stat(0.4 + 0.5 * rng.nextDouble(), 0.01 + 0.03 * rng.nextDouble()));
            eval.put(QuickstartMetrics.RM_SCORE, new Stat(rng.nextGaussian(), 0.01 + 0.05 * rng.nextDouble()));
            eval.put(QuickstartMetrics.KL_REF, new Stat(base ? 0 : 0.05 + 2 * rng.nextDouble(), base ? 0 : 0.01 + 0.1 * rng.nextDouble()));
            eval.put(QuickstartMetrics.KL_TARGET_FORWARD, new Stat(0.2 + 1.5 * rng.nextDouble(), 0.01 + 0.1 * rng.nextDouble()));
            eval.put(QuickstartMetrics.KL_TARGET_REVERSE, new Stat(0.2 + 1.5 * rng.nextDouble(), 0.01 + 0.1 * rng.nextDouble()));
            eval.put(QuickstartMetrics.ENTROPY, new Stat(1 + rng.nextDouble(), 0.01));
            eval.put(QuickstartMetrics.DISTINCT_2, new Stat(0.5 + 0.4 * rng.nextDouble(), 0.01));
            eval.put(QuickstartMetrics.LENGTH, new Stat(20 + 10 * rng.nextDouble(), 0.5));
            Map<String, List<Double>> curves = new LinkedHashMap<>();
            if (!base) {
                int steps = 40;
                List<Double> step = new ArrayList<>(), loss = new ArrayList<>(), chosen = new ArrayList<>(), rejected = new ArrayList<>(),
                        margins = new ArrayList<>(), entropy = new ArrayList<>();
                double slope = 0.5 + rng.nextDouble();
                for (int s = 0; s < steps; s++) {
                    step.add((double) (5 * s));
                    double c = slope * Math.log1p(s) * 0.1 + 0.02 * rng.nextGaussian();
                    double r = -slope * Math.log1p(s) * 0.2 + 0.02 * rng.nextGaussian();
                    chosen.add(c);
                    rejected.add(r);
                    margins.add(c - r);
                    loss.add(Math.log(2) * Math.exp(-0.03 * slope * s) + 0.02 * rng.nextGaussian());
                    entropy.add(1.6 - 0.01 * slope * s + 0.02 * rng.nextGaussian());
                }
                curves.put(QuickstartMetrics.STEP, step);
                curves.put("loss", loss);
                if (spec[1].equals("offline") && !spec[0].equals("sft")) {
                    curves.put("rewards/chosen", chosen);
                    curves.put("rewards/rejected", rejected);
                    curves.put("rewards/margins", margins);
                } else {
                    curves.put("entropy", entropy);
                }
            }
            Samples samples = new Samples(PROMPT, List.of(
                    " little dog. " + spec[0] + " was <b>happy</b> & smiled.",
                    " red ball under the tree.",
                    " box; \"it's mine\", said " + spec[0] + "."));
            String optimum = spec[0].equals("dpo") ? "π_0·π*" : spec[0].equals("pmle") ? "π*" : null;
            if (optimum != null) {
                eval.put(QuickstartMetrics.KL_OPTIMUM_FORWARD, new Stat(0.1 + rng.nextDouble(), 0.01 + 0.1 * rng.nextDouble()));
                eval.put(QuickstartMetrics.KL_OPTIMUM_REVERSE, new Stat(0.1 + rng.nextDouble(), 0.01 + 0.1 * rng.nextDouble()));
            }
            methods.add(new Method(spec[0], spec[1], base ? 0 : 10 + 50 * rng.nextDouble(), optimum, eval, curves, samples));
        }
        return new QuickstartMetrics(new Task(2000, 512, 64, 4, "tiny", 123.456, "stories260K", "theory", 0.1, 0.1), methods,
                new RewardModelFit(0.61, 0.52, 1.234, 1.567, 0.33, 0.71));
    }

    private static String f3(double x) {
        return String.format(Locale.ROOT, "%.3f", x);
    }

    @Test
    void metricsRoundTripThroughJsonWithSnakeCaseKeysAndNaN() throws IOException {
        QuickstartMetrics m = fixture();
        Path json = temp.resolve("metrics.json");
        m.write(json);
        assertEquals(m, QuickstartMetrics.read(json));
        String text = Files.readString(json);
        assertTrue(text.contains("\"train_prompts\" : 512") && text.contains("\"samples_per_prompt\" : 4"), text.substring(0, 300));
        assertTrue(text.contains("\"se\" : \"NaN\""), "NaN is written as a string");
        assertTrue(Double.isNaN(QuickstartMetrics.read(json).methods().get(0).metric(QuickstartMetrics.GOLD_WIN_RATE).orElseThrow().se()));
    }

    @Test
    void malformedMetricsNameTheFileMethodAndField() throws IOException {
        Path json = temp.resolve("bad.json");
        QuickstartMetrics m = fixture();
        m.write(json);
        Files.writeString(json, Files.readString(json).replaceFirst("\"kind\" : \"offline\"", "\"kind\" : \"offlne\""));
        UserError kind = assertThrows(UserError.class, () -> QuickstartMetrics.read(json));
        assertEquals(json + ": methods[1] (sft).kind is \"offlne\", expected one of base, target, offline, online", kind.getMessage());

        List<Method> methods = new ArrayList<>(m.methods());
        Method dpo = methods.get(2);
        Map<String, List<Double>> curves = new LinkedHashMap<>(dpo.curves());
        curves.put("loss", curves.get("loss").subList(0, 39));
        methods.set(2, new Method(dpo.name(), dpo.kind(), dpo.seconds(), dpo.optimum(), dpo.eval(), curves, dpo.samples()));
        new QuickstartMetrics(m.task(), methods).write(json);
        UserError curve = assertThrows(UserError.class, () -> QuickstartMetrics.read(json));
        assertEquals(json + ": methods[2] (dpo).curves.loss has 39 values but step has 40", curve.getMessage());

        Files.writeString(json, "{\"task\": {\"pairs\": 3},\n \"methods\": [ {\"name\": \"dpo\", \"kinds\": 1} ]}");
        UserError field = assertThrows(UserError.class, () -> QuickstartMetrics.read(json));
        assertTrue(field.getMessage().startsWith(json + ": not a quickstart metrics file at line 2 (Unrecognized field \"kinds\""),
                field.getMessage());
    }

    @Test
    void reportHasDecodablePngsAndASelfContainedHtmlWhoseNumbersAllComeFromTheJson() throws IOException {
        QuickstartMetrics m = fixture();
        Path json = temp.resolve("in/metrics.json");
        m.write(json);
        Path dir = temp.resolve("report");
        QuickstartReport.Written written = QuickstartReport.write(json, dir);
        assertEquals(dir.resolve("index.html"), written.html());
        assertEquals(m, QuickstartMetrics.read(written.metrics()));

        assertEquals(EXPECTED_PNGS.stream().map(dir::resolve).toList(), written.images());
        for (Path png : written.images()) {
            BufferedImage image = ImageIO.read(png.toFile());
            assertTrue(image != null && image.getWidth() >= 700 && image.getHeight() >= 450, png + " decodes at a sensible size");
            assertTrue(distinctColours(image) > 20, png + " is not blank");
        }

        String html = Files.readString(written.html(), StandardCharsets.UTF_8);
        for (Method method : m.methods()) {
            Stat win = method.metric(QuickstartMetrics.GOLD_WIN_RATE).orElseThrow();
            String expected = Double.isFinite(win.se()) ? f3(win.mean()) + " ± " + f3(win.se()) : f3(win.mean());
            assertTrue(html.contains("<td>" + expected + "</td>"), method.name() + " win rate " + expected);
            assertTrue(html.contains("<h3>" + method.name() + "</h3>"));
            assertTrue(html.contains("<li><pre> little dog. " + method.name() + " was &lt;b&gt;happy&lt;/b&gt; &amp; smiled.</pre></li>"));
        }
        assertTrue(html.contains("<pre class=\"prompt\">Once upon a time, &lt;Lily&gt; &amp; &quot;Tom&quot; found a</pre>"));
        assertFalse(html.contains("<b>happy") || html.contains("<Lily>"), "raw sample markup never reaches the page");

        assertFalse(html.toLowerCase(Locale.ROOT).contains("http:") || html.toLowerCase(Locale.ROOT).contains("https:"), "no external address");
        Matcher src = Pattern.compile("src=\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (src.find()) {
            assertTrue(src.group(1).startsWith("data:image/png;base64,"), "only data URIs");
            byte[] embedded = Base64.getDecoder().decode(src.group(1).substring("data:image/png;base64,".length()));
            assertArrayEquals(Files.readAllBytes(written.images().get(images)), embedded, "the embedded PNG is the file beside it");
            images++;
        }
        assertEquals(EXPECTED_PNGS.size(), images);
        assertFalse(Pattern.compile("<(link|iframe|object|embed)\\b|url\\(|@import").matcher(html).find(), "no other way to load a resource");

        Set<String> fromJson = new HashSet<>();
        for (Method method : m.methods()) {
            for (Stat s : method.eval().values()) {
                fromJson.add(f3(s.mean()));
                fromJson.add(f3(s.se()));
            }
            fromJson.add(String.format(Locale.ROOT, "%.1f", method.seconds()));
        }
        fromJson.add(String.format(Locale.ROOT, "%.1f", m.task().seconds()));
        fromJson.add(f3(m.task().gamma()));
        fromJson.add(f3(m.task().tau()));
        RewardModelFit fit = m.rewardModel();
        for (double x : new double[] {fit.correlation(), fit.slope(), fit.rmsResidual(), fit.targetSpread(), fit.fluencyCorrelation(),
                fit.rewardCorrelation()}) fromJson.add(f3(x));
        String visible = html.replaceAll("(?s)<(script|style)>.*?</(script|style)>", "").replaceAll("<[^>]*>", " ");
        Matcher decimal = Pattern.compile("-?\\d+\\.\\d+").matcher(visible);
        int numbers = 0;
        while (decimal.find()) {
            assertTrue(fromJson.contains(decimal.group()), decimal.group() + " on the page is not a value of metrics.json");
            numbers++;
        }
        int perMethod = 6 * 2 + 2 + 1, withOptimum = (int) m.methods().stream().filter(x -> x.optimum() != null).count();
        assertEquals(m.methods().size() * perMethod + withOptimum * 2 * 2 - 1 + 1 + 2 + 6, numbers,
                "per method 6 means with their SEs, 2 bare means and its seconds, 2 more means with SEs for a method with an optimum,"
                        + " less π_0's NaN win-rate SE, plus the task's seconds, γ and τ, and the reward model's 6 figures");
        assertTrue(html.contains("<td class=\"kind\">π_0·π*</td>"), "DPO's predicted optimum is shown");
        for (String integer : List.of("2000", "512", "64", "4")) assertTrue(visible.contains(" " + integer + " "), integer);
    }

    @Test
    void consoleTableHasAHeaderARuleAndOneAlignedRowPerMethod() {
        QuickstartMetrics m = fixture();
        String[] lines = QuickstartReport.table(m).split("\n");
        assertEquals(m.methods().size() + 2, lines.length);
        assertTrue(lines[0].startsWith("method  kind") && lines[0].contains("gold/win_rate") && lines[0].endsWith("seconds"), lines[0]);
        assertTrue(lines[1].matches("[- ]+"), lines[1]);
        for (int i = 0; i < m.methods().size(); i++) {
            Method method = m.methods().get(i);
            String row = lines[i + 2];
            assertEquals(lines[0].length(), row.length(), "aligned: " + row);
            assertTrue(row.startsWith(method.name()), row);
            Stat kl = method.metric(QuickstartMetrics.KL_REF).orElseThrow();
            assertTrue(row.contains(f3(kl.mean()) + " +- " + f3(kl.se())), row);
            assertTrue(row.endsWith(String.format(Locale.ROOT, "%.1f", method.seconds())), row);
        }
        assertTrue(lines[2].contains(" 0.500 "), "π_0's win rate without its NaN SE: " + lines[2]);
    }

    /**
     * Opens the report in headless Chromium from file://: the page's own script counts the images
     * that decoded, and the screenshot must show more than a blank page.
     */
    @Test
    void reportRendersInHeadlessChromiumWithEveryImageLoaded() throws Exception {
        String chromium = findChromium();
        Assumptions.assumeTrue(chromium != null,
                "skipped: no chromium on PATH (install the Debian package 'chromium'; .ci/run does) to check the report renders");
        QuickstartReport.Written written = QuickstartReport.write(fixture(), temp.resolve("report"));
        String url = written.html().toUri().toString();
        Path shot = temp.resolve("screenshot.png");

        String dom = runChromium(chromium, "--dump-dom", url);
        Matcher count = Pattern.compile("id=\"images-loaded\" data-loaded=\"(\\d+)\" data-total=\"(\\d+)\"").matcher(dom);
        assertTrue(count.find(), "the load script ran: " + dom.substring(0, Math.min(400, dom.length())));
        assertEquals(EXPECTED_PNGS.size(), Integer.parseInt(count.group(2)), "images on the page");
        assertEquals(EXPECTED_PNGS.size(), Integer.parseInt(count.group(1)), "images decoded by the browser");

        runChromium(chromium, "--screenshot=" + shot, url);
        BufferedImage image = ImageIO.read(shot.toFile());
        assertTrue(image != null, "a screenshot was written");
        assertEquals(1280, image.getWidth());
        assertTrue(distinctColours(image) > 100, "the screenshot shows text and charts, not a blank page");
        Path keep = System.getProperty("align4j.report.screenshot") == null ? null : Path.of(System.getProperty("align4j.report.screenshot"));
        if (keep != null) Files.copy(shot, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private String runChromium(String chromium, String mode, String url) throws IOException, InterruptedException {
        List<String> command = List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                "--user-data-dir=" + Files.createTempDirectory(temp, "chromium-profile"), "--window-size=1280,2000",
                "--virtual-time-budget=5000", mode, url);
        Path out = Files.createTempFile(temp, "chromium", ".out");
        Path err = Files.createTempFile(temp, "chromium", ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s: " + Files.readString(err));
        }
        assertEquals(0, p.exitValue(), () -> "chromium " + mode + " failed: " + readQuietly(err));
        return Files.readString(out);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    private static String findChromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                File f = new File(dir, name);
                if (f.canExecute()) return f.getPath();
            }
        }
        return null;
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) colours.add(image.getRGB(x, y));
        }
        return colours.size();
    }
}
