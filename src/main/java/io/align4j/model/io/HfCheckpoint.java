package io.align4j.model.io;

import io.align4j.safetensors.SafeTensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.ModelConfig;
import io.align4j.model.RewardModel;
import io.align4j.model.family.ParameterLayout;
import io.align4j.model.family.Families;
import io.align4j.model.family.Family;
import io.align4j.util.AtomicFiles;
import io.align4j.util.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Hugging Face model folder ({@code save_pretrained} layout) of any registered family
 * ({@link Families}): {@code config.json} ({@link HfConfigJson}), the weights in
 * {@code model.safetensors} or in shards listed by {@code model.safetensors.index.json}
 * ({@link ShardedSafeTensors}), {@code generation_config.json}, and tokenizer files.
 *
 * <p>Reading checks every tensor name and shape against {@link ParameterLayout} before any
 * weight is loaded. Tolerated, because real checkpoints carry them: the tensors the family
 * derives from the config ({@link Family#isDerivedTensor}: rotary tables, causal-mask buffers,
 * the classifier of a tied model) and names saved from a base model without its prefix
 * ({@link Family#canonicalName}).
 *
 * <p>A reward model is the same folder with its head tensors ({@link RewardModelFolder}).
 * {@link #read} returns its backbone, so a reward model also opens as a causal LM;
 * {@link #readRewardHead} returns the head.
 *
 * <p>{@link #write} replaces the folder atomically ({@link AtomicFiles#replaceFolder});
 * {@link #writeInto} fills a folder that is itself being assembled, such as a training checkpoint.
 */
public final class HfCheckpoint {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    /** Name a llama2.c tokenizer file gets inside the folder. */
    public static final String LLAMA2C_TOKENIZER = "tokenizer.bin";
    /** Shard size of {@code save_pretrained}'s default {@code max_shard_size="5GB"}. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private HfCheckpoint() {}

    /** Parses {@code config.json} of a folder of any registered family ({@link Families}). */
    public static ModelConfig readConfig(Path folder) {
        return HfConfigJson.read(folder);
    }

    /**
     * Reads a folder's config and weights; parameters come back in {@link ParameterLayout}
     * order, converted to {@code dtype} (FLOAT32, FLOAT16 or FLOAT64), owned by {@code manager}.
     */
    public static LoadedWeights read(Path folder, NDManager manager, DataType dtype) {
        ModelConfig config = readConfig(folder);
        Map<String, Shape> layout = ParameterLayout.of(config);
        ShardedSafeTensors.WeightFiles files = ShardedSafeTensors.of(folder);
        Family family = Families.of(config);
        Map<String, Shape> head = RewardModelFolder.headShapes(config);

        List<SafeTensors> open = new ArrayList<>();
        Map<String, NDArray> params = new LinkedHashMap<>();
        try {
            // every header is validated before a single weight is loaded
            Map<String, SafeTensors> source = new LinkedHashMap<>();
            Map<String, String> storedName = new LinkedHashMap<>();
            for (Path shard : files.shards()) {
                SafeTensors st = SafeTensors.open(shard);
                open.add(st);
                for (SafeTensors.TensorInfo t : st.tensors().values()) {
                    String name = family.canonicalName(t.name());
                    if (family.isDerivedTensor(config, name) || head.containsKey(name)) continue;
                    Shape expected = layout.get(name);
                    if (expected == null)
                        throw new UserError(shard + ": unexpected tensor '" + t.name() + "' for a " + config.family()
                                + " model of " + config.nLayers() + " layers");
                    if (!expected.equals(t.shape()))
                        throw new UserError(shard + ": tensor '" + t.name() + "' has shape " + t.shape()
                                + " but the config implies " + expected);
                    if (source.put(name, st) != null)
                        throw new UserError(shard + ": tensor '" + t.name() + "' is stored twice");
                    storedName.put(name, t.name());
                }
            }
            for (String name : layout.keySet())
                if (!source.containsKey(name)) throw new UserError(files.listing() + ": missing tensor '" + name + "'");
            for (String name : layout.keySet())
                params.put(name, source.get(name).load(storedName.get(name), manager, dtype));
            return new LoadedWeights(config, params);
        } catch (RuntimeException e) {
            params.values().forEach(NDArray::close);
            throw e;
        } finally {
            open.forEach(SafeTensors::close);
        }
    }

    /** The reward head of a reward-model folder as {@code dtype} (see {@link RewardModelFolder#readHead}). */
    public static Map<String, NDArray> readRewardHead(Path folder, NDManager manager, DataType dtype) {
        return RewardModelFolder.readHead(folder, manager, dtype);
    }

    /** Writes a folder with at most {@link #DEFAULT_MAX_SHARD_BYTES} per weight file. */
    public static void write(Path folder, ModelConfig config, Map<String, NDArray> parameters, DataType storeAs,
                             Path... tokenizerFiles) {
        write(folder, config, parameters, storeAs, DEFAULT_MAX_SHARD_BYTES, tokenizerFiles);
    }

    /**
     * Writes the folder as {@link #writeInto} lays it out, replacing an existing one as a whole,
     * and only if it is empty or holds a {@code config.json} (so a mistyped path never wipes
     * unrelated files).
     */
    public static void write(Path folder, ModelConfig config, Map<String, NDArray> parameters, DataType storeAs,
                             long maxShardBytes, Path... tokenizerFiles) {
        Map<String, NDArray> ordered = inLayoutOrder(config, parameters);
        Map<Path, String> tokenizers = tokenizerTargets(tokenizerFiles);
        HfConfigJson.torchDtype(storeAs); // rejects an unsupported storage type before anything is written
        Path target = folder.toAbsolutePath().normalize();
        checkReplaceable(target);
        AtomicFiles.replaceFolder(target, tmp -> writeFiles(tmp, config, ordered, storeAs, maxShardBytes, tokenizers));
    }

    /**
     * Writes {@code config.json}, {@code generation_config.json}, the weights stored as
     * {@code storeAs} (FLOAT32, FLOAT16 or BFLOAT16) and copies of the tokenizer files into an
     * existing folder, plainly: the caller makes the folder appear whole. A llama2.c tokenizer
     * ({@code *.bin}) is copied byte for byte as {@value #LLAMA2C_TOKENIZER}, other files keep
     * their names. {@code parameters} are those of {@link ParameterLayout}, plus the
     * head tensors of a reward model ({@link RewardModelFolder}). Weights go in {@code model.safetensors}, or,
     * when they exceed {@code maxShardBytes}, in shards filled in {@link ParameterLayout} order
     * ({@link ShardedSafeTensors}).
     */
    public static void writeInto(Path folder, ModelConfig config, Map<String, NDArray> parameters, DataType storeAs,
                                 long maxShardBytes, Path... tokenizerFiles) throws IOException {
        HfConfigJson.torchDtype(storeAs);
        writeFiles(folder, config, inLayoutOrder(config, parameters), storeAs, maxShardBytes, tokenizerTargets(tokenizerFiles));
    }

    private static void writeFiles(Path dir, ModelConfig config, Map<String, NDArray> ordered, DataType storeAs,
                                   long maxShardBytes, Map<Path, String> tokenizers) throws IOException {
        boolean scoreHead = ordered.containsKey(RewardModel.SCORE_HEAD);
        HfConfigJson.writeJson(dir.resolve(CONFIG), HfConfigJson.configJson(config, storeAs, scoreHead));
        HfConfigJson.writeJson(dir.resolve(GENERATION_CONFIG), HfConfigJson.generationConfigJson(config));
        ShardedSafeTensors.write(dir, ordered, storeAs, maxShardBytes);
        copyTokenizers(tokenizers, dir);
    }

    private static Map<String, NDArray> inLayoutOrder(ModelConfig config, Map<String, NDArray> parameters) {
        Map<String, Shape> layout = new LinkedHashMap<>(ParameterLayout.of(config));
        RewardModelFolder.headShapes(config).forEach((name, shape) -> { if (parameters.containsKey(name)) layout.put(name, shape); });
        for (String name : parameters.keySet())
            if (!layout.containsKey(name)) throw new IllegalArgumentException("unexpected parameter '" + name + "'");
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> p : layout.entrySet()) {
            NDArray a = parameters.get(p.getKey());
            if (a == null) throw new IllegalArgumentException("missing parameter '" + p.getKey() + "'");
            if (!a.getShape().equals(p.getValue()))
                throw new IllegalArgumentException("parameter '" + p.getKey() + "' has shape " + a.getShape()
                        + ", layout says " + p.getValue());
            ordered.put(p.getKey(), a);
        }
        return ordered;
    }

    /**
     * Copies tokenizer files into {@code dir} as a checkpoint holds them: a llama2.c tokenizer
     * ({@code *.bin}) as {@value #LLAMA2C_TOKENIZER}, others under their own names.
     */
    public static void copyTokenizers(Path dir, List<Path> files) throws IOException {
        copyTokenizers(tokenizerTargets(files.toArray(Path[]::new)), dir);
    }

    private static void copyTokenizers(Map<Path, String> targets, Path dir) throws IOException {
        for (Map.Entry<Path, String> t : targets.entrySet()) Files.copy(t.getKey(), dir.resolve(t.getValue()));
    }

    private static Map<Path, String> tokenizerTargets(Path[] files) {
        Map<Path, String> targets = new LinkedHashMap<>();
        for (Path file : files) {
            if (!Files.isRegularFile(file)) throw new UserError(file + ": tokenizer file not found");
            String name = file.getFileName().toString();
            String target = name.endsWith(".bin") ? LLAMA2C_TOKENIZER : name;
            if (targets.containsValue(target))
                throw new UserError(file + ": a second tokenizer file would be written as " + target);
            targets.put(file, target);
        }
        return targets;
    }

    private static void checkReplaceable(Path target) {
        if (!Files.exists(target)) return;
        if (!Files.isDirectory(target)) throw new UserError(target + ": exists and is not a folder");
        try (Stream<Path> entries = Files.list(target)) {
            if (entries.findAny().isPresent() && !Files.exists(target.resolve(CONFIG)))
                throw new UserError(target + ": folder is not empty and holds no " + CONFIG
                        + "; refusing to replace it with a checkpoint");
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + target, e);
        }
    }
}
