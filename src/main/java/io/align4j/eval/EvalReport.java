package io.align4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The evaluation of one or more policies: a JSON file of every metric with its standard error, and a table. */
public final class EvalReport {
    /**
     * One policy's metrics and warnings.
     *
     * @param optimum the predicted optimum its {@code kl/optimum_*} metrics measure the distance to, or null
     */
    public record Row(String policy, String optimum, Map<String, Estimate> metrics, List<String> warnings) {
        public Row(String policy, Map<String, Estimate> metrics, List<String> warnings) {
            this(policy, null, metrics, warnings);
        }
    }

    private final List<Row> rows = new ArrayList<>();

    public void add(Row row) { rows.add(row); }

    public List<Row> rows() { return List.copyOf(rows); }

    /** {@code {"models": [{"model": M, "optimum": F (when given), "metrics": {name: {"mean", "stderr"}}, "warnings": [...]}]}}. */
    public void writeJson(Path file) {
        List<Map<String, Object>> models = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> metrics = new LinkedHashMap<>();
            r.metrics().forEach((name, e) -> {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("mean", finite(e.mean()));
                v.put("stderr", finite(e.stderr()));
                metrics.put(name, v);
            });
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", r.policy());
            if (r.optimum() != null) m.put("optimum", r.optimum());
            m.put("metrics", metrics);
            m.put("warnings", r.warnings());
            models.add(m);
        }
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), Map.of("models", models));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    /** One row per policy, one column per metric ({@code mean ± se}), then the warnings. */
    public String table() {
        Set<String> names = new LinkedHashSet<>();
        for (Row r : rows) names.addAll(r.metrics().keySet());
        List<String[]> cells = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("model"));
        header.addAll(names);
        cells.add(header.toArray(new String[0]));
        for (Row r : rows) {
            List<String> line = new ArrayList<>(List.of(r.policy()));
            for (String n : names) {
                Estimate e = r.metrics().get(n);
                line.add(e == null || Double.isNaN(e.mean()) ? "-"
                        : Double.isNaN(e.stderr()) ? String.format("%.4f", e.mean()) : String.format("%.4f ± %.4f", e.mean(), e.stderr()));
            }
            cells.add(line.toArray(new String[0]));
        }
        int[] width = new int[header.size()];
        for (String[] line : cells) for (int c = 0; c < line.length; c++) width[c] = Math.max(width[c], line[c].length());
        StringBuilder sb = new StringBuilder();
        for (String[] line : cells) {
            for (int c = 0; c < line.length; c++) sb.append(c == 0 ? "" : "  ").append(String.format("%-" + width[c] + "s", line[c]));
            sb.append('\n');
        }
        for (Row r : rows) if (r.optimum() != null) sb.append("optimum (").append(r.policy()).append("): ").append(r.optimum()).append('\n');
        for (Row r : rows) for (String w : r.warnings()) sb.append("warning (").append(r.policy()).append("): ").append(w).append('\n');
        return sb.toString();
    }

    private static Object finite(double x) {
        return Double.isFinite(x) ? x : null;
    }
}
