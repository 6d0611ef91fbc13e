package io.align4j.train;

import io.align4j.model.ScalarOps;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.config.ConfigLoader;
import io.align4j.config.RunConfig;
import io.align4j.model.BlockCheckpointing;
import io.align4j.model.ChunkedLogProbs;
import io.align4j.model.ModelConfig;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.safetensors.SafeTensors;
import io.align4j.objective.ObjectiveOutput;
import io.align4j.util.NativeHeap;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The optimisation loop every trainer shares: data order, gradient accumulation, global-norm
 * clipping, AdamW with a warm-up schedule, progress, metrics, held-out evaluation, atomic
 * checkpoints and exact resume. A {@link Task} supplies the loss of a micro-batch.
 *
 * <p>Everything random is derived from the seed and the step, never carried as generator
 * state: the order of epoch {@code e} is a shuffle by {@code Random(seed, e)} and step
 * {@code s} consumes the positions {@code [s·P, (s+1)·P)} of the concatenated epochs
 * ({@code P} examples per step). A run resumed from checkpoint {@code s} therefore sees exactly
 * the data, and draws exactly the samples, that the uninterrupted run would have.
 */
public final class TrainingLoop {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String TRAINER_STATE = "trainer_state.json";
    static final String OPTIMIZER_STATE = "optimizer.safetensors";
    /** Trained parameters that are not part of the model, e.g. a value head. */
    public static final String AUXILIARY_STATE = "auxiliary.safetensors";

    /** What is trained and how its loss is computed. */
    public interface Task {
        /** Number of training examples. */
        int trainSize();

        /** Differentiable loss and metrics of the given training examples; arrays in {@code step}. */
        ObjectiveOutput loss(NDManager step, int[] examples, long seed);

        /** Held-out metrics (computed without gradients); empty when there is no held-out data. */
        Map<String, Double> evaluate(NDManager manager);

        /**
         * Optimiser updates per step. An online task's step is one rollout (sampling and
         * scoring the step's prompts) followed by this many updates on mini-batches of it, so
         * checkpoints fall on rollout boundaries and a resumed run samples afresh exactly where
         * the uninterrupted run did. Offline tasks take one update per step.
         */
        default int updatesPerStep() { return 1; }

        /**
         * Work done once per step before its updates, with arrays that must outlive the updates
         * in {@code step}: an online task samples and scores its rollout here, drawing every
         * sample from {@code seed}. Returns the step's metrics that do not depend on the update.
         */
        default Map<String, Double> beginStep(NDManager step, int[] examples, long seed) { return Map.of(); }

        /** Loss of update {@code update} (0-based) of a step; offline tasks have only update 0. */
        default ObjectiveOutput loss(NDManager step, int[] examples, long seed, int update) {
            return loss(step, examples, seed);
        }
    }

    /**
     * Parameters being trained, with what a checkpoint needs to write them as a model, and
     * {@code auxiliary} parameters trained alongside that are not part of the model (a PPO value
     * head): they are saved beside it in {@value #AUXILIARY_STATE}, their optimiser moments with
     * the model's.
     */
    public record Trainable(ModelConfig config, Map<String, NDArray> parameters, List<Path> tokenizerFiles,
                            Map<String, NDArray> auxiliary, ModelWriter writer) {
        public Trainable(ModelConfig config, Map<String, NDArray> parameters, List<Path> tokenizerFiles) {
            this(config, parameters, tokenizerFiles, Map.of());
        }

        public Trainable(ModelConfig config, Map<String, NDArray> parameters, List<Path> tokenizerFiles,
                         Map<String, NDArray> auxiliary) {
            this(config, parameters, tokenizerFiles, auxiliary, ModelWriter.FULL);
        }

        /** The same with other auxiliary parameters. */
        public Trainable withAuxiliary(Map<String, NDArray> aux) {
            return new Trainable(config, parameters, tokenizerFiles, aux, writer);
        }

        /** Model and auxiliary parameters together: what the optimiser updates. */
        Map<String, NDArray> all() {
            if (auxiliary.isEmpty()) return parameters;
            Map<String, NDArray> all = new LinkedHashMap<>(parameters);
            all.putAll(auxiliary);
            return all;
        }
    }

    /** Writes the model part of a checkpoint into the checkpoint's folder, which is being assembled and starts empty. */
    @FunctionalInterface
    public interface ModelWriter {
        /** Every weight, in the Hugging Face layout. */
        ModelWriter FULL = (folder, t) -> HfCheckpoint.writeInto(folder, t.config(), t.parameters(), DataType.FLOAT32,
                HfCheckpoint.DEFAULT_MAX_SHARD_BYTES, t.tokenizerFiles().toArray(Path[]::new));

