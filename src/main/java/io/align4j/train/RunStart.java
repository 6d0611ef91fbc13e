package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.config.PolicyConfig;
import io.align4j.config.RunConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.Compute;
import io.align4j.model.family.Models;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.LoadedWeights;
import io.align4j.model.io.ModelLoader;
import io.align4j.model.lora.LoraAdapters;
import io.align4j.model.lora.LoraConfig;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The recipe every trainer shares, around its own data and task: open the starting model and its
 * tokenizer on the run's device and dtype, find the checkpoint to resume, build the policy (full
 * or LoRA) and its reference, and hand the task to the {@link TrainingLoop}. Closing it frees the
 * run's tensors.
 */
final class RunStart implements AutoCloseable {
    final RunConfig config;
    final Path modelPath;
    /** The tokenizer given, or null for the model's own. */
    final Path tokenizerPath;
    final NDManager manager;
    final ModelLoader.LoadedModel start;
    /** The newest complete checkpoint of the output folder when resuming. */
    final Optional<Path> checkpoint;

    private RunStart(RunConfig c, NDManager manager) {
        this.config = c;
        this.modelPath = c.model != null ? Path.of(c.model) : DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
        this.tokenizerPath = c.tokenizer == null ? null : Path.of(c.tokenizer);
        this.manager = manager;
        this.start = ModelLoader.load(modelPath, tokenizerPath, manager, compute(c).dtype());
        this.checkpoint = c.resume ? TrainingLoop.latestCheckpoint(Path.of(c.output), c.keepLast) : Optional.empty();
    }

    /** Opens the run's starting model; {@code needsData} runs fail first, before loading, when no data file is set. */
    static RunStart open(RunConfig c, boolean needsData) {
        if (needsData) data(c);
        if (c.gradientCheckpointing && c.loraR > 0 && c.loraDropout > 0)
            throw new UserError("gradient_checkpointing recomputes each block in the backward pass, where LoRA dropout would draw"
                    + " other masks than the forward did: set lora_dropout to 0 or leave gradient_checkpointing off");
        if (c.logitChunkTokens < 0)
            throw new UserError("logit_chunk_tokens is " + c.logitChunkTokens + ": give a positive number of positions, or 0 for unchunked logits");
        NDManager manager = compute(c).newManager();
        try {
            return new RunStart(c, manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    TextTokenizer tokenizer() { return start.tokenizer(); }

    List<Path> tokenizerFiles() { return ModelLoader.tokenizerFiles(modelPath, tokenizerPath); }

    TrainingLoop.Result train(TrainingLoop.Trainable trainable, TrainingLoop.Task task, Consumer<String> log) throws java.io.IOException {
        return TrainingLoop.run(config, trainable, task, manager, log);
    }

    @Override
    public void close() {
        try {
            start.close();
        } finally {
            manager.close();
        }
    }

    static Compute compute(RunConfig c) { return Compute.parse(c.device, c.dtype); }

    /** The training data file, which every trainer but the online ones needs. */
    static Path data(RunConfig c) {
        if (c.data == null) throw new UserError("no training data: set data (--data FILE)");
        return Path.of(c.data);
    }

    /**
     * The model a run trains, the frozen reference it is measured against, and what the loop
     * updates and checkpoints. Full fine-tuning copies the start as the reference and trains every
     * weight; with {@code lora_r > 0} the start itself stays frozen as the reference (no copy),
     * only adapters train, and checkpoints hold only them (PEFT's layout).
     */
    record Policy(CausalLM model, CausalLM reference, TrainingLoop.Trainable trainable) {}

    /**
     * The policy: from the checkpoint when resuming, else from the start; the reference is the
     * config's {@code reference} model when set. Without {@code needsReference} (SFT, GRPO with
     * β = 0) full fine-tuning makes no reference copy and the reference is null.
     */
    Policy policy(boolean needsReference) {
        RunConfig c = config;
        String referencePath = c instanceof PolicyConfig p ? p.reference : null;
        CausalLM reference = referencePath != null && needsReference
                ? ModelLoader.load(Path.of(referencePath), tokenizerPath, manager, compute(c).dtype()).model() : null;
        CausalLM base = start.model();
        if (c.loraR <= 0) {
            if (reference == null && needsReference) reference = Models.frozenCopy(base, manager);
            CausalLM model = modelToTrain();
            return new Policy(model, reference, new TrainingLoop.Trainable(model.config(), model.parameters(), tokenizerFiles()));
        }
        List<String> targets = c.loraTarget == null ? LoraAdapters.defaultTargets(base.config().family())
                : Arrays.stream(c.loraTarget.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
        LoraAdapters adapters = checkpoint.isPresent() ? LoraAdapters.read(checkpoint.get(), base, manager)
                : LoraAdapters.init(base, new LoraConfig(c.loraR, c.loraAlpha, c.loraDropout, targets), c.seed, manager);
        String baseName = modelPath.toAbsolutePath().normalize().toString();
        TrainingLoop.ModelWriter writer = (folder, t) -> {
            Files.createDirectories(folder);
            adapters.writeInto(folder, base, baseName);
            HfCheckpoint.copyTokenizers(folder, t.tokenizerFiles());
        };
        CausalLM model = adapters.applyTo(base);
        return new Policy(model, reference != null || !needsReference ? reference : base,
                new TrainingLoop.Trainable(model.config(), adapters.tensors(), tokenizerFiles(), Map.of(), writer));
    }

    /** The model to train: the checkpoint's weights when resuming, else the start. */
    CausalLM modelToTrain() {
        CausalLM base = start.model();
        if (checkpoint.isEmpty()) return base;
        LoadedWeights w = HfCheckpoint.read(checkpoint.get(), manager, base.parameters().values().iterator().next().getDataType());
        return Models.create(w.config(), w.parameters(), manager);
    }
}
