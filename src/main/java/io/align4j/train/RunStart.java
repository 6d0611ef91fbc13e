package io.align4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.CausalLM;
import io.align4j.model.Models;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.LoadedWeights;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.nio.file.Path;
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

    /** The training data file, which every trainer needs. */
    static Path data(TrainConfig c) {
        if (c.data == null) throw new UserError("no training data: set data (--data FILE)");
        return Path.of(c.data);
    }

    /** The newest complete checkpoint of the output folder when resuming. */
    static Optional<Path> resumeFrom(TrainConfig c) {
        return c.resume ? TrainingLoop.latestCheckpoint(Path.of(c.output), c.keepLast) : Optional.empty();
    }

    /** The model to train: the checkpoint's weights when resuming, else {@code start}. */
    static CausalLM modelToTrain(Optional<Path> checkpoint, CausalLM start, NDManager manager) {
        if (checkpoint.isEmpty()) return start;
        LoadedWeights w = HfCheckpoint.read(checkpoint.get(), manager, DataType.FLOAT32);
        return Models.create(w.config(), w.parameters(), manager);
    }
}