        void write(Path folder, Trainable t) throws IOException;
    }

    public record Result(long steps, Map<String, Double> lastMetrics, Map<String, Double> evalMetrics, Path output) {}

    /** A non-finite loss: the run stops and keeps its last good checkpoint. */
    public static final class DivergedError extends UserError {
        DivergedError(String message) { super(message); }
    }

    /** The parameters saved in the newest complete checkpoint of {@code output}, if any. */
    public static java.util.Optional<Path> latestCheckpoint(Path output, int keepLast) {
        return new Checkpoints(output, keepLast).latest();
    }

    /** The auxiliary parameters saved in a checkpoint (empty when it has none), owned by {@code manager}. */
    public static Map<String, NDArray> readAuxiliary(Path checkpoint, NDManager manager) throws IOException {
        Path file = checkpoint.resolve(AUXILIARY_STATE);
        return Files.exists(file) ? SafeTensors.read(file, manager) : Map.of();
    }

    /**
     * Runs {@code config}'s optimisation of {@code trainable} on {@code task}. When resuming,
     * the caller has built {@code trainable} from the checkpoint's weights; this restores the
     * optimiser and step from the same checkpoint.
     */
    public static Result run(RunConfig config, Trainable trainable, Task task, NDManager manager,
                             Consumer<String> log) throws IOException {
        Path out = Path.of(config.output);
        Files.createDirectories(out);
        ConfigLoader.write(config, out.resolve("config.yaml"));
        Checkpoints checkpoints = new Checkpoints(out, config.keepLast);
        int perStep = config.batchSize * config.gradientAccumulation;
        if (config.batchSize <= 0 || config.gradientAccumulation <= 0)
            throw new UserError("batch_size and gradient_accumulation must be positive");
        long totalSteps = config.maxSteps > 0 ? config.maxSteps
                : (long) Math.ceil((double) config.epochs * task.trainSize() / perStep);
        if (task.trainSize() == 0) throw new UserError("no training examples left after reading and tokenizing " + config.data);
        var schedule = new LearningRateSchedule(LearningRateSchedule.parseKind(config.schedule), config.learningRate,
                config.warmupSteps, (int) totalSteps);
        Map<String, NDArray> params = trainable.all();
        for (NDArray p : params.values()) p.setRequiresGradient(true);
        AdamW adam = new AdamW(manager, config.adamBeta1, config.adamBeta2, config.adamEpsilon, config.weightDecay);

        long step = 0;
        java.util.Optional<Path> resumeFrom = config.resume ? checkpoints.latest() : java.util.Optional.empty();
        if (resumeFrom.isPresent()) {
            step = restoreOptimizer(resumeFrom.get(), config, adam, manager);
            log.accept("resuming from " + resumeFrom.get() + " at step " + step);
        }
        long firstStep = step;
        Map<String, Double> last = Map.of(), evalMetrics = Map.of();
        EpochOrder order = new EpochOrder(task.trainSize(), config.seed);
        // the chunk size holds for every log-prob of the run: updates, rollouts and held-out evaluation alike
        try (MetricsLog metrics = new MetricsLog(out.resolve("metrics.jsonl"), step);
             ChunkedLogProbs.Scope logitChunks = ChunkedLogProbs.scope(config.logitChunkTokens)) {
            ProgressBar bar = new ProgressBar(config.objective, step, totalSteps, System.err);
            while (step < totalSteps) {
                Map<String, Double> stepMetrics = new LinkedHashMap<>();
                long seed = config.seed * 1_000_003L + step;
                int updates = task.updatesPerStep();
                try (NDManager sm = manager.newSubManager()) {
                    try {
                        stepMetrics.putAll(task.beginStep(sm, order.slice(step * perStep, perStep), seed));
                    } catch (UserError e) { // a failing reward: say where the run stopped and what is safe to resume from
                        throw new UserError("step " + (step + 1) + ": " + e.getMessage() + "; the last checkpoint is "
                                + checkpoints.latest().map(Path::toString).orElse("none"), e);
                    }
                    double lr = schedule.at(step);
                    for (int update = 0; update < updates; update++) {
                        try (NDManager um = sm.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector();
                             BlockCheckpointing.Scope checkpointing = BlockCheckpointing.scope(config.gradientCheckpointing)) {
                            for (int micro = 0; micro < config.gradientAccumulation; micro++) {
                                int[] batch = order.slice(step * perStep + (long) micro * config.batchSize, config.batchSize);
                                // the engine's generator (LoRA dropout) restarts from (seed, step, update, micro-batch), so a resumed run draws the same masks
                                Engine.getInstance().setRandomSeed((int) (seed * 31 + update * 8191L + micro));
                                ObjectiveOutput o = task.loss(um, batch, seed, update);
                                Map<String, Double> values = o.values();
                                double loss = values.get("loss");
                                if (!Double.isFinite(loss))
                                    throw new DivergedError("step " + (step + 1) + ": loss is " + loss + " on the batch of training examples "
                                            + Arrays.toString(batch) + "; the last good checkpoint is "
                                            + checkpoints.latest().map(Path::toString).orElse("none")
                                            + " (lower learning_rate or raise max_grad_norm clipping)");
                                gc.backward(ScalarOps.div(o.loss(), config.gradientAccumulation));
                                BlockCheckpointing.backward(gc);
                                double share = (double) config.gradientAccumulation * updates;
                                values.forEach((k, v) -> stepMetrics.merge(k, v / share, Double::sum));
                            }
                            double gradNorm = GradientClipping.clipGlobalNorm(params, config.maxGradNorm);
                            if (!Double.isFinite(gradNorm))
                                throw new DivergedError("step " + (step + 1) + ": gradient norm is " + gradNorm
                                        + " (non-finite gradients: " + nonFiniteGradients(params) + ", non-finite parameters: "
                                        + nonFinite(params) + "); the last good checkpoint is "
                                        + checkpoints.latest().map(Path::toString).orElse("none"));
                            adam.step(params, lr);
                            Gradients.zero(params);
                            stepMetrics.merge("grad_norm", gradNorm / updates, Double::sum);
                        }
                        // the update's activations are freed now; returned to the kernel, the next update's peak does not stack on them
                        NativeHeap.trim();
                    }
                    stepMetrics.put("learning_rate", lr);
                }
                step++;
                stepMetrics.put("epoch", (double) step * perStep / task.trainSize());
                last = stepMetrics;
                if (step % Math.max(1, config.logEvery) == 0 || step == totalSteps) metrics.log(step, stepMetrics);
                bar.update(step, pick(stepMetrics, "loss", "ppl", "accuracy", "rewards/margins", "rewards/accuracies", "rewards/mean"));
                boolean end = step == totalSteps;
                boolean stopping = config.stopAfterSteps > 0 && step - firstStep >= config.stopAfterSteps;
                if ((config.evalEvery > 0 && step % config.evalEvery == 0) || end) {
                    evalMetrics = prefixed(task.evaluate(manager));
                    if (!evalMetrics.isEmpty()) metrics.log(step, evalMetrics);
                }
                if ((config.saveEvery > 0 && step % config.saveEvery == 0) || end || stopping) {
                    long saved = step;
                    checkpoints.save(step, folder -> writeCheckpoint(folder, trainable, adam, saved, config));
                }
                if (stopping) {
                    log.accept("stopping after " + config.stopAfterSteps + " steps as asked; resume continues from step " + step);
                    break;
                }
            }
        }
        Path finalCheckpoint = checkpoints.latest().orElseThrow();
        return new Result(step, last, evalMetrics, finalCheckpoint);
    }

