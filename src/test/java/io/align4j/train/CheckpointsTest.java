package io.align4j.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
    @TempDir Path dir;

    @Test
    void keepsTheNewestCompleteCheckpoints() throws IOException {
        Checkpoints c = new Checkpoints(dir, 2);
        for (long step : new long[] {10, 20, 30}) c.save(step, f -> Files.writeString(f.resolve("state.txt"), "step " + step));
        assertEquals(List.of(dir.resolve("checkpoint-20"), dir.resolve("checkpoint-30")), c.list());
        assertEquals("step 30", Files.readString(c.latest().orElseThrow().resolve("state.txt")));
        assertEquals(30, Checkpoints.stepOf(c.latest().orElseThrow()));
    }

    @Test
    void aWriteThatDiesLeavesThePreviousCheckpointAsLatest() throws IOException {
        Checkpoints c = new Checkpoints(dir, 3);
        c.save(5, f -> Files.writeString(f.resolve("a"), "ok"));
        assertThrows(IOException.class, () -> {
            try {
                c.save(6, f -> {
                    Files.writeString(f.resolve("a"), "half");
                    throw new IOException("disk full");
                });
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        });
        assertEquals(dir.resolve("checkpoint-5"), c.latest().orElseThrow());
        // the half-written temporary is cleaned at the next save
        c.save(7, f -> Files.writeString(f.resolve("a"), "ok"));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".tmp")));
        }
    }

    @Test
    void metricsLogResumesAtItsCheckpointStep() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(f, 0)) {
            for (int s = 1; s <= 5; s++) log.log(s, Map.of("loss", 1.0 / s));
        }
        Files.writeString(f, Files.readString(f) + "{\"step\": 6, \"lo", java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        try (MetricsLog log = new MetricsLog(f, 3)) {
            log.log(4, Map.of("loss", 0.3));
        }
        List<Map<String, Object>> rows = MetricsLog.read(f);
        assertEquals(4, rows.size());
        assertEquals(0.3, ((Number) rows.get(3).get("loss")).doubleValue(), 0);
        assertEquals(3, ((Number) rows.get(2).get("step")).intValue());
    }
}
