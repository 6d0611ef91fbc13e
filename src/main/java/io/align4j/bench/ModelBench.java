package io.align4j.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.generate.Generation;
import io.align4j.generate.JavaDecoder;
import io.align4j.generate.Sampler;
import io.align4j.generate.SamplingConfig;
import ai.djl.ndarray.NDArray;
import io.align4j.model.CausalLM;
import io.align4j.model.ChunkedLogProbs;
import io.align4j.model.lora.LoraAdapters;
import io.align4j.model.lora.LoraConfig;
import java.util.List;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Models;
import io.align4j.model.io.Llama2cCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The figures of {@code align4j bench} for one model configuration, each the median of
 * {@code repeats} timed runs after {@code warmup} untimed ones: the engine's fp32 matmul peak,
 * one DPO training step (tokens/s, GFLOP/s and share of the peak), sampling throughput on the
 * engine and on the {@link JavaDecoder} at batch 1, 16 and 64, peak resident memory, and the
 * growth of resident memory over {@code leakSteps} training steps (overall, and in their second
 * half split into JVM and native memory).
 *
 * @param config             {@code 260K}, {@code 15M} or {@code 110M} ({@link BenchModels})
 * @param stories260K        the stories260K checkpoint used for {@code 260K} when present, else null
 * @param pairs              pairs per DPO step
 * @param length             tokens per sequence of the DPO step
 * @param warmup             untimed runs before each measurement
 * @param repeats            timed runs of each measurement
 * @param sampleTokens       new tokens per row on the Java path (from BOS, temperature 1, top-p 0.9)
 * @param engineSampleTokens new tokens per row on the engine path (fewer: it is two orders slower)
 * @param leakSteps          DPO steps over which resident memory growth is measured; 0 skips it
 * @param logitChunkTokens   positions per chunk of the DPO step's LM-head logits, 0 for all at once
 */
