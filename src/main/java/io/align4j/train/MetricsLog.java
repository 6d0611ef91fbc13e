package io.align4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object per logging step ({@code metrics.jsonl}), metric names as the ecosystem uses
 * them ({@code loss}, {@code rewards/margins}, ...). Each line is flushed, so a killed run keeps
 * every line it logged; a resumed run first truncates lines past its checkpoint's step, so the
 * file reads as if the run had never stopped.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    public MetricsLog(Path file, long resumeStep) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (resumeStep > 0 && Files.exists(file)) keepUpTo(file, resumeStep);
            else Files.deleteIfExists(file);
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Appends {@code {"step": step, ...metrics}}. */
    public void log(long step, Map<String, ?> metrics) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.putAll(metrics);
        try {
            out.write(JSON.writeValueAsString(row));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads every row of a metrics file. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> read(Path file) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8))
            if (!line.isBlank()) rows.add(JSON.readValue(line, Map.class));
        return rows;
    }

    private static void keepUpTo(Path file, long step) throws IOException {
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            try {
                if (JSON.readTree(line).path("step").asLong() <= step) kept.add(line);
            } catch (IOException partialLastLine) {
                // a line cut short by a kill is dropped
            }
        }
        Files.write(file, kept, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
