package io.align4j.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.hub.HubSettings;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import io.align4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Which path decodes a model faster on this machine, the {@link JavaDecoder} or the engine:
 * measured, not assumed from a parameter count measured on one machine. The first time a model
 * shape is sampled it is timed on both paths at one row and at 32 rows (a few greedy tokens each
 * after a warm-up, the paths alternating, best of three), and the path with the smaller total is written to {@code decode-paths.json} in
 * the user's cache, keyed by the shape, the cores and the kernels. Every later process on the
 * machine reads the decision instead of measuring again, so the path (and with it the last bits
 * of the sampling log-probs, which the two paths agree on to 1e-4, with the same tokens) does not
 * change between a run and its resumption. The decision is one per model, not per batch size:
 * a batch cut into shards (a distributed rollout) must sample on the path of the whole batch to
 * give its bits.
 *
 * <p>The system property {@code align4j.sampler} set to {@code java} or {@code engine} forces a
 * path; {@code align4j.decode.paths} names another decisions file (tests use a temporary one).
 */
public final class DecodePathChoice {
    private DecodePathChoice() {}

    public static final String FILE_PROPERTY = "align4j.decode.paths", FILE_NAME = "decode-paths.json";
    /** The batch sizes a decision is measured at: a lone row (bandwidth-bound) and a rollout-sized batch (compute-bound). */
    static final int[] PROBE_BATCHES = {1, 32};
    /** Tokens timed per path: enough to see the per-token cost past the prompt's forward. */
    static final int PROBE_TOKENS = 8;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Boolean> DECIDED = new ConcurrentHashMap<>();

    /** A measured decision as written to the file. */
    public record Decision(String key, boolean java, double javaSeconds, double engineSeconds) {}

    /** Measures both paths; swapped out by tests. */
    interface Probe {
        double seconds(CausalLM model, int batch, boolean java);
    }

    static Probe probe = DecodePathChoice::time;
    static Consumer<String> log = message -> System.err.println("align4j: " + message);

    /** Whether the Java decoder is the faster path for {@code model} (which it must support). */
    public static boolean javaFaster(CausalLM model) {
        String key = key(model.config());
        Boolean known = DECIDED.get(key);
        if (known != null) return known;
        synchronized (DecodePathChoice.class) {
            known = DECIDED.get(key);
            if (known != null) return known;
            Path file = file();
            boolean java;
            // the file lock keeps two processes that measure at once from dropping each other's decisions
            try (FileChannel lockChannel = openLock(file); FileLock lock = lockChannel == null ? null : lockChannel.lock()) {
            ObjectNode all = read(file);
            JsonNode saved = all.get(key);
            if (saved != null && saved.has("path")) {
                java = saved.get("path").asText().equals("java");
            } else {
                Decision d = measure(model, key);
                java = d.java();
                ObjectNode entry = all.putObject(key);
                entry.put("path", java ? "java" : "engine");
                entry.put("java_seconds", d.javaSeconds());
                entry.put("engine_seconds", d.engineSeconds());
                entry.put("probe_tokens", PROBE_TOKENS);
                entry.put("measured", Instant.now().toString());
                write(file, all);
                log.accept(String.format(Locale.ROOT, "decoding %s on the %s path (measured %.1f ms Java, %.1f ms engine for %d tokens"
                        + " at batch 1 and 32, best of 3; remembered in %s)", model.config().family(), java ? "Java" : "engine",
                        1e3 * d.javaSeconds(), 1e3 * d.engineSeconds(), PROBE_TOKENS, file));
            }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("locking " + file, e);
            }
            DECIDED.put(key, java);
            return java;
        }
    }

    /** Timings of each path at each probe batch, alternating the paths. */
    static final int PROBE_ROUNDS = 3;

    /**
     * Each path's best of {@link #PROBE_ROUNDS} timings at each probe batch, summed over the batches. The
     * paths alternate (Java, engine, Java, ...) and the minimum is kept, so a burst of load from other
     * processes slows one timing of each rather than every timing of one path.
     */
    static Decision measure(CausalLM model, String key) {
        double java = 0, engine = 0;
        for (int batch : PROBE_BATCHES) {
            double bestJava = Double.POSITIVE_INFINITY, bestEngine = Double.POSITIVE_INFINITY;
            for (int round = 0; round < PROBE_ROUNDS; round++) {
                bestJava = Math.min(bestJava, probe.seconds(model, batch, true));
                bestEngine = Math.min(bestEngine, probe.seconds(model, batch, false));
            }
            java += bestJava;
            engine += bestEngine;
        }
        return new Decision(key, java <= engine, java, engine);
    }

    /**
     * Seconds to decode {@link #PROBE_TOKENS} greedy tokens for {@code batch} one-token prompts, after one warm-up. The
     * Java path is timed on the sampler's kept decoder, so building it (a copy of the model) is neither timed nor repeated.
     */
    private static double time(CausalLM model, int batch, boolean java) {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < batch; i++) prompts.add(new int[] {model.config().bosId()});
        SamplingConfig config = SamplingConfig.greedy(PROBE_TOKENS);
        if (java) return JavaDecoder.sampleWith(model, decoder -> secondsOfSecondRun(() -> decoder.generate(prompts, config)));
        return secondsOfSecondRun(() -> Sampler.generateOnEngine(model, prompts, config));
    }

    private static double secondsOfSecondRun(Runnable run) {
        run.run();
        long start = System.nanoTime();
        run.run();
        return (System.nanoTime() - start) / 1e9;
    }

    /** The model's shape and what the machine brings to it. */
    static String key(ModelConfig c) {
        return String.format(Locale.ROOT, "%s dim=%d hidden=%d layers=%d heads=%d/%d vocab=%d tied=%b | cores=%d %s",
                c.family(), c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(), c.tiedEmbeddings(),
                Runtime.getRuntime().availableProcessors(), JavaDecoder.vectorKernels() ? "vector" : "scalar");
    }

    static Path file() {
        String given = System.getProperty(FILE_PROPERTY);
        if (given != null && !given.isBlank()) return Path.of(given);
        return HubSettings.fromEnvironment().cacheRoot().resolve(FILE_NAME);
    }

    /** Forgets what this process has decided (the file stays): for tests. */
    static void forget() {
        DECIDED.clear();
    }

    /** A channel on the decisions file's lock file, or null when its folder cannot be written (then nothing is remembered). */
    private static FileChannel openLock(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            return FileChannel.open(parent.resolve(file.getFileName() + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            return null;
        }
    }

    private static ObjectNode read(Path file) {
        if (!Files.isRegularFile(file)) return JSON.createObjectNode();
        try {
            JsonNode tree = JSON.readTree(file.toFile());
            return tree instanceof ObjectNode o ? o : JSON.createObjectNode();
        } catch (IOException e) {
            // a damaged decisions file costs one measurement, not a failed run
            log.accept("ignoring unreadable " + file + " (" + e.getMessage() + "); measuring again");
            return JSON.createObjectNode();
        }
    }

    private static void write(Path file, ObjectNode all) {
        try {
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all);
            AtomicFiles.write(file, out -> AtomicFiles.writeFully(out, ByteBuffer.wrap(bytes)));
        } catch (IOException | RuntimeException e) {
            // a read-only cache only means measuring again in the next process
            log.accept("cannot remember the decoding path in " + file + ": " + e.getMessage());
        }
    }
}
