package io.align4j.config;

import static org.junit.jupiter.api.Assertions.*;

import io.align4j.util.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    public static class Sample {
        public double learningRate = 1e-6;
        public int batchSize = 8;
        public String objective = "dpo";
    }

    @TempDir Path dir;

    @Test
    void flagsOverrideYamlWhichOverridesDefaults() throws Exception {
        Path yaml = dir.resolve("run.yaml");
        Files.writeString(yaml, "learning_rate: 0.001\nbatch_size: 4\n");
        Map<String, Object> flags = new HashMap<>();
        flags.put("batch_size", 2);
        flags.put("objective", null); // not given
        Sample s = ConfigLoader.resolve(new Sample(), yaml, flags);
        assertEquals(0.001, s.learningRate, 0);
        assertEquals(2, s.batchSize);
        assertEquals("dpo", s.objective);
        Path written = dir.resolve("out/config.yaml");
        ConfigLoader.write(s, written);
        Sample back = ConfigLoader.read(written, Sample.class);
        assertEquals(2, back.batchSize);
    }

    @Test
    void unknownKeysAndWrongTypesNameTheFileAndKey() throws Exception {
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "learning_rat: 0.1\n");
        UserError e = assertThrows(UserError.class, () -> ConfigLoader.resolve(new Sample(), yaml, Map.of()));
        assertTrue(e.getMessage().contains("bad.yaml") && e.getMessage().contains("learning_rat"), e.getMessage());
        Files.writeString(yaml, "batch_size: many\n");
        e = assertThrows(UserError.class, () -> ConfigLoader.resolve(new Sample(), yaml, Map.of()));
        assertTrue(e.getMessage().contains("batch_size"), e.getMessage());
    }
}
