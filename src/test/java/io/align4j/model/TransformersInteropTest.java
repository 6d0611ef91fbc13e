package io.align4j.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.io.HfCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real client reads what Align4j writes: every fixture family is saved by Align4j, loaded by
 * Hugging Face transformers ({@code scripts/hf_interop_check.py}) and must give Align4j's logits
 * within 1e-5 × max(1, max |logit|). Runs where the Python environment of
 * {@code ../shared/bench/make_env.sh} exists ({@code ALIGN4J_BENCH_PYTHON}, else
 * {@code ~/.cache/align4j-bench-env/bin/python}); skips with a message elsewhere.
 */
public class TransformersInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    public static Path benchPython() {
        String configured = System.getenv("ALIGN4J_BENCH_PYTHON");
        Path python = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache/align4j-bench-env/bin/python");
        Assumptions.assumeTrue(Files.isExecutable(python), () -> "skipped: no Python with transformers at " + python
                + " (build it with ../shared/bench/make_env.sh, or set ALIGN4J_BENCH_PYTHON)");
        return python;
    }

    @Test
    void transformersLoadsEveryFamilySavedByAlign4jWithTheSameLogits() throws Exception {
        Path python = benchPython();
        ArrayNode cases = JSON.createArrayNode();
        int[] ids = {2, 17, 300, 42, 9, 250, 3, 77, 128, 5, 64, 31, 200, 8, 99, 1, 45, 23, 310, 6};
        for (Path folder : ArchitectureFixturesTest.fixtures()) {
            try (NDManager m = NDManager.newBaseManager(); CausalLM model = ArchitectureFixturesTest.load(folder, m)) {
                Path saved = dir.resolve(folder.getFileName().toString());
                HfCheckpoint.write(saved, model.config(), model.parameters(), DataType.FLOAT32);
                int[] sequence = java.util.Arrays.stream(ids).map(i -> i % model.config().vocabSize()).toArray();
                float[] logits = ArchitectureFixturesTest.logits(model, sequence, m);
                ObjectNode c = cases.addObject();
                c.put("name", folder.getFileName().toString());
                c.put("folder", saved.toString());
                ArrayNode input = c.putArray("input_ids");
                for (int i : sequence) input.add(i);
                ArrayNode rows = c.putArray("logits");
                int vocab = model.config().vocabSize();
                for (int t = 0; t < sequence.length; t++) {
                    ArrayNode row = rows.addArray();
                    for (int v = 0; v < vocab; v++) row.add(logits[t * vocab + v]);
                }
            }
        }
        Path casesFile = dir.resolve("cases.json");
        JSON.writeValue(casesFile.toFile(), cases);
        Process p = new ProcessBuilder(python.toString(), Path.of("scripts/hf_interop_check.py").toAbsolutePath().toString(),
                casesFile.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the check did not finish");
        System.out.println(output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains(cases.size() + " passed, 0 failed"), output);
    }
}
