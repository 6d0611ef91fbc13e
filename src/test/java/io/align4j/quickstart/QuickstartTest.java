package io.align4j.quickstart;

import static io.align4j.testing.CliRun.run;

import static org.junit.jupiter.api.Assertions.*;

import io.align4j.report.QuickstartMetrics;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command at {@code --budget tiny}: every stage runs and the report is written. */
class QuickstartTest {
    @TempDir Path dir;

    @Test
    void tinyBudgetTrainsEveryMethodEvaluatesThemAndAResumedRunChangesNothing() throws Exception {
        Path model = SharedData.require(DataPaths.STORIES260K_MODEL).getParent();
        Path out = dir.resolve("qs");
        String[] first = run("quickstart", "--budget", "tiny", "--model", model.toString(), "--out", out.toString());
        assertEquals("0", first[0], first[2]);
        assertTrue(Files.size(out.resolve("report/index.html")) > 10_000, "the report embeds its figures");
        QuickstartMetrics m = QuickstartMetrics.read(out.resolve("report/metrics.json"));
        assertEquals(List.of("pi0", "target", "dpo", "pmle", "mio", "pd", "rebel", "rlhf", "rkl"),
                m.methods().stream().map(QuickstartMetrics.Method::name).toList());
        assertEquals(Budget.TINY.evalPrompts(), m.task().evalPrompts());
        QuickstartMetrics.Method pi0 = m.methods().get(0);
        assertEquals(0, pi0.metric(QuickstartMetrics.KL_REF).orElseThrow().mean(), 1e-9, "π_0 against itself");
        for (QuickstartMetrics.Method method : m.methods()) {
            for (String metric : List.of(QuickstartMetrics.GOLD_WIN_RATE, QuickstartMetrics.RM_SCORE, QuickstartMetrics.KL_REF,
                    QuickstartMetrics.KL_TARGET_FORWARD, QuickstartMetrics.KL_TARGET_REVERSE, QuickstartMetrics.DISTINCT_2)) {
                double v = method.metric(metric).orElseThrow(() -> new AssertionError(method.name() + " lacks " + metric)).mean();
                assertTrue(Double.isFinite(v), method.name() + " " + metric + " = " + v);
            }
            assertEquals(2, method.samples().continuations().size(), method.name());
            if (method.kind().equals("offline") || method.kind().equals("online"))
                assertEquals(method.kind().equals("offline") ? Budget.TINY.offlineSteps() : Budget.TINY.onlineSteps(),
                        method.curves().get(QuickstartMetrics.STEP).size(), method.name() + " logs every step");
        }
        assertTrue(first[1].contains("rkl") && first[1].contains("report: "), first[1]);
        // the default is the theory preset: each method's predicted optimum, and the distances to it
        assertEquals("theory", m.task().preset());
        java.util.Map<String, String> optima = new java.util.LinkedHashMap<>();
        for (QuickstartMetrics.Method method : m.methods()) optima.put(method.name(), method.optimum());
        java.util.Map<String, String> expected = new java.util.LinkedHashMap<>();
        for (String name : List.of("pi0", "target", "dpo", "pmle", "mio", "pd", "rebel", "rlhf", "rkl")) expected.put(name, null);
        expected.putAll(java.util.Map.of("dpo", "π_0·π*", "pmle", "π*", "pd", "π*", "rlhf", "π_0·π*", "rkl", "π*"));
        assertEquals(expected, optima);
        for (QuickstartMetrics.Method method : m.methods()) {
            if (method.optimum() == null) continue;
            for (String metric : List.of(QuickstartMetrics.KL_OPTIMUM_FORWARD, QuickstartMetrics.KL_OPTIMUM_REVERSE))
                assertTrue(Double.isFinite(method.metric(metric).orElseThrow().mean()), method.name() + " " + metric);
        }
        assertTrue(m.rewardModel() != null && Double.isFinite(m.rewardModel().correlation()), "the reward model's fit to γ ln π*");

        // running again resumes: the task and every finished run are reused, and the numbers are the same
        String[] again = run("quickstart", "--budget", "tiny", "--model", model.toString(), "--out", out.toString());
        assertEquals("0", again[0], again[2]);
        assertTrue(again[2].contains("exists; reusing it"), again[2]);
        QuickstartMetrics m2 = QuickstartMetrics.read(out.resolve("report/metrics.json"));
        for (int i = 0; i < m.methods().size(); i++)
            assertEquals(m.methods().get(i).eval(), m2.methods().get(i).eval(), m.methods().get(i).name());
    }
}
