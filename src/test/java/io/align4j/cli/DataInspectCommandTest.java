package io.align4j.cli;

import static io.align4j.testing.CliRun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j data inspect} on the OpenAI shared file, a summarisation-comparisons file and a bad file; {@code data unpair}. */
class DataInspectCommandTest {

    @Test
    void inspectsTheOpenAiFileWithTheLlama2cTokenizer() {
        Path prefs = SharedData.require(DataPaths.ORCA_PREFS);
        Path tok = SharedData.require(DataPaths.STORIES260K_TOKENIZER);
        String[] r = run("data", "inspect", prefs.toString(), "--tokenizer", tok.toString(), "--max-length", "256",
                "--max-prompt-length", "128");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("format: openai\nexamples: 284\nproblems: 0\n"), r[1]);
        assertTrue(r[1].contains("limits: max_length 256, max_prompt_length 128, truncation keep_end"), r[1]);
        assertTrue(r[1].contains("dropped (prompt fills max_length): 0"), r[1]);
        // The first example's prompt ends with its generation prompt, and the chosen response starts right after the mark.
        assertTrue(r[1].contains("Translate to English\n\n### Assistant:\n⟦|⟧Step 1: Identify the names"), r[1]);
    }

    @Test
    void aBadRecordIsOneLineNamingFileLineAndField(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"a\", \"chosen\": \"b\"}\n");
        String[] r = run("data", "inspect", file.toString());
        assertEquals("2", r[0]);
        assertEquals("align4j inspect: " + file + " line 2, field \"rejected\": missing", r[2].strip());
        String[] skipped = run("data", "inspect", file.toString(), "--on-error", "skip");
        assertEquals("0", skipped[0]);
        assertTrue(skipped[1].contains("examples: 1\nproblems: 1\n  missing field: 1\n"), skipped[1]);
    }

    @Test
    void showsASummarisationPromptAndBothSummariesWithTheBoundaryMarked(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("comparisons.jsonl");
        Files.writeString(file, """
                {"info": {"id": "t3_1", "post": "She hides under the bed all day.", "title": "My cat hides", "subreddit": "cats"}, "split": "train", "summaries": [{"text": " I have a cat"}, {"text": " cat hides under bed"}], "choice": 1, "extra": {"confidence": 7}}
                {"info": {"id": "t3_2", "post": "We argue a lot.", "title": "Moving out?", "subreddit": "relationships"}, "split": "valid1", "summaries": [{"text": " we argue"}, {"text": ""}], "choice": 0, "extra": {}}
                """);
        String[] r = run("data", "inspect", file.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("format: summarize_from_feedback\nexamples: 2\nproblems: 0\n"
                + "empty responses (kept; --drop-empty drops them): chosen 0, rejected 1\n"), r[1]);
        String prompt = "SUBREDDIT: r/cats\n\nTITLE: My cat hides\n\nPOST: She hides under the bed all day.\n\nTL;DR:";
        assertTrue(r[1].contains("--- " + file + " line 1 (split train, confidence 7)\n"
                + "chosen:   " + prompt + "⟦|⟧ cat hides under bed\n"
                + "rejected: " + prompt + "⟦|⟧ I have a cat\n"), r[1]);
        String[] dropped = run("data", "inspect", file.toString(), "--drop-empty", "--split", "valid1");
        assertEquals("0", dropped[0], dropped[2]);
        assertTrue(dropped[1].contains("examples: 0\nproblems: 2\n  empty response, dropped: 1\n  other split, filtered out: 1\n"), dropped[1]);
    }

    @Test
    void unpairWritesEveryChosenThenEveryRejectedResponse(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("pairs.jsonl");
        Files.writeString(file, "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"d\", \"chosen\": \"e\", \"rejected\": \"\"}\n");
        Path out = dir.resolve("unpaired.jsonl");
        String[] r = run("data", "unpair", file.toString(), "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        assertEquals(List.of("{\"prompt\":\"a\",\"completion\":\"b\",\"label\":true}", "{\"prompt\":\"d\",\"completion\":\"e\",\"label\":true}",
                "{\"prompt\":\"a\",\"completion\":\"c\",\"label\":false}", "{\"prompt\":\"d\",\"completion\":\"\",\"label\":false}"),
                Files.readAllLines(out));
    }
}
