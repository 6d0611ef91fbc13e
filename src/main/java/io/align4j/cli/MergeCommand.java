package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import io.align4j.model.CausalLM;
import io.align4j.model.io.CheckpointConversion;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.ModelLoader;
import io.align4j.model.lora.LoraAdapters;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j merge}: a base model plus LoRA adapters as one plain checkpoint. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge LoRA adapters (PEFT layout) into their base: a plain Hugging Face folder whose logits equal base + adapters.")
final class MergeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "the base model: Hugging Face folder or llama2.c .bin")
    Path model;

    @Option(names = "--adapter", required = true, description = "adapter folder: adapter_config.json and adapter_model.safetensors")
    Path adapter;

    @Option(names = "--out", required = true, description = "folder to write the merged model to")
    Path out;

    @Option(names = "--tokenizer", description = "tokenizer of the base (default: the base folder's, or the tok*.bin beside a .bin)")
    Path tokenizer;

    @Option(names = "--dtype", defaultValue = "float32",
            description = "storage of the merged weights: float32, float16 or bfloat16 (default ${DEFAULT-VALUE})")
    String dtype;

    @Override
    public Integer call() {
        try (NDManager manager = NDManager.newBaseManager(); ModelLoader.LoadedModel base = ModelLoader.load(model, tokenizer, manager)) {
            CausalLM lm = base.model();
            LoraAdapters adapters = LoraAdapters.read(adapter, lm, manager);
            HfCheckpoint.write(out, lm.config(), adapters.merged(lm, manager), CheckpointConversion.parseStorage("--dtype", dtype),
                    ModelLoader.tokenizerFiles(model, tokenizer).toArray(Path[]::new));
            System.err.println("merged " + adapters.modules().size() + " adapted layers (r " + adapters.config().rank() + ") into " + out);
            return 0;
        }
    }
}
