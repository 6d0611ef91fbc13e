package io.align4j.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.config.OnlineConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.train.GrpoTask;
import io.align4j.train.OnlineTrainer;
import io.align4j.train.RewardSource;
import io.align4j.train.TrainingLoop;
import io.align4j.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code align4j bench grpo}: GRPO steps as TRL's {@code GRPOTrainer} runs them in
 * {@code bench/python/trl_grpo_bench.py}, on a random-weight model of a real shape: {@code prompts}
 * random prompts of {@code promptTokens} ids, {@code generations} completions each of exactly
 * {@code completionTokens} ids, a trivial reward (the last id mod 7), then one optimiser update on
 * all of it (inner_epochs 1, mini_batches 1, β = 0 so no reference model, loss dapo: TRL's
 * defaults), on the real {@link TrainingLoop} and {@link GrpoTask}. A step's generation is its
 * {@code beginStep} (sampling and reward), its update the rest of the step. Figures are medians over
 * the steps after the first two: generation tokens/s = new tokens / generation time, update tokens/s
 * = (prompt + completion) tokens / update time; and peak resident memory (VmHWM), with the resident
 * memory after loading and the peak after each phase of the first step, so the report shows which
 * phase sets it.
 */
public record GrpoStepBench(String config, int prompts, int generations, int promptTokens, int completionTokens, int steps,
                            int logitChunkTokens, boolean checkpointBlocks) {
    private static final int UNTIMED_STEPS = 2;

    public GrpoStepBench {
        if (prompts <= 0 || generations <= 1 || promptTokens < 1 || completionTokens < 1 || steps <= UNTIMED_STEPS || logitChunkTokens < 0)
            throw new IllegalArgumentException("prompts and tokens must be positive, generations at least 2, steps more than "
                    + UNTIMED_STEPS + ", the logit chunk not negative");
    }

    /** Runs the steps, printing one line per figure to {@code out}; returns the figures by name. */
    public Map<String, Object> run(Consumer<String> out) throws IOException {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("config", config);
        figures.put("prompts", prompts);
        figures.put("generations", generations);
        figures.put("prompt_tokens", promptTokens);
        figures.put("completion_tokens", completionTokens);
        Path folder = Files.createTempDirectory("align4j-grpo-bench");
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(Models.randomInit(BenchModels.byName(config), manager, 0, DataType.FLOAT32));
            figures.put("memory/loaded_MiB", ProcessMemory.residentMiB());
            OnlineConfig c = config(folder);
            RewardSource reward = (p, responses) -> responses.stream().mapToDouble(a -> a[a.length - 1] % 7).toArray();
            GrpoTask grpo = new GrpoTask(model, null, reward, OnlineTrainer.grpo(c), prompts(model.config().vocabSize()), List.of(),
                    0, new int[0], new int[] {1, 2}, c);
            Timed task = new Timed(grpo);
            TrainingLoop.run(c, new TrainingLoop.Trainable(model.config(), model.parameters(), List.of()), task, manager, s -> {});
            task.stepEnded(System.nanoTime());
            double generation = Timing.median(task.generations), update = Timing.median(task.updates);
            int rows = prompts * generations;
            figures.put("generation_s", generation);
            figures.put("update_s", update);
            figures.put("generation_tokens_per_s", rows * completionTokens / generation);
            figures.put("update_tokens_per_s", rows * (promptTokens + completionTokens) / update);
            figures.put("memory/peak_after_first_generation_MiB", task.peakAfterFirstGeneration);
            figures.put("memory/peak_after_first_update_MiB", task.peakAfterFirstUpdate);
            figures.put("peak_rss_MiB", ProcessMemory.peakResidentMiB());
        } finally {
            AtomicFiles.deleteTree(folder);
        }
        figures.forEach((name, value) -> out.accept(name + " " + (value instanceof Double d ? String.format(java.util.Locale.ROOT, "%.3f", d) : value)));
        return figures;
    }

    private OnlineConfig config(Path folder) {
        OnlineConfig c = new OnlineConfig();
        c.objective = "grpo";
        c.output = folder.toString();
        c.batchSize = prompts;
        c.samplesPerPrompt = generations;
        c.maxNewTokens = completionTokens;
        c.fixedLength = true;
        c.innerEpochs = 1;
        c.miniBatches = 1;
        c.maxSteps = steps;
        c.learningRate = 1e-6;
        c.logEvery = 1000;
        c.evalPrompts = 0;
        c.saveEvery = 0;
        c.logitChunkTokens = logitChunkTokens;
        c.gradientCheckpointing = checkpointBlocks;
        return c;
    }

    /** Random prompts (BOS, then ids above the special ones), enough for every step; fixed seed. */
    private List<int[]> prompts(int vocab) {
        SplittableRandom random = new SplittableRandom(1);
        List<int[]> train = new ArrayList<>();
        for (int p = 0; p < prompts * (steps + 1); p++) {
            int[] ids = new int[promptTokens];
            ids[0] = 1;
            for (int t = 1; t < promptTokens; t++) ids[t] = 3 + random.nextInt(vocab - 3);
            train.add(ids);
        }
        return train;
    }

    /** Times each step's beginStep (generation and reward) and the whole step; reads the peak after each phase of the first. */
    private static final class Timed implements TrainingLoop.Task {
        final TrainingLoop.Task inner;
        final List<Double> generations = new ArrayList<>(), updates = new ArrayList<>();
        long stepStart = -1, generationEnd;
        int step;
        double peakAfterFirstGeneration = Double.NaN, peakAfterFirstUpdate = Double.NaN;

        Timed(TrainingLoop.Task inner) { this.inner = inner; }

        void stepEnded(long now) {
            if (stepStart < 0) return;
            if (step == 1) peakAfterFirstUpdate = ProcessMemory.peakResidentMiB();
            if (step > UNTIMED_STEPS) updates.add((now - generationEnd) / 1e9);
        }

        @Override public int trainSize() { return inner.trainSize(); }
        @Override public int updatesPerStep() { return inner.updatesPerStep(); }
        @Override public Map<String, Double> evaluate(NDManager manager) { return inner.evaluate(manager); }
        @Override public ObjectiveOutput loss(NDManager s, int[] examples, long seed) { return inner.loss(s, examples, seed); }
        @Override public ObjectiveOutput loss(NDManager s, int[] examples, long seed, int update) { return inner.loss(s, examples, seed, update); }

        @Override
        public Map<String, Double> beginStep(NDManager s, int[] examples, long seed) {
            long now = System.nanoTime();
            stepEnded(now); // the previous step ran until this one began
            stepStart = now;
            step++;
            Map<String, Double> metrics = inner.beginStep(s, examples, seed);
            generationEnd = System.nanoTime();
            if (step == 1) peakAfterFirstGeneration = ProcessMemory.peakResidentMiB();
            if (step > UNTIMED_STEPS) generations.add((generationEnd - stepStart) / 1e9);
            return metrics;
        }
    }
}
