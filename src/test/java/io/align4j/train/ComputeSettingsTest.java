package io.align4j.train;

import io.align4j.config.OfflineConfig;

import static org.junit.jupiter.api.Assertions.*;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** device and dtype are run settings: a float64 run follows the float32 one up to float32 rounding. */
class ComputeSettingsTest {
    @TempDir Path dir;

    private OfflineConfig config(Path data, String name, String dtype) {
        OfflineConfig c = new OfflineConfig();
        c.data = data.toString();
        c.output = dir.resolve(name).toString();
        c.referenceCache = dir.resolve("refcache-" + dtype).toString();
        c.maxSteps = 3;
        c.batchSize = 4;
        c.learningRate = 1e-3;
        c.logEvery = 1;
        c.dtype = dtype;
        return c;
    }

    private static double number(Map<String, Object> row, String key) { return ((Number) row.get(key)).doubleValue(); }

    @Test
    void float64TrainingFollowsFloat32AndBadValuesAreOneLine() throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        Path data = StoryPairs.write(dir);
        PreferenceTrainer.run(config(data, "f32", "float32"), s -> {});
        PreferenceTrainer.run(config(data, "f64", "float64"), s -> {});
        List<Map<String, Object>> f32 = MetricsLog.read(dir.resolve("f32/metrics.jsonl"));
        List<Map<String, Object>> f64 = MetricsLog.read(dir.resolve("f64/metrics.jsonl"));
        assertEquals(f32.size(), f64.size());
        for (int i = 0; i < f32.size(); i++) {
            if (!f32.get(i).containsKey("loss")) continue; // held-out rows
            assertEquals(number(f32.get(i), "loss"), number(f64.get(i), "loss"), 1e-5, "step " + (i + 1));
            assertEquals(number(f32.get(i), "logps/chosen"), number(f64.get(i), "logps/chosen"), 1e-3, "step " + (i + 1));
        }
        assertNotEquals(f32.get(0).get("logps/chosen"), f64.get(0).get("logps/chosen"), "float64 is really used");
        OfflineConfig bad = config(data, "bad", "float16");
        String m = assertThrows(UserError.class, () -> PreferenceTrainer.run(bad, s -> {})).getMessage();
        assertTrue(m.contains("dtype 'float16'"), m);
        OfflineConfig badDevice = config(data, "bad2", "float32");
        badDevice.device = "tpu";
        m = assertThrows(UserError.class, () -> PreferenceTrainer.run(badDevice, s -> {})).getMessage();
        assertTrue(m.contains("device 'tpu'"), m);
    }
}
