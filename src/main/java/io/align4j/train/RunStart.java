package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.model.CausalLM;
import io.align4j.model.Compute;
import io.align4j.model.family.Models;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.LoadedWeights;
import io.align4j.model.io.ModelLoader;
import io.align4j.model.lora.LoraAdapters;
import io.align4j.model.lora.LoraConfig;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Where a run starts, shared by the trainers: the starting model's files and the checkpoint to resume. */
final class RunStart {
    private RunStart() {}

    /** The starting model: {@code model}, else stories260K from the shared data. */
    static Path model(TrainConfig c) {
        return c.model != null ? Path.of(c.model) : DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
    }

    /** The tokenizer given, or null for the model's own. */
    static Path tokenizer(TrainConfig c) {
        return c.tokenizer == null ? null : Path.of(c.tokenizer);
    }

    /** The run's root manager, on {@code device}. */
    static NDManager manager(TrainConfig c) {
        return compute(c).newManager();
    }

    /** The starting model ({@link #model}) and its tokenizer, in {@code dtype}. */
    static ModelLoader.LoadedModel start(TrainConfig c, NDManager manager) {
        return ModelLoader.load(model(c), tokenizer(c), manager, compute(c).dtype());
    }

    static Compute compute(TrainConfig c) { return Compute.parse(c.device, c.dtype); }

    /** The training data file, which every trainer needs. */
    static Path data(TrainConfig c) {
        if (c.data == null) throw new UserError("no training data: set data (--data FILE)");
        return Path.of(c.data);
    }

    /** The newest complete checkpoint of the output folder when resuming. */
    static Optional<Path> resumeFrom(TrainConfig c) {
        return c.resume ? TrainingLoop.latestCheckpoint(Path.of(c.output), c.keepLast) : Optional.empty();
    }

    /**
     * The model a run trains, the frozen reference it is measured against, and what the loop
     * updates and checkpoints. Full fine-tuning copies the start as the reference and trains every
     * weight; with {@code lora_r > 0} the start itself stays frozen as the reference (no copy),
     * only adapters train, and checkpoints hold only them (PEFT's layout).
     */
    record Policy(CausalLM model, CausalLM reference, TrainingLoop.Trainable trainable) {}

    /**
     * The policy for {@code c}: from the checkpoint when resuming, else from {@code start}; the
     * reference is {@code c.reference} when set. {@code modelPath} names the base in an adapter's
     * {@code adapter_config.json}.
     */
    static Policy policy(TrainConfig c, Optional<Path> checkpoint, CausalLM start, Path modelPath, Path tokenizerPath,
                         List<Path> tokenizerFiles, NDManager manager) {
        return policy(c, checkpoint, start, modelPath, tokenizerPath, tokenizerFiles, manager, true);
    }

    /** As above; without {@code needsReference} (SFT) full fine-tuning makes no reference copy (the reference is null). */
    static Policy policy(TrainConfig c, Optional<Path> checkpoint, CausalLM start, Path modelPath, Path tokenizerPath,
                         List<Path> tokenizerFiles, NDManager manager, boolean needsReference) {
        CausalLM reference = c.reference != null && needsReference
                ? ModelLoader.load(Path.of(c.reference), tokenizerPath, manager, compute(c).dtype()).model() : null;
        if (c.loraR <= 0) {
            if (reference == null && needsReference) reference = Models.frozenCopy(start, manager);
            CausalLM model = modelToTrain(checkpoint, start, manager);
            return new Policy(model, reference, new TrainingLoop.Trainable(model.config(), model.parameters(), tokenizerFiles));
        }
        List<String> targets = c.loraTarget == null ? LoraAdapters.defaultTargets(start.config().family())
                : Arrays.stream(c.loraTarget.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
        LoraAdapters adapters = checkpoint.isPresent() ? LoraAdapters.read(checkpoint.get(), start, manager)
                : LoraAdapters.init(start, new LoraConfig(c.loraR, c.loraAlpha, c.loraDropout, targets), c.seed, manager);
        String base = modelPath.toAbsolutePath().normalize().toString();
        TrainingLoop.ModelWriter writer = (folder, t) -> {
            Files.createDirectories(folder);
            adapters.writeInto(folder, start, base);
            HfCheckpoint.copyTokenizers(folder, t.tokenizerFiles());
        };
        CausalLM model = adapters.applyTo(start);
        return new Policy(model, reference != null ? reference : start,
                new TrainingLoop.Trainable(model.config(), adapters.tensors(), tokenizerFiles, Map.of(), writer));
    }

    /** The model to train: the checkpoint's weights when resuming, else {@code start}. */
    static CausalLM modelToTrain(Optional<Path> checkpoint, CausalLM start, NDManager manager) {
        if (checkpoint.isEmpty()) return start;
        LoadedWeights w = HfCheckpoint.read(checkpoint.get(), manager, start.parameters().values().iterator().next().getDataType());
        return Models.create(w.config(), w.parameters(), manager);
    }
}
