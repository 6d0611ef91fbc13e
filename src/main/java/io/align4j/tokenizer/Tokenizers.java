package io.align4j.tokenizer;

import io.align4j.util.UserError;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the tokenizer a path names, choosing the implementation from what is there. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * A {@code .bin} file is a llama2.c {@code tokenizer.bin}; a {@code tokenizer.json} (or any
     * {@code .json}), or a folder holding {@code tokenizer.json}, is a Hugging Face tokenizer; a
     * folder holding only {@code tokenizer.bin} is llama2.c's. Anything else is a {@link UserError}
     * that says what was looked for.
     */
    /** Whether a model folder holds tokenizer files {@link #load} reads. */
    public static boolean hasTokenizer(Path folder) {
        return Files.isRegularFile(folder.resolve("tokenizer.json")) || Files.isRegularFile(folder.resolve("tokenizer.bin"));
    }

    public static TextTokenizer load(Path path) {
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("tokenizer.json"))) return HfTokenizer.load(path);
            if (Files.isRegularFile(path.resolve("tokenizer.bin"))) return Llama2cTokenizer.load(path.resolve("tokenizer.bin"));
            throw new UserError("no tokenizer in folder " + path + ": looked for tokenizer.json (Hugging Face) and tokenizer.bin (llama2.c)");
        }
        if (!Files.exists(path)) {
            throw new UserError("tokenizer " + path + " does not exist (expected a llama2.c tokenizer.bin, a tokenizer.json, or a folder holding one)");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".bin")) return Llama2cTokenizer.load(path);
        if (name.endsWith(".json")) return HfTokenizer.load(path);
        throw new UserError("cannot tell the tokenizer format of " + path
                + ": expected a llama2.c .bin file, a tokenizer.json, or a folder holding tokenizer.json");
    }
}
