package io.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.align4j.bench.GrpoStepBench;
import io.align4j.bench.ModelBench;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import io.align4j.model.ChunkedLogProbs;
import picocli.CommandLine.Option;

/** Measures matmul peak, DPO step, sampling and memory for a model configuration; delegates to {@link ModelBench}. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchCommand.Grpo.class,
        description = "Benchmark (bench grpo: GRPO steps): fp32 matmul peak, memory bandwidth, one DPO training step, sampling at batch 1/16/64 (engine and Java, with the share of the bandwidth bound at batch 1 and of the matmul-peak bound above), memory.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", defaultValue = "260K", description = "260K (stories260K when present), 15M, 110M, smollm2-135M, qwen2.5-0.5B or pythia-160M (default: ${DEFAULT-VALUE})")
    String config;

    @Option(names = "--pairs", defaultValue = "4", description = "pairs per DPO step (default: ${DEFAULT-VALUE})")
    int pairs;

    @Option(names = "--seq-len", defaultValue = "256", description = "tokens per sequence of the DPO step (default: ${DEFAULT-VALUE})")
    int seqLen;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed runs before each measurement (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--repeats", defaultValue = "10", description = "timed runs; the median is reported (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--sample-tokens", defaultValue = "511", description = "new tokens per row on the Java path; 0 skips sampling (default: ${DEFAULT-VALUE})")
    int sampleTokens;

    @Option(names = "--engine-sample-tokens", defaultValue = "32", description = "new tokens per row on the engine path (default: ${DEFAULT-VALUE})")
    int engineSampleTokens;

    @Option(names = "--leak-steps", defaultValue = "1000", description = "DPO steps for the memory-growth check; 0 skips it (default: ${DEFAULT-VALUE})")
    int leakSteps;

    @Option(names = "--skip-dpo", description = "skip the DPO step and the memory-growth check (matmul peak, bandwidth and sampling only)")
    boolean skipDpo;

    @Option(names = "--batches", split = ",", defaultValue = "1,16,64", description = "sampling batch sizes (default: ${DEFAULT-VALUE})")
    int[] batches;

    @Option(names = "--lora-r", defaultValue = "0", description = "DPO step with rank-r LoRA on every linear layer of the blocks,"
            + " alpha 2r, as the yardsticks' --lora; 0 trains every weight (default: ${DEFAULT-VALUE})")
    int loraR;

    @Option(names = "--gradient-checkpointing", description = "DPO step with activation checkpointing per block (the yardstick"
            + " TRL's --grad-ckpt)")
    boolean gradientCheckpointing;

    @Option(names = "--logit-chunk-tokens", defaultValue = "" + ChunkedLogProbs.DEFAULT_CHUNK_TOKENS, description = "response"
            + " positions per chunk of the DPO step's LM-head logits; 0 computes them all at once (default: ${DEFAULT-VALUE})")
    int logitChunkTokens;

    @Option(names = "--json", description = "also write all figures to this JSON file")
    Path json;

    @Override
    public Integer call() throws IOException {
        if (batches == null || batches.length == 0 || java.util.Arrays.stream(batches).anyMatch(b -> b <= 0))
            throw new UserError("--batches: give positive batch sizes, e.g. 1,16,64");
        if (pairs <= 0 || seqLen < 2 || warmup < 0 || repeats <= 0 || sampleTokens < 0 || engineSampleTokens <= 0 || leakSteps < 0
                || logitChunkTokens < 0)
            throw new UserError("--pairs, --repeats and --engine-sample-tokens must be positive, --seq-len at least 2, "
                    + "--warmup, --sample-tokens, --leak-steps and --logit-chunk-tokens not negative");
        Path stories = DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
        Map<String, Object> figures = new ModelBench(config, stories, pairs, seqLen, warmup, repeats, sampleTokens,
                engineSampleTokens, leakSteps, skipDpo, batches, loraR, gradientCheckpointing, logitChunkTokens).run(System.out::println);
        writeJson(json, figures);
        return 0;
    }

    private static void writeJson(Path json, Map<String, Object> figures) {
        if (json == null) return;
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), figures);
        } catch (IOException e) {
            throw new UserError("cannot write --json " + json + ": " + e.getMessage());
        }
    }

    /** GRPO steps shaped as bench/python/trl_grpo_bench.py runs TRL's GRPOTrainer; delegates to {@link GrpoStepBench}. */
    @Command(name = "grpo", mixinStandardHelpOptions = true,
            description = "GRPO steps on a random-weight model (the shape of bench/python/trl_grpo_bench.py): generation and update"
                    + " tokens/s (medians after 2 untimed steps) and peak resident memory, with the peak after each phase of the first step.")
    static final class Grpo implements Callable<Integer> {
        @Option(names = "--config", defaultValue = "15M", description = "15M, 110M, smollm2-135M, qwen2.5-0.5B or pythia-160M (default: ${DEFAULT-VALUE})")
        String config;

        @Option(names = "--prompts", defaultValue = "4", description = "prompts per step (default: ${DEFAULT-VALUE})")
        int prompts;

        @Option(names = "--generations", defaultValue = "8", description = "completions per prompt, TRL's num_generations (default: ${DEFAULT-VALUE})")
        int generations;

        @Option(names = "--prompt-tokens", defaultValue = "32", description = "ids per prompt (default: ${DEFAULT-VALUE})")
        int promptTokens;

        @Option(names = "--completion-tokens", defaultValue = "64", description = "ids per completion, exactly (default: ${DEFAULT-VALUE})")
        int completionTokens;

        @Option(names = "--steps", defaultValue = "6", description = "steps, the first 2 untimed (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--logit-chunk-tokens", defaultValue = "" + ChunkedLogProbs.DEFAULT_CHUNK_TOKENS, description = "response"
                + " positions per chunk of the update's LM-head logits; 0 computes them all at once (default: ${DEFAULT-VALUE})")
        int logitChunkTokens;

        @Option(names = "--gradient-checkpointing", description = "update with activation checkpointing per block")
        boolean gradientCheckpointing;

        @Option(names = "--json", description = "also write all figures to this JSON file")
        Path json;

        @Override
        public Integer call() throws IOException {
            if (prompts <= 0 || generations < 2 || promptTokens <= 0 || completionTokens <= 0 || steps < 3 || logitChunkTokens < 0)
                throw new UserError("--prompts, --prompt-tokens and --completion-tokens must be positive, --generations at least 2,"
                        + " --steps at least 3 (the first 2 are untimed), --logit-chunk-tokens not negative");
            writeJson(json, new GrpoStepBench(config, prompts, generations, promptTokens, completionTokens, steps, logitChunkTokens,
                    gradientCheckpointing).run(System.out::println));
            return 0;
        }
    }
}
