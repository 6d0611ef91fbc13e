package io.align4j.train;

import io.align4j.config.OnlineConfig;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.bench.BenchModels;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.objective.Grpo;
import io.align4j.objective.ObjectiveOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Align4j side of {@code bench/python/trl_grpo_bench.py} (not a test; run by hand, see the
 * README's GRPO section): GRPO steps of the same shape on a random-weight llama2.c model,
 * PROMPTS random prompts of PROMPT_TOKENS ids × GENERATIONS completions of exactly
 * COMPLETION_TOKENS ids, a trivial reward, one update per step (inner_epochs 1, mini_batches 1,
 * beta 0: no reference, loss dapo), on the real {@link TrainingLoop} and {@link GrpoTask}. Each
 * step's generation time is its {@code beginStep} (sampling and reward), its update time the rest
 * of the step; medians over the steps after the first two; peak resident memory is VmHWM.
 *
 * <p>Arguments: CONFIG (15M, 110M) PROMPTS GENERATIONS PROMPT_TOKENS COMPLETION_TOKENS STEPS.
 */
public final class GrpoSpeedBench {
    public static void main(String[] args) throws Exception {
        String shape = args.length > 0 ? args[0] : "15M";
        int prompts = arg(args, 1, 4), generations = arg(args, 2, 8), promptTokens = arg(args, 3, 32),
                completionTokens = arg(args, 4, 64), steps = arg(args, 5, 6);
        Path out = Files.createTempDirectory("align4j-grpo-bench");
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(Models.randomInit(BenchModels.byName(shape), manager, 0, DataType.FLOAT32));
            int vocab = model.config().vocabSize();
            SplittableRandom random = new SplittableRandom(1);
            List<int[]> train = new ArrayList<>();
            for (int p = 0; p < prompts * (steps + 1); p++) {
                int[] ids = new int[promptTokens];
                ids[0] = 1; // BOS
                for (int t = 1; t < promptTokens; t++) ids[t] = 3 + random.nextInt(vocab - 3);
                train.add(ids);
            }
            OnlineConfig c = new OnlineConfig();
            c.objective = "grpo";
            c.output = out.toString();
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
            RewardSource reward = (p, r) -> r.stream().mapToDouble(a -> a[a.length - 1] % 7).toArray();
            GrpoTask grpo = new GrpoTask(model, null, reward, OnlineTrainer.grpo(c), train, List.of(), 0, new int[0], new int[] {1, 2}, c);
            Timed task = new Timed(grpo);
            TrainingLoop.run(c, new TrainingLoop.Trainable(model.config(), model.parameters(), List.of()), task, manager, s -> {});
            task.stepEnded(System.nanoTime());
            double step = median(task.steps), gen = median(task.generations), upd = median(task.updates);
            int rows = prompts * generations;
            System.out.printf(Locale.ROOT, "align4j %s prompts=%d generations=%d prompt_tokens=%d completion_tokens=%d median_step=%.3fs"
                            + " generation=%.3fs update=%.3fs generation_tokens/s=%.0f update_tokens/s=%.0f peak_rss_MiB=%.0f%n",
                    shape, prompts, generations, promptTokens, completionTokens, step, gen, upd, rows * completionTokens / gen,
                    rows * (promptTokens + completionTokens) / upd, peakResidentMiB());
        }
    }

    private static int arg(String[] args, int i, int fallback) { return args.length > i ? Integer.parseInt(args[i]) : fallback; }

    private static double median(List<Double> x) {
        List<Double> timed = new ArrayList<>(x.subList(Math.min(2, x.size()), x.size()));
        timed.sort(null);
        return timed.get(timed.size() / 2);
    }

    private static double peakResidentMiB() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        return Double.NaN;
    }

    /** Times each step's beginStep (generation and reward) and the whole step, delegating everything. */
    private static final class Timed implements TrainingLoop.Task {
        final TrainingLoop.Task inner;
        final List<Double> steps = new ArrayList<>(), generations = new ArrayList<>(), updates = new ArrayList<>();
        long stepStart = -1, generationEnd;

        Timed(TrainingLoop.Task inner) { this.inner = inner; }

        void stepEnded(long now) {
            if (stepStart < 0) return;
            steps.add((now - stepStart) / 1e9);
            updates.add((now - generationEnd) / 1e9);
        }

        @Override public int trainSize() { return inner.trainSize(); }
        @Override public int updatesPerStep() { return inner.updatesPerStep(); }
        @Override public Map<String, Double> evaluate(NDManager manager) { return inner.evaluate(manager); }
        @Override public ObjectiveOutput loss(NDManager step, int[] examples, long seed) { return inner.loss(step, examples, seed); }
        @Override public ObjectiveOutput loss(NDManager step, int[] examples, long seed, int update) { return inner.loss(step, examples, seed, update); }

        @Override
        public Map<String, Double> beginStep(NDManager step, int[] examples, long seed) {
            long now = System.nanoTime();
            stepEnded(now); // the previous step ran until this one began
            stepStart = now;
            Map<String, Double> m = inner.beginStep(step, examples, seed);
            generationEnd = System.nanoTime();
            generations.add((generationEnd - stepStart) / 1e9);
            return m;
        }
    }
}
