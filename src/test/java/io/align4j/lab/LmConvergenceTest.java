package io.align4j.lab;

import static io.align4j.testing.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lab lm-convergence --quick}: every stage runs, each row is written, and an interrupted sweep ends with the same table. */
class LmConvergenceTest {
    @TempDir Path dir;

    @Test
    void quickSweepWritesEveryRowAndAResumedSweepRepeatsTheSameNumbers() throws Exception {
        Path model = SharedData.require(DataPaths.STORIES260K_MODEL);
        Path out = dir.resolve("lm");
        String[] first = run("lab", "lm-convergence", "--quick", "--model", model.toString(), "--out", out.toString());
        assertEquals("0", first[0], first[2]);
        LmConvergence.Config c = LmConvergence.Config.quick();
        Map<String, LmConvergence.Row> rows = LmConvergence.readRows(out.resolve(LmConvergence.CSV));
        assertEquals(2 + c.pairCounts().size() * c.methods().size(), rows.size(), rows.keySet().toString());
        for (int n : c.pairCounts()) {
            assertEquals("π_0·π*", rows.get(n + "/dpo").optimum(), "DPO at β = γ");
            assertEquals("π*", rows.get(n + "/pmle").optimum(), "PMLE with the labeller's γ and β = 0");
            assertEquals("π_0·π*", rows.get(n + "/rlhf").optimum(), "RLHF at β = γ");
            for (String m : c.methods()) {
                LmConvergence.Row r = rows.get(n + "/" + m);
                for (String metric : List.of("kl/target_forward", "kl/target_reverse", "kl/optimum_forward", "kl/optimum_reverse", "kl/ref"))
                    assertTrue(Double.isFinite(r.metrics().get(metric).mean()), n + "/" + m + " " + metric);
            }
            assertTrue(rows.get(n + "/rlhf").rewardModel() != null, "online rows carry their reward model's fit");
            assertTrue(Double.isFinite(rows.get(n + "/dpo").chosenRewardEnd()), "DPO's chosen reward at the end");
        }
        assertEquals(0, rows.get("0/pi0").metrics().get("kl/ref").mean(), 1e-9);
        assertTrue(Files.size(out.resolve(LmConvergence.PNG)) > 1000);
        assertTrue(first[1].contains("slope"), first[1]);

        // eval finds the run's method and its optimum from the checkpoint's config.yaml, and measures what the sweep measured
        int n = c.pairCounts().get(c.pairCounts().size() - 1);
        Path checkpoint;
        try (var list = Files.list(out.resolve("n" + n).resolve("dpo"))) {
            checkpoint = list.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).findFirst().orElseThrow();
        }
        Path json = dir.resolve("eval.json");
        String[] eval = run("eval", "--task", out.resolve("task").toString(), "--model", checkpoint.toString(),
                "--k", Integer.toString(c.samplesPerPrompt()), "--out", json.toString());
        assertEquals("0", eval[0], eval[2]);
        assertTrue(eval[1].contains("optimum (" + checkpoint + "): π_0·π*"), eval[1]);
        var evaluated = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile()).get("models").get(0);
        assertEquals("π_0·π*", evaluated.get("optimum").asText());
        for (String metric : List.of("kl/target_forward", "kl/optimum_forward", "kl/optimum_reverse"))
            assertEquals(rows.get(n + "/dpo").metrics().get(metric).mean(), evaluated.get("metrics").get(metric).get("mean").asDouble(), 1e-5,
                    metric + " by eval and by the sweep");

        // interrupted after the first rows: the last n's rows are lost, and the runs they came from resume as finished
        Path csv = out.resolve(LmConvergence.CSV);
        String complete = Files.readString(csv, StandardCharsets.UTF_8);
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        Files.write(csv, lines.subList(0, lines.size() - c.methods().size()), StandardCharsets.UTF_8);
        String[] again = run("lab", "lm-convergence", "--quick", "--model", model.toString(), "--out", out.toString());
        assertEquals("0", again[0], again[2]);
        assertEquals(withoutSeconds(complete), withoutSeconds(Files.readString(csv, StandardCharsets.UTF_8)),
                "the resumed sweep measures the same numbers (its wall times differ: the finished runs return at once)");
    }

    /** The CSV without its fourth column, the training wall time. */
    private static List<String> withoutSeconds(String csv) {
        return csv.lines().map(l -> l.replaceFirst("^([^,]*,[^,]*,(\"[^\"]*\"|[^,]*),)[^,]*,", "$1")).toList();
    }
}