    /** Model (Hugging Face layout, or only its adapters), optimiser moments and the step, in one checkpoint folder. */
    static void writeCheckpoint(Path folder, Trainable t, AdamW adam, long step, RunConfig config) throws IOException {
        t.writer().write(folder, t);
        Map<String, NDArray> moments = new LinkedHashMap<>();
        adam.firstMoments().forEach((k, v) -> moments.put("m." + k, v));
        adam.secondMoments().forEach((k, v) -> moments.put("v." + k, v));
        if (!moments.isEmpty()) SafeTensors.write(folder.resolve(OPTIMIZER_STATE), moments);
        if (!t.auxiliary().isEmpty()) SafeTensors.write(folder.resolve(AUXILIARY_STATE), t.auxiliary());
        ObjectNode state = JSON.createObjectNode();
        state.put("step", step);
        state.put("optimizer_step", adam.stepCount());
        state.put("seed", config.seed);
        state.put("objective", config.objective);
        beforeStateWrite(step);
        JSON.writerWithDefaultPrettyPrinter().writeValue(stateFile(folder, step).toFile(), state);
    }

    /**
     * Test hook: with {@code -Dalign4j.test.fullDiskCheckpointStep=N} checkpoint N's trainer state
     * goes to {@code /dev/full}, whose writes fail with the kernel's "No space left on device"
     * (ENOSPC), as on a full disk.
     */
    private static Path stateFile(Path folder, long step) {
        String full = System.getProperty("align4j.test.fullDiskCheckpointStep");
        return full != null && Long.parseLong(full) == step ? Path.of("/dev/full") : folder.resolve(TRAINER_STATE);
    }

