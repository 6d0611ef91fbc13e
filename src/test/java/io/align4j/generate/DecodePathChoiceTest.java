package io.align4j.generate;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.model.CausalLM;
import io.align4j.model.io.Llama2cCheckpoint;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sampler's path is the one measured faster, measured once per model shape and machine (at
 * one row and at 32) and then read back (by this process or the next) instead of measured again; the real
 * probe times both paths. The timings here are a stand-in probe's, so the decisions are fixed.
 */
class DecodePathChoiceTest {
    @TempDir Path dir;
    private String savedFile;
    private DecodePathChoice.Probe savedProbe;
    private final List<String> probed = new ArrayList<>();

    @BeforeEach
    void useATemporaryFile() {
        savedFile = System.getProperty(DecodePathChoice.FILE_PROPERTY);
        savedProbe = DecodePathChoice.probe;
        System.setProperty(DecodePathChoice.FILE_PROPERTY, dir.resolve("paths.json").toString());
        DecodePathChoice.forget();
    }

    @AfterEach
    void restore() {
        if (savedFile == null) System.clearProperty(DecodePathChoice.FILE_PROPERTY);
        else System.setProperty(DecodePathChoice.FILE_PROPERTY, savedFile);
        DecodePathChoice.probe = savedProbe;
        DecodePathChoice.forget();
    }

    /** A probe where the Java decoder takes {@code javaSeconds} and the engine {@code engineSeconds}. */
    private void timings(double javaSeconds, double engineSeconds) {
        DecodePathChoice.probe = (model, batch, java) -> {
            probed.add(batch + (java ? " java" : " engine"));
            return java ? javaSeconds : engineSeconds;
        };
    }

    @Test
    void theFasterPathIsChosenRememberedAndReadBackWithoutMeasuringAgain() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = Llama2cCheckpoint.read(SharedData.require(DataPaths.STORIES260K_MODEL), m)) {
            timings(0.002, 0.001);
            assertFalse(Sampler.usesJavaDecoder(model), "the engine measured faster");
            assertEquals(List.of("1 java", "1 engine", "1 java", "1 engine", "1 java", "1 engine",
                    "32 java", "32 engine", "32 java", "32 engine", "32 java", "32 engine"), probed,
                    "best of three on each path, alternating, at one row and at 32");
            probed.clear();
            assertFalse(Sampler.usesJavaDecoder(model));
            assertTrue(probed.isEmpty(), "nothing measured again in this process");

            // a new process reads the file: no probe runs, and the decision stands
            DecodePathChoice.forget();
            DecodePathChoice.probe = (mm, b, j) -> { throw new AssertionError("measured again"); };
            assertFalse(Sampler.usesJavaDecoder(model));
            JsonNode saved = new ObjectMapper().readTree(dir.resolve("paths.json").toFile());
            assertEquals(1, saved.size(), saved.toString());
            JsonNode entry = saved.get(DecodePathChoice.key(model.config()));
            assertEquals("engine", entry.get("path").asText());
            assertEquals(0.004, entry.get("java_seconds").asDouble(), 1e-12, "the best at batch 1 plus the best at 32");
            assertEquals(0.002, entry.get("engine_seconds").asDouble(), 1e-12);

            // whichever path is chosen, the tokens are the same (JavaDecoderTest holds the log-probs to 1e-4)
            SamplingConfig seeded = SamplingConfig.sampling(1.0, 24, 11);
            List<int[]> prompts = List.of(new int[] {1}, new int[] {1, 40, 41});
            List<Generation> chosen = Sampler.generate(model, prompts, seeded);
            System.setProperty(Sampler.PATH_PROPERTY, "java");
            try {
                List<Generation> java = Sampler.generate(model, prompts, seeded);
                for (int i = 0; i < prompts.size(); i++) assertArrayEquals(java.get(i).tokens(), chosen.get(i).tokens());
            } finally {
                System.clearProperty(Sampler.PATH_PROPERTY);
            }
        }
    }

    @Test
    void aDamagedFileCostsAMeasurementNotARun() throws Exception {
        Files.writeString(dir.resolve("paths.json"), "{ not json");
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = Llama2cCheckpoint.read(SharedData.require(DataPaths.STORIES260K_MODEL), m)) {
            timings(0.001, 0.002);
            assertTrue(Sampler.usesJavaDecoder(model));
            assertEquals(12, probed.size());
            assertTrue(new ObjectMapper().readTree(dir.resolve("paths.json").toFile()).has(DecodePathChoice.key(model.config())));
        }
    }

    /** The real probe on stories260K: both paths run and a decision with both timings is written. */
    @Test
    void theRealProbeTimesBothPaths() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = Llama2cCheckpoint.read(SharedData.require(DataPaths.STORIES260K_MODEL), m)) {
            Sampler.usesJavaDecoder(model);
            JsonNode entry = new ObjectMapper().readTree(dir.resolve("paths.json").toFile()).get(DecodePathChoice.key(model.config()));
            assertTrue(entry.get("java_seconds").asDouble() > 0 && entry.get("engine_seconds").asDouble() > 0, entry.toString());
            assertEquals(entry.get("java_seconds").asDouble() <= entry.get("engine_seconds").asDouble(), entry.get("path").asText().equals("java"));
        }
    }
}
