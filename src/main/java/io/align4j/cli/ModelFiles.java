package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import io.align4j.model.CausalLM;
import io.align4j.model.io.Llama2cCheckpoint;
import io.align4j.util.UserError;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the model a command names. */
final class ModelFiles {
    private ModelFiles() {}

    /** A llama2.c legacy checkpoint ({@code .bin}); other formats are read by their own commands. */
    static CausalLM load(Path model, NDManager manager) {
        if (!Files.exists(model)) throw new UserError("model file " + model + " does not exist");
        if (!model.getFileName().toString().endsWith(".bin"))
            throw new UserError("model " + model + ": expected a llama2.c checkpoint (.bin)");
        return Llama2cCheckpoint.read(model, manager);
    }

    /** Parses "1 45 67" or "1,45,67" into ids, naming the flag on error. */
    static int[] parseIds(String text, String flag) {
        String[] parts = text.trim().split("[\\s,]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new UserError(flag + ": \"" + parts[i] + "\" is not a token id");
            }
        }
        return ids;
    }
}
