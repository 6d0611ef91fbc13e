package io.align4j.cli;

import static io.align4j.testing.CliRun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j data inspect} on the OpenAI shared file and on a bad file. */
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
}