    /**
     * Test hook: with {@code -Dalign4j.test.pauseCheckpointStep=N} the writer of checkpoint N
     * announces itself on stdout and waits, so a test can kill the process in the middle of it.
     */
    private static void beforeStateWrite(long step) {
        String pause = System.getProperty("align4j.test.pauseCheckpointStep");
        if (pause == null || Long.parseLong(pause) != step) return;
        System.out.println("WRITING_CHECKPOINT " + step);
        System.out.flush();
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The step and optimiser state of the checkpoint being resumed.
     *
     * @throws UserError when the checkpoint lacks its trainer state, or was written by another objective
     *                   (whose parameters and optimiser moments this run's would not match)
     */
    private static long restoreOptimizer(Path checkpoint, RunConfig config, AdamW adam, NDManager manager) throws IOException {
        Path stateFile = checkpoint.resolve(TRAINER_STATE);
        if (!Files.isRegularFile(stateFile))
            throw new UserError(stateFile + ": file not found, so " + checkpoint + " cannot be resumed (write to a new output folder)");
        var state = JSON.readTree(stateFile.toFile());
        String objective = state.path("objective").asText(config.objective);
        if (!objective.equals(config.objective))
            throw new UserError(checkpoint + " was written by objective '" + objective + "', this run's is '" + config.objective
                    + "': resume with the same objective, or write to a new output folder");
        long step = state.path("step").asLong();
        Map<String, NDArray> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        Path opt = checkpoint.resolve(OPTIMIZER_STATE);
        if (Files.exists(opt)) {
            SafeTensors.read(opt, manager).forEach((k, v) -> (k.startsWith("m.") ? first : second).put(k.substring(2), v));
        }
        adam.restore(state.path("optimizer_step").asLong(), first, second);
        return step;
    }

    private static List<String> nonFiniteGradients(Map<String, NDArray> params) {
        List<String> bad = new ArrayList<>();
        params.forEach((name, w) -> {
            if (!w.hasGradient()) return;
            try (NDArray g = w.getGradient()) {
                if (!allFinite(g)) bad.add(name);
            }
        });
        return bad;
    }

    private static List<String> nonFinite(Map<String, NDArray> params) {
        List<String> bad = new ArrayList<>();
        params.forEach((name, w) -> { if (!allFinite(w)) bad.add(name); });
        return bad;
    }

    private static boolean allFinite(NDArray a) {
        try (NDArray sum = a.abs().sum()) {
            return Double.isFinite(sum.toType(DataType.FLOAT64, false).getDouble());
        }
    }

    private static Map<String, Double> prefixed(Map<String, Double> m) {
        Map<String, Double> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put("eval/" + k, v));
        return out;
    }

    private static Map<String, Double> pick(Map<String, Double> m, String... keys) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String k : keys) if (m.containsKey(k)) out.put(k, m.get(k));
        return out;
    }

    /** The concatenated shuffled epochs, a function of the seed alone. */
    static final class EpochOrder {
        private final int size;
        private final long seed;
        private int cachedEpoch = -1;
        private int[] cachedOrder;

        EpochOrder(int size, long seed) {
            this.size = size;
            this.seed = seed;
        }

        int[] slice(long start, int count) {
            int[] out = new int[count];
            for (int i = 0; i < count; i++) {
                long position = start + i;
                out[i] = order((int) (position / size))[(int) (position % size)];
            }
            return out;
        }

        private int[] order(int epoch) {
            if (epoch != cachedEpoch) {
                List<Integer> idx = new ArrayList<>(size);
                for (int i = 0; i < size; i++) idx.add(i);
                Collections.shuffle(idx, new Random(seed * 7919L + epoch));
                cachedOrder = idx.stream().mapToInt(Integer::intValue).toArray();
                cachedEpoch = epoch;
            }
            return cachedOrder;
        }
    }

}
