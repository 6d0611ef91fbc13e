package io.align4j.model;

import io.align4j.model.family.Models;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.LoadedWeights;
import io.align4j.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every family in {@code fixtures/architectures/} against the logits of an independent
 * implementation (the folder's {@code reference.json}), with the tolerances its README gives:
 * logits within 1e-5 × max(1, max |logit|), teacher-forced log-prob sums within 1e-4, greedy
 * tokens equal wherever the reference's top-two margin exceeds the logit tolerance; then, per
 * family, a padded batch against each row alone, KV-cache decoding against the full forward, and
 * save → reload. A family added to the folder is checked without new test code.
 */
class ArchitectureFixturesTest {
    static final String FOLDER = "fixtures/architectures";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** The fixture folders (each with config.json, model.safetensors, reference.json), sorted by name. */
    static List<Path> fixtures() throws IOException {
        Path root = SharedData.require(FOLDER);
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("reference.json"))).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicContainer> everyFamilyMatchesItsReference() throws IOException {
        return fixtures().stream().map(folder -> DynamicContainer.dynamicContainer(folder.getFileName().toString(), Stream.of(
                DynamicTest.dynamicTest("logits, log-prob sums and greedy tokens", () -> matchesReference(folder)),
                DynamicTest.dynamicTest("padded batch equals each row alone", () -> paddedBatchEqualsRowsAlone(folder)),
                DynamicTest.dynamicTest("KV-cache decoding equals the full forward", () -> cacheEqualsFullForward(folder)),
                DynamicTest.dynamicTest("save and reload give identical logits", () -> saveAndReload(folder)))));
    }

    private static JsonNode reference(Path folder) throws IOException {
        return JSON.readTree(folder.resolve("reference.json").toFile());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }

    static CausalLM load(Path folder, NDManager m) {
        LoadedWeights w = HfCheckpoint.read(folder, m, DataType.FLOAT32);
        return Models.create(w.config(), w.parameters(), m);
    }

    /** Logits [T, vocab] of one sequence alone. */
    static float[] logits(CausalLM model, int[] ids, NDManager m) {
        try (NDManager s = m.newSubManager()) {
            return model.forward(s.create(ids, new Shape(1, ids.length)), null, null, null).toFloatArray();
        }
    }

    private static double tolerance(float[] values) {
        double max = 1;
        for (float v : values) max = Math.max(max, Math.abs(v));
        return 1e-5 * max;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        assertTrue(worst <= tolerance, what + ": largest difference " + worst + " at " + at + " (expected "
                + (at < 0 ? "" : expected[at]) + ", got " + (at < 0 ? "" : actual[at]) + "), tolerance " + tolerance);
    }

    private static void matchesReference(Path folder) throws IOException {
        JsonNode ref = reference(folder);
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = load(folder, m)) {
            int vocab = model.config().vocabSize();
            JsonNode sequences = ref.get("sequences");
            int[] first = ints(sequences.get(0).get("input_ids"));
            float[] expectedAll = new float[first.length * vocab];
            JsonNode rows = ref.get("first_sequence_logits");
            for (int t = 0; t < first.length; t++) System.arraycopy(floats(rows.get(t)), 0, expectedAll, t * vocab, vocab);
            assertClose(expectedAll, logits(model, first, m), tolerance(expectedAll), folder.getFileName() + " first sequence, every position");

            for (JsonNode seq : sequences) {
                int[] ids = ints(seq.get("input_ids"));
                float[] all = logits(model, ids, m);
                float[] expectedLast = floats(seq.get("last_logits"));
                double tol = tolerance(expectedLast);
                String what = folder.getFileName() + " sequence of " + ids.length;
                assertClose(expectedLast, Arrays.copyOfRange(all, (ids.length - 1) * vocab, ids.length * vocab), tol, what + ", last logits");
                double sum = 0;
                for (int t = 0; t + 1 < ids.length; t++) sum += logSoftmax(all, t * vocab, vocab, ids[t + 1]);
                assertEquals(seq.get("logprob_sum").asDouble(), sum, 1e-4, what + ": log-prob sum");

                int[] greedy = ints(seq.get("greedy_continuation"));
                JsonNode margins = seq.get("greedy_top2_margins");
                int[] fed = Arrays.copyOf(ids, ids.length + greedy.length);
                int compared = 0;
                for (int k = 0; k < greedy.length; k++) {
                    System.arraycopy(greedy, 0, fed, ids.length, k);
                    float[] step = logits(model, Arrays.copyOf(fed, ids.length + k), m);
                    int last = (ids.length + k - 1) * vocab;
                    if (margins.get(k).asDouble() <= tol) continue;
                    assertEquals(greedy[k], argmax(step, last, vocab), what + ": greedy step " + k);
                    compared++;
                }
                assertTrue(compared >= greedy.length / 2, what + ": only " + compared + " greedy steps had a clear margin");
            }
        }
    }

    private static double logSoftmax(float[] logits, int from, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[from + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(logits[from + i] - max);
        return logits[from + target] - max - Math.log(sum);
    }

    private static int argmax(float[] logits, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[from + i] > logits[from + best]) best = i;
        return best;
    }

    /** The three reference sequences left-padded into one batch (positions restart at each row's first token). */
    private static void paddedBatchEqualsRowsAlone(Path folder) throws IOException {
        JsonNode sequences = reference(folder).get("sequences");
        List<int[]> rows = new ArrayList<>();
        for (JsonNode seq : sequences) rows.add(ints(seq.get("input_ids")));
        int width = rows.stream().mapToInt(r -> r.length).max().orElseThrow(), batch = rows.size();
        int[] ids = new int[batch * width], positions = new int[batch * width], mask = new int[batch * width];
        for (int b = 0; b < batch; b++) {
            int pad = width - rows.get(b).length;
            System.arraycopy(rows.get(b), 0, ids, b * width + pad, rows.get(b).length);
            for (int t = pad; t < width; t++) {
                positions[b * width + t] = t - pad;
                mask[b * width + t] = 1;
            }
        }
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = load(folder, m)) {
            int vocab = model.config().vocabSize();
            float[] batched = model.forward(m.create(ids, new Shape(batch, width)), m.create(positions, new Shape(batch, width)),
                    m.create(mask, new Shape(batch, width)), null).toFloatArray();
            for (int b = 0; b < batch; b++) {
                int[] row = rows.get(b);
                float[] alone = logits(model, row, m);
                int pad = width - row.length;
                float[] inBatch = Arrays.copyOfRange(batched, (b * width + pad) * vocab, (b + 1) * width * vocab);
                assertClose(alone, inBatch, tolerance(alone), folder.getFileName() + " row " + b + " in a padded batch");
            }
        }
    }

    /** The longest sequence: a prefix in one forward, then one token at a time through the cache. */
    private static void cacheEqualsFullForward(Path folder) throws IOException {
        JsonNode sequences = reference(folder).get("sequences");
        int[] ids = ints(sequences.get(sequences.size() - 1).get("input_ids"));
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = load(folder, m); KvCache cache = model.newCache()) {
            int vocab = model.config().vocabSize(), prefix = 5;
            float[] full = logits(model, ids, m);
            float[] cached = new float[ids.length * vocab];
            float[] first = model.forward(m.create(Arrays.copyOf(ids, prefix), new Shape(1, prefix)), null, null, cache).toFloatArray();
            System.arraycopy(first, 0, cached, 0, first.length);
            for (int t = prefix; t < ids.length; t++) {
                try (NDManager s = m.newSubManager()) {
                    float[] step = model.forward(s.create(new int[] {ids[t]}, new Shape(1, 1)), null, null, cache).toFloatArray();
                    System.arraycopy(step, 0, cached, t * vocab, vocab);
                }
            }
            assertEquals(ids.length, cache.length());
            assertClose(full, cached, tolerance(full), folder.getFileName() + " KV-cache decoding");
        }
    }

    private void saveAndReload(Path folder) throws IOException {
        JsonNode sequences = reference(folder).get("sequences");
        int[] ids = ints(sequences.get(1).get("input_ids"));
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = load(folder, m)) {
            Path saved = tmp.resolve(folder.getFileName().toString());
            HfCheckpoint.write(saved, model.config(), model.parameters(), DataType.FLOAT32);
            assertEquals(model.config(), HfCheckpoint.readConfig(saved), "config.json reads back to the same config");
            try (CausalLM reloaded = load(saved, m)) {
                assertArrayEquals(logits(model, ids, m), logits(reloaded, ids, m), folder.getFileName() + " after save and reload");
            }
        }
    }
}
