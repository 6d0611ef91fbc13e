package io.align4j.model.io;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.util.UserError;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Converts a checkpoint between the llama2.c legacy format and a Hugging Face folder. Both sides
 * name parameters as {@link io.align4j.model.family.ParameterLayout} does, so a conversion is one read
 * and one write; the q/k row order differs between the formats and is handled by the llama2.c
 * reader and {@link Llama2cWriter}.
 */
public final class CheckpointConversion {
    public enum Format {
        LLAMA2C, HF;

        /** Parses a flag value ({@code llama2c} or {@code hf}, any case). */
        public static Format parse(String flag, String value) {
            for (Format f : values()) if (f.name().equalsIgnoreCase(value)) return f;
            throw new UserError(flag + " " + value + ": expected llama2c or hf");
        }
    }

    private CheckpointConversion() {}

    /** Parses a storage type flag value: float32, float16 or bfloat16. */
    public static DataType parseStorage(String flag, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "float32", "f32", "fp32" -> DataType.FLOAT32;
            case "float16", "f16", "fp16" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            default -> throw new UserError(flag + " " + value + ": expected float32, float16 or bfloat16");
        };
    }

    /**
     * Reads {@code model} (a llama2.c {@code .bin} file or a Hugging Face folder) and writes it to
     * {@code out} in the other format. For a Hugging Face target the weights are stored as
     * {@code storeAs} in shards of at most {@code maxShardBytes}, and {@code tokenizerFiles} are
     * copied in; a llama2.c target is always float32 and holds no tokenizer.
     */
    public static void convert(Format from, Path model, Format to, Path out, DataType storeAs, long maxShardBytes,
                               List<Path> tokenizerFiles) {
        if (from == to) throw new UserError("--from and --to are both " + from.name().toLowerCase(Locale.ROOT));
        if (to == Format.LLAMA2C && storeAs != DataType.FLOAT32)
            throw new UserError("--dtype " + storeAs + ": llama2.c checkpoints hold float32 only");
        if (to == Format.LLAMA2C && !tokenizerFiles.isEmpty())
            throw new UserError("--tokenizer applies to --to hf; llama2.c keeps its tokenizer in a file of its own");
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedWeights weights = from == Format.HF
                    ? HfCheckpoint.read(model, manager, DataType.FLOAT32)
                    : Llama2cCheckpoint.readWeights(model, manager);
            if (to == Format.HF)
                HfCheckpoint.write(out, weights.config(), weights.parameters(), storeAs, maxShardBytes,
                        tokenizerFiles.toArray(Path[]::new));
            else
                Llama2cWriter.write(out, weights.config(), weights.parameters());
        }
    }

}
