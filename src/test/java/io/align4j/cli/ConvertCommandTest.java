package io.align4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.ParameterLayout;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.Llama2cWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
    private static final ModelConfig LLAMA = ModelConfig.llama(
            16, 40, 2, 4, 2, 37, 24, 1e-5, 10000.0, false, 1, 2);
    @TempDir Path dir;

    private static Map<String, NDArray> seeded(NDManager manager) {
        Random random = new Random(21);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> p : ParameterLayout.of(LLAMA).entrySet()) {
            float[] v = new float[(int) p.getValue().size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (0.02 * random.nextGaussian());
            params.put(p.getKey(), manager.create(v, p.getValue()));
        }
        return params;
    }

    /** Runs the CLI and returns its exit code followed by what it printed on stderr. */
    private static String[] run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new String[] {String.valueOf(Main.run(args)), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void hfFolderToLlama2cEqualsWritingTheParametersDirectly() throws IOException {
        Path folder = dir.resolve("hf"), viaCli = dir.resolve("cli.bin"), direct = dir.resolve("direct.bin");
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = seeded(manager);
            HfCheckpoint.write(folder, LLAMA, params, DataType.FLOAT32);
            Llama2cWriter.write(direct, LLAMA, params);
        }
        String[] result = run("convert", "--from", "hf", "--model", folder.toString(), "--to", "llama2c",
                "--out", viaCli.toString());
        assertEquals("0", result[0], result[1]);
        assertArrayEquals(Files.readAllBytes(direct), Files.readAllBytes(viaCli));
    }

    @Test
    void userMistakesExitWithCodeTwoAndOneLine() {
        String[] missing = run("convert", "--from", "hf", "--model", dir.resolve("nowhere").toString(),
                "--to", "llama2c", "--out", dir.resolve("x.bin").toString());
        assertEquals("2", missing[0]);
        assertTrue(missing[1].contains("nowhere") && missing[1].contains("config.json"), missing[1]);
        // one line from us and no stack trace (the engine may log its own warnings on first load)
        assertEquals(1, missing[1].lines().filter(l -> l.startsWith("align4j convert: ")).count(), missing[1]);
        assertFalse(missing[1].contains("\tat "), missing[1]);

        String[] badFormat = run("convert", "--from", "gguf", "--model", "m", "--to", "hf", "--out", "o");
        assertEquals("2", badFormat[0]);
        assertTrue(badFormat[1].contains("--from gguf"), badFormat[1]);

        String[] badDtype = run("convert", "--from", "hf", "--model", "m", "--to", "llama2c", "--out", "o",
                "--dtype", "bfloat16");
        assertEquals("2", badDtype[0]);
        assertTrue(badDtype[1].contains("float32 only"), badDtype[1]);
    }
}
