package io.align4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.task.NameRecall;
import io.align4j.testing.CliRun;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unbiased pass@k estimator against hand values and brute-force enumeration of k-subsets; the name-recall verifier. */
class PassAtKTest {
    @Test
    void unbiasedEstimatorMatchesHandValues() {
        // n = 5, c = 2, k = 2: 1 − C(3,2)/C(5,2) = 1 − 3/10
        assertEquals(0.7, PassAtK.unbiased(5, 2, 2), 1e-12);
        // k = 1 is the success rate c/n
        assertEquals(13.0 / 256, PassAtK.unbiased(256, 13, 1), 1e-12);
        assertEquals(0, PassAtK.unbiased(256, 0, 256));
        assertEquals(1, PassAtK.unbiased(10, 3, 8), "fewer than k failures: some success is certain");
        assertThrows(IllegalArgumentException.class, () -> PassAtK.unbiased(4, 1, 5));
    }

    /** Over every k-subset of n = 10 samples with c = 3 successes, the share containing a success. */
    @Test
    void estimatorEqualsTheShareOfSubsetsWithASuccess() {
        int n = 10, c = 3;
        for (int k = 1; k <= n; k++) {
            int subsets = 0, hit = 0;
            for (int mask = 0; mask < 1 << n; mask++) {
                if (Integer.bitCount(mask) != k) continue;
                subsets++;
                if ((mask & 0b111) != 0) hit++; // samples 0..2 are the successes
            }
            assertEquals((double) hit / subsets, PassAtK.unbiased(n, c, k), 1e-12, "k = " + k);
        }
    }

    @Test
    void estimatesAverageOverPromptsWithTheirStandardError() {
        Map<String, Estimate> e = PassAtK.estimates(new int[] {0, 2, 4}, 4, List.of(1, 2));
        // pass@1 per prompt 0, 0.5, 1: mean 0.5, sample sd 0.5, SE 0.5/√3
        assertEquals(0.5, e.get("pass@1").mean(), 1e-12);
        assertEquals(0.5 / Math.sqrt(3), e.get("pass@1").stderr(), 1e-12);
        // pass@2 per prompt: 0, 1 − C(2,2)/C(4,2) = 5/6, 1
        assertEquals((5.0 / 6 + 1) / 3, e.get("pass@2").mean(), 1e-12);
    }

    @Test
    void nameRecallSucceedsWhenTheCompletionNamesAnIntroducedCharacter() {
        String prompt = "Once upon a time, there was a little girl named Lily. She had a dog named \"Spot\".";
        assertEquals(List.of("Lily", "Spot"), NameRecall.names(prompt));
        assertEquals(1, NameRecall.score(prompt, " Spot ran to the park."));
        assertEquals(1, NameRecall.score(prompt, " Lily's mom smiled."));
        assertEquals(0, NameRecall.score(prompt, " Lilypad was green. lily"), "whole word, case-sensitive");
        assertEquals(0, NameRecall.score("There was a big tree.", " Lily came."), "no character introduced");
    }

    /**
     * {@code eval --pass-at-k} on stories260K with a regex reward: pass@k rises with k, the
     * per-prompt counts agree with pass@1, and n < k is a one-line user error.
     */
    @Test
    void evalCommandReportsPassAtKWithStandardErrors(@TempDir Path dir) throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        Path prompts = dir.resolve("p.jsonl");
        Files.write(prompts, List.of("{\"prompt\": \"Once upon a time, there was a little girl named Lily.\"}",
                "{\"prompt\": \"Tom had a red ball.\"}", "{\"prompt\": \"The sun was hot.\"}"));
        String model = DataPaths.root().resolve(DataPaths.STORIES260K_MODEL).toString();
        String[] r = CliRun.run("eval", "--model", model, "--prompts", prompts.toString(), "--pass-at-k", "1,2,8", "--reward-regex", "\\bthe\\b",
                "--max-new-tokens", "8", "--out", dir.resolve("e.json").toString(), "--per-prompt", dir.resolve("pp.jsonl").toString());
        assertEquals("0", r[0], r[2]);
        JsonNode metrics = new ObjectMapper().readTree(dir.resolve("e.json").toFile()).get("models").get(0).get("metrics");
        double p1 = metrics.get("pass@1").get("mean").asDouble(), p8 = metrics.get("pass@8").get("mean").asDouble();
        org.junit.jupiter.api.Assertions.assertTrue(p1 > 0 && p1 <= metrics.get("pass@2").get("mean").asDouble() && p8 >= p1, metrics.toString());
        org.junit.jupiter.api.Assertions.assertTrue(metrics.get("pass@1").get("stderr").asDouble() >= 0);
        double fromCounts = 0;
        for (String line : Files.readAllLines(dir.resolve("pp.jsonl"))) fromCounts += new ObjectMapper().readTree(line).get("successes").asInt() / 8.0 / 3;
        assertEquals(fromCounts, p1, 1e-12);

        String[] bad = CliRun.run("eval", "--model", model, "--prompts", prompts.toString(), "--pass-at-k", "1,16", "--samples", "8",
                "--reward-regex", "x", "--out", dir.resolve("e2.json").toString());
        assertEquals("2", bad[0]);
        assertEquals("align4j eval: --samples 8 is below the largest k [1, 16]: the estimator needs n >= k", bad[2].strip());
    }
}
