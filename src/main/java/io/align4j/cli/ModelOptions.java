package io.align4j.cli;

import io.align4j.LanguageModel;

import ai.djl.ndarray.NDManager;
import io.align4j.model.Compute;
import io.align4j.model.io.ModelLoader;
import io.align4j.util.DataPaths;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --model}, {@code --tokenizer}, {@code --device} and {@code --dtype} options every model command takes. */
final class ModelOptions {
    @Option(names = "--model", description = "a Hugging Face model folder or a llama2.c .bin checkpoint "
            + "(default: stories260K from the shared data folder)")
    Path model;

    @Option(names = "--tokenizer", description = "tokenizer.json, tokenizer.bin or a folder holding one "
            + "(default: the model folder's, or the tok*.bin beside a .bin)")
    Path tokenizer;

    @Option(names = "--device", defaultValue = "cpu",
            description = "where tensors live: cpu, or gpu / gpu:N with a CUDA libtorch (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--dtype", defaultValue = "float32",
            description = "floating-point type of the weights and the computation: float32 or float64 (default: ${DEFAULT-VALUE})")
    String dtype;

    /** The {@code --device} / {@code --dtype} pair. */
    Compute compute() { return Compute.parse(device, dtype); }

    /** A root manager on {@code --device}. */
    NDManager newManager() { return compute().newManager(); }

    Path modelPath() {
        return model != null ? model : DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
    }

    /** The model and tokenizer the options name, on their own manager. */
    LanguageModel open() { return LanguageModel.load(modelPath(), tokenizer, compute()); }

    ModelLoader.LoadedModel load(NDManager manager) {
        return ModelLoader.load(modelPath(), tokenizer, manager, compute().dtype());
    }
}
