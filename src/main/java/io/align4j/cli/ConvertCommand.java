package io.align4j.cli;

import io.align4j.model.io.CheckpointConversion;
import io.align4j.model.io.HfCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j convert}: a checkpoint from llama2.c to a Hugging Face folder or back. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a checkpoint between the llama2.c format and a Hugging Face folder.")
final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, description = "source format: llama2c or hf")
    String from;

    @Option(names = "--model", required = true, description = "llama2.c .bin file or Hugging Face folder")
    Path model;

    @Option(names = "--to", required = true, description = "target format: hf or llama2c")
    String to;

    @Option(names = "--out", required = true, description = "target folder (hf) or .bin file (llama2c)")
    Path out;

    @Option(names = "--tokenizer", description = "tokenizer file(s) to copy into a Hugging Face folder "
            + "(tokenizer.json, tokenizer_config.json, or a llama2.c tokenizer .bin, stored as tokenizer.bin)")
    List<Path> tokenizers = new ArrayList<>();

    @Option(names = "--dtype", defaultValue = "float32",
            description = "storage of Hugging Face weights: float32, float16 or bfloat16 (default ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--max-shard-bytes", defaultValue = "" + HfCheckpoint.DEFAULT_MAX_SHARD_BYTES,
            description = "largest Hugging Face weight file before sharding (default ${DEFAULT-VALUE})")
    long maxShardBytes;

    @Override
    public Integer call() {
        CheckpointConversion.convert(
                CheckpointConversion.Format.parse("--from", from), model,
                CheckpointConversion.Format.parse("--to", to), out,
                CheckpointConversion.parseStorage("--dtype", dtype), maxShardBytes, tokenizers);
        return 0;
    }
}
