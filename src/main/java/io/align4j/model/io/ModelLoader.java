package io.align4j.model.io;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.model.lora.LoraAdapters;
import io.align4j.tokenizer.IdsOnlyTokenizer;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.tokenizer.Tokenizers;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Opens a model and its tokenizer, whichever format the user has: a Hugging Face folder
 * ({@code config.json}, safetensors, {@code tokenizer.json} or {@code tokenizer.bin}) or a
 * llama2.c {@code .bin} file, whose tokenizer is {@code --tokenizer} or else the one
 * {@code tok*.bin} / {@code tokenizer.bin} beside it. A folder without tokenizer files still
 * loads, for work on token ids ({@link IdsOnlyTokenizer}).
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** A model with its tokenizer; closing it frees both. */
    public record LoadedModel(CausalLM model, TextTokenizer tokenizer) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            if (tokenizer instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing tokenizer", e);
                }
            }
        }
    }

    /**
     * @param model     a Hugging Face folder or a llama2.c {@code .bin} file
     * @param tokenizer a tokenizer file or folder, or null to find it beside the model
     */
    public static LoadedModel load(Path model, Path tokenizer, NDManager manager) {
        return load(model, tokenizer, manager, DataType.FLOAT32);
    }

    /**
     * As {@link #load(Path, Path, NDManager)}, the weights in {@code dtype} (FLOAT32 or FLOAT64)
     * on {@code manager}'s device.
     */
    public static LoadedModel load(Path model, Path tokenizer, NDManager manager, DataType dtype) {
        if (!Files.exists(model))
            throw new UserError("model " + model + " does not exist. The stories260K model the examples use is "
                    + "stories260K.bin with tok512.bin in " + DataPaths.root().resolve("models/stories260K")
                    + " (set ALIGN4J_DATA to the folder holding models/, or pass --model and --tokenizer)");
        if (Files.isRegularFile(model.resolve(LoraAdapters.CONFIG)) && !Files.exists(model.resolve(HfCheckpoint.CONFIG)))
            return loadAdapted(model, tokenizer, manager, dtype);
        CausalLM lm;
        if (Files.isDirectory(model)) {
            LoadedWeights w = HfCheckpoint.read(model, manager, dtype);
            lm = Models.create(w.config(), w.parameters(), manager);
        } else {
            LoadedWeights w = Llama2cCheckpoint.readWeights(model, manager);
            if (dtype != DataType.FLOAT32) w.parameters().replaceAll((name, a) -> a.toType(dtype, false));
            lm = Models.create(w.config(), w.parameters(), manager);
        }
        try {
            Path tok = tokenizer != null ? tokenizer : Files.isDirectory(model) ? model : besideLlama2c(model);
            if (tokenizer == null && Files.isDirectory(model) && !Tokenizers.hasTokenizer(model))
                return new LoadedModel(lm, new IdsOnlyTokenizer(model, lm.config().vocabSize(), lm.config().bosId(), lm.config().eosId()));
            TextTokenizer t = Tokenizers.load(tok);
            if (t.vocabSize() > lm.config().vocabSize())
                throw new UserError("tokenizer " + tok + " has " + t.vocabSize() + " tokens but model " + model
                        + " only " + lm.config().vocabSize());
            return new LoadedModel(lm, t);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    /**
     * A LoRA adapter folder ({@code adapter_config.json}, as Align4j's LoRA runs and PEFT write it)
     * on the base its {@code base_model_name_or_path} names (a path, absolute or relative to the
     * adapter folder); the tokenizer is the adapter folder's when it holds one, else the base's.
     */
    private static LoadedModel loadAdapted(Path adapter, Path tokenizer, NDManager manager, DataType dtype) {
        Path configFile = adapter.resolve(LoraAdapters.CONFIG);
        String baseName = HfConfigJson.readJson(configFile).path("base_model_name_or_path").asText("");
        Path base = Path.of(baseName).isAbsolute() ? Path.of(baseName) : adapter.resolve(baseName);
        if (baseName.isEmpty() || !Files.exists(base))
            throw new UserError(configFile + ": base_model_name_or_path '" + baseName + "' is not a model on this machine; "
                    + "merge it with: align4j merge --model BASE --adapter " + adapter + " --out DIR");
        Path tok = tokenizer != null ? tokenizer : Tokenizers.hasTokenizer(adapter) ? adapter : null;
        LoadedModel loaded = load(base, tok, manager, dtype);
        LoraAdapters adapters = LoraAdapters.read(adapter, loaded.model(), manager);
        return new LoadedModel(adapters.applyTo(loaded.model()), loaded.tokenizer());
    }

    /**
     * The tokenizer files a checkpoint of this model should carry: {@code tokenizer}'s (a file, or
     * the tokenizer files of a folder), else the model folder's, else the {@code tok*.bin} beside
     * a llama2.c file.
     */
    public static List<Path> tokenizerFiles(Path model, Path tokenizer) {
        Path source = tokenizer != null ? tokenizer : Files.isDirectory(model) ? model : besideLlama2c(model);
        if (!Files.isDirectory(source)) return List.of(source);
        return Stream.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.bin")
                .map(source::resolve).filter(Files::isRegularFile).toList();
    }

    private static Path besideLlama2c(Path bin) {
        Path folder = bin.toAbsolutePath().getParent();
        try (Stream<Path> s = Files.list(folder)) {
            List<Path> candidates = s.filter(p -> !p.equals(bin.toAbsolutePath()))
                    .filter(p -> p.getFileName().toString().matches("tok.*\\.bin")).sorted().toList();
            if (candidates.size() == 1) return candidates.get(0);
            throw new UserError("model " + bin + ": pass --tokenizer (found " + (candidates.isEmpty() ? "no"
                    : String.valueOf(candidates.size())) + " tok*.bin tokenizer files beside it)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