public record ModelBench(String config, Path stories260K, int pairs, int length, int warmup, int repeats,
                         int sampleTokens, int engineSampleTokens, int leakSteps, boolean skipDpo, int[] samplingBatches,
                         int loraR, boolean checkpointBlocks, int logitChunkTokens) {

    /** All parts, sampling at batch 1, 16 and 64. */
    public ModelBench(String config, Path stories260K, int pairs, int length, int warmup, int repeats, int sampleTokens,
                      int engineSampleTokens, int leakSteps) {
        this(config, stories260K, pairs, length, warmup, repeats, sampleTokens, engineSampleTokens, leakSteps, false, SAMPLING_BATCHES, 0,
                false, ChunkedLogProbs.DEFAULT_CHUNK_TOKENS);
    }

    /** Matmul size for the peak: 2048² fp32 is the shape the design notes quote. */
    private static final int PEAK_MATMUL_SIZE = 2048;
    private static final int[] SAMPLING_BATCHES = {1, 16, 64};
    /** Floats in each of the triad's three arrays: 3 × 128 MiB, far beyond any cache. */
    private static final int TRIAD_FLOATS = 1 << 25;

    /** Runs every measurement, reporting progress lines to {@code log}; the figures by name, in order. */
    public Map<String, Object> run(Consumer<String> log) {
        Map<String, Object> out = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            boolean real = "260K".equals(config) && stories260K != null && Files.exists(stories260K);
            out.put("config", config);
            out.put("weights", real ? stories260K.toString() : "random");
            out.put("threads", Runtime.getRuntime().availableProcessors());

            double peak = MatmulPeak.gflops(manager, PEAK_MATMUL_SIZE, warmup, repeats);
            out.put("matmul_peak_gflops", peak);
            log.accept(String.format("fp32 matmul peak (%d²): %.1f GFLOP/s", PEAK_MATMUL_SIZE, peak));
            int threads = Runtime.getRuntime().availableProcessors();
            double bandwidth = MemoryBandwidth.triadGBs(threads, TRIAD_FLOATS, warmup, Math.max(repeats, 5));
            out.put("memory_bandwidth_gbs", bandwidth);
            log.accept(String.format("memory bandwidth (STREAM triad, %d threads, 3 × %d MiB): %.1f GB/s", threads,
                    TRIAD_FLOATS / 262144, bandwidth));

            if (!skipDpo) try (CausalLM base = load(manager, real)) {
                ModelConfig c = base.config();
                out.put("parameters", base.parameters().values().stream().mapToLong(p -> p.getShape().size()).sum());
                // LoRA as the yardsticks run it: every linear layer of the blocks, α = 2r, no dropout
                LoraAdapters adapters = loraR > 0 ? LoraAdapters.init(base, new LoraConfig(loraR, 2.0 * loraR, 0,
                        List.of(LoraConfig.ALL_LINEAR)), 1, manager) : null;
                CausalLM policy = adapters == null ? base : adapters.applyTo(base);
                Map<String, NDArray> trained = adapters == null ? base.parameters() : adapters.tensors();
                // The random draws' Java arrays and the direct buffers that carried them to the engine are garbage now.
                // Collected here, the heap shrinks back (388 → 40 MiB committed for SmolLM2-135M) instead of staying
                // resident through the steps whose peak is measured; an eager runtime frees such buffers at once.
                System.gc();
                out.put("dpo_lora_r", loraR);
                out.put("dpo_gradient_checkpointing", checkpointBlocks);
                out.put("dpo_logit_chunk_tokens", logitChunkTokens);
                try (DpoStepBench dpo = new DpoStepBench(policy, trained, checkpointBlocks, logitChunkTokens, pairs, Math.min(length, c.maxSeqLen()), 1)) {
                    double seconds = Timing.medianSeconds(warmup, repeats, dpo::step);
                    double tokensPerSecond = dpo.tokensPerStep() / seconds;
                    double gflops = tokensPerSecond * dpo.flopsPerToken() / 1e9;
                    out.put("dpo_pairs", pairs);
                    out.put("dpo_length", Math.min(length, c.maxSeqLen()));
                    out.put("dpo_step_seconds", seconds);
                    out.put("dpo_tokens_per_second", tokensPerSecond);
                    out.put("dpo_gflops", gflops);
                    out.put("dpo_share_of_peak", gflops / peak);
                    double executed = dpo.executedFlopsPerStep() / seconds / 1e9;
                    out.put("dpo_executed_gflops", executed);
                    out.put("dpo_executed_share_of_peak", executed / peak);
                    log.accept(String.format("DPO step %d pairs × %d tokens: %.4f s, %.0f tokens/s, %.1f model GFLOP/s = %.0f%% of peak (FLOPs counted as the reference script counts them); "
                                    + "%.1f GFLOP/s = %.0f%% of peak executed (the classifier runs on response positions only)",
                            pairs, Math.min(length, c.maxSeqLen()), seconds, tokensPerSecond, gflops, 100 * gflops / peak, executed, 100 * executed / peak));
                    // CPU time and page faults of one more step: on a shared machine they move less than wall time does
                    double cpuBefore = ProcessMemory.cpuSeconds();
                    long faultsBefore = ProcessMemory.minorFaults();
                    dpo.step();
                    double cpuSeconds = ProcessMemory.cpuSeconds() - cpuBefore;
                    long faults = ProcessMemory.minorFaults() - faultsBefore;
                    out.put("dpo_step_cpu_seconds", cpuSeconds);
                    out.put("dpo_step_minor_faults", faults);
                    log.accept(String.format("one more DPO step: %.1f s of process CPU time, %,d minor page faults", cpuSeconds, faults));
                    out.put("dpo_peak_rss_mib", ProcessMemory.peakResidentMiB());
                    log.accept(String.format("peak RSS after the DPO steps: %.0f MiB", ProcessMemory.peakResidentMiB()));
                    if (leakSteps > 0) out.putAll(memoryGrowth(dpo, log));
                }
            }
            if (sampleTokens > 0) {
                try (CausalLM frozen = load(manager, real)) {
                    out.putAll(sampling(frozen, peak, bandwidth, log));
                }
            }
            out.put("peak_rss_mib", ProcessMemory.peakResidentMiB());
            log.accept(String.format("peak RSS: %.0f MiB", ProcessMemory.peakResidentMiB()));
        }
        return out;
    }

    private CausalLM load(NDManager manager, boolean real) {
        if (real) return Llama2cCheckpoint.read(stories260K, manager);
        return Models.randomInit(BenchModels.byName(config), manager, 20240611L, DataType.FLOAT32);
    }

    /**
     * Resident memory after the warm-up steps, after half of {@code leakSteps} more and after all of
     * them. glibc's allocator keeps growing its arenas for a while before it has a free block of
     * every size a step asks for, so the first half includes that settling; growth in the second
     * half is the steady state, what a long run keeps adding per step. It is split into the JVM's
     * heap and non-heap pools and the rest (libtorch's tensors and glibc's arenas), where a leaked
     * NDArray would show.
     */
    private Map<String, Object> memoryGrowth(DpoStepBench dpo, Consumer<String> log) {
        int warmupSteps = Math.max(warmup, 3), firstHalf = leakSteps / 2;
        for (int i = 0; i < warmupSteps; i++) dpo.step();
        ProcessMemory.Snapshot start = ProcessMemory.snapshot();
        for (int i = 0; i < firstHalf; i++) dpo.step();
        ProcessMemory.Snapshot middle = ProcessMemory.snapshot();
        for (int i = firstHalf; i < leakSteps; i++) dpo.step();
        ProcessMemory.Snapshot end = ProcessMemory.snapshot();
        int secondHalf = leakSteps - firstHalf;
        double all = kibPerStep(start.resident(), end.resident(), leakSteps);
        double steady = kibPerStep(middle.resident(), end.resident(), secondHalf);
        double heap = kibPerStep(middle.heapCommitted(), end.heapCommitted(), secondHalf);
        double nonHeap = kibPerStep(middle.nonHeapCommitted(), end.nonHeapCommitted(), secondHalf);
        double outside = kibPerStep(middle.outsideJvm(), end.outsideJvm(), secondHalf);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("leak_steps", leakSteps);
        out.put("rss_after_warmup_mib", start.resident());
        out.put("rss_after_half_mib", middle.resident());
        out.put("rss_after_steps_mib", end.resident());
        out.put("rss_growth_kib_per_step", all);
        out.put("rss_growth_second_half_kib_per_step", steady);
        out.put("jvm_heap_growth_second_half_kib_per_step", heap);
        out.put("jvm_non_heap_growth_second_half_kib_per_step", nonHeap);
        out.put("outside_jvm_growth_second_half_kib_per_step", outside);
        log.accept(String.format("RSS after %d warm-up DPO steps, then after %d and %d more: %.1f → %.1f → %.1f MiB", warmupSteps,
                firstHalf, leakSteps, start.resident(), middle.resident(), end.resident()));
        log.accept(String.format("RSS growth: %.2f KiB/step over all %d steps (includes the allocator settling), %.2f KiB/step over "
                + "the last %d (steady state) = JVM heap %.2f + JVM non-heap %.2f + outside the JVM (libtorch, glibc) %.2f",
                all, leakSteps, steady, secondHalf, heap, nonHeap, outside));
        return out;
    }

    private static double kibPerStep(double beforeMiB, double afterMiB, int steps) {
        return steps == 0 ? 0 : (afterMiB - beforeMiB) * 1024 / steps;
    }

    /**
     * New tokens per second from BOS at temperature 1, top-p 0.9 (llama2.c's defaults), no stop
     * ids, on both paths, each against its bound: at batch 1 the memory bandwidth over the bytes
     * of the weights a token streams (every matrix once; an untied embedding table only one
     * row), at larger batches the matmul peak over 2 FLOPs per streamed weight and token
     * (attention's FLOPs, a few percent at these lengths, are not counted). The Java decoder is
     * built once, outside the timing; its build time is reported apart.
     */
    private Map<String, Object> sampling(CausalLM model, double peak, double bandwidth, Consumer<String> log) {
        Map<String, Object> out = new LinkedHashMap<>();
        ModelConfig c = model.config();
        int context = c.maxSeqLen() - 1;
        int javaTokens = Math.min(sampleTokens, context), engineTokens = Math.min(engineSampleTokens, context);
        out.put("sample_tokens_java", javaTokens);
        out.put("sample_tokens_engine", engineTokens);
        long parameters = model.parameters().values().stream().mapToLong(p -> p.getShape().size()).sum();
        long streamed = streamedWeights(c, parameters);
        double bandwidthBound = bandwidth * 1e9 / (4.0 * streamed), peakBound = peak * 1e9 / (2.0 * streamed);
        out.put("sample_streamed_weights", streamed);
        out.put("sample_bandwidth_bound_tokens_per_second", bandwidthBound);
        out.put("sample_matmul_bound_tokens_per_second", peakBound);
        log.accept(String.format("sampling bounds: batch 1 %.0f new tokens/s (%.1f GB/s over %.0f MB of fp32 weights a token), "
                + "large batches %.0f new tokens/s (%.1f GFLOP/s over %.2f GFLOP a token)", bandwidthBound, bandwidth, 4e-6 * streamed,
                peakBound, peak, 2e-9 * streamed));
        boolean javaSupported = JavaDecoder.supports(model);
        if (javaSupported) {
            // the sampler's kept decoder: built (weights copied and packed) on its first use, rewritten in place on every later one
            long start = System.nanoTime();
            JavaDecoder.sampleWith(model, d -> null);
            double build = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            JavaDecoder.sampleWith(model, d -> null);
            double reload = (System.nanoTime() - start) / 1e9;
            out.put("java_decoder_build_seconds", build);
            out.put("java_decoder_reload_seconds", reload);
            log.accept(String.format("Java decoder built (weights copied and packed) in %.2f s; rereading the weights into it takes %.2f s",
                    build, reload));
        }
        String chosen = Sampler.usesJavaDecoder(model) ? "java" : "engine";
        out.put("sample_chosen_path", chosen);
        log.accept("the sampler's measured choice for this model: the " + chosen + " path");
        for (int batch : samplingBatches) {
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < batch; i++) prompts.add(new int[] {c.bosId()});
            SamplingConfig engineConfig = new SamplingConfig(1.0, 0, 0.9, engineTokens, new int[0], new int[0], 7);
            SamplingConfig javaConfig = new SamplingConfig(1.0, 0, 0.9, javaTokens, new int[0], new int[0], 7);
            double bound = batch == 1 ? bandwidthBound : Math.min(batch * bandwidthBound, peakBound);
            String boundName = batch == 1 ? "bandwidth" : batch * bandwidthBound < peakBound ? "bandwidth" : "matmul peak";
            double engine = newTokens(prompts, engineConfig) / Timing.medianSeconds(Math.min(warmup, 1), Math.min(repeats, 3),
                    () -> Sampler.generateOnEngine(model, prompts, engineConfig));
            out.put("sample_batch" + batch + "_engine_tokens_per_second", engine);
            out.put("sample_batch" + batch + "_engine_share_of_bound", engine / bound);
            out.put("sample_batch" + batch + "_bound", boundName);
            if (!javaSupported) {
                log.accept(String.format("sampling batch %d: engine %.1f new tokens/s (%d tokens) = %.0f%% of the %s bound %.0f; "
                        + "the Java decoder does not support this model", batch, engine, engineTokens, 100 * engine / bound, boundName, bound));
                continue;
            }
            double java = newTokens(prompts, javaConfig)
                    / JavaDecoder.sampleWith(model, d -> Timing.medianSeconds(warmup, repeats, () -> d.generate(prompts, javaConfig)));
            out.put("sample_batch" + batch + "_java_tokens_per_second", java);
            out.put("sample_batch" + batch + "_java_share_of_bound", java / bound);
            log.accept(String.format("sampling batch %d: engine %.1f new tokens/s (%d tokens) = %.0f%% of bound, Java %.1f new tokens/s "
                            + "(%d tokens) = %.0f%% of the %s bound %.0f, ×%.1f",
                    batch, engine, engineTokens, 100 * engine / bound, java, javaTokens, 100 * java / bound, boundName, bound, java / engine));
        }
        return out;
    }

    /**
     * Weights one decoding step reads for each row: all parameters but the token embedding when
     * the classifier is not tied to it (a step reads one row of it) and learned positions.
     */
    static long streamedWeights(ModelConfig c, long parameters) {
        long streamed = parameters;
        if (!c.tiedEmbeddings()) streamed -= (long) c.vocabSize() * c.dim();
        if (c.rope() == null) streamed -= (long) c.maxSeqLen() * c.dim();
        return streamed;
    }

    private static long newTokens(List<int[]> prompts, SamplingConfig config) {
        return (long) prompts.size() * config.maxNewTokens();
    }
}
