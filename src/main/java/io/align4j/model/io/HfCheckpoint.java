package io.align4j.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.ModelConfig;
import io.align4j.model.ParameterLayout;
import io.align4j.model.family.Families;
import io.align4j.model.family.Family;
import io.align4j.model.family.HfConfig;
import io.align4j.util.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A Hugging Face model folder ({@code save_pretrained} layout) of any registered family
 * ({@link Families}): {@code config.json}, the weights in {@code model.safetensors} or in shards
 * listed by {@code model.safetensors.index.json}, {@code generation_config.json}, and tokenizer
 * files. The family maps {@code config.json} both ways and names the tensors.
 *
 * <p>Reading checks every tensor name and shape against {@link ParameterLayout} before any
 * weight is loaded. Tolerated, because real checkpoints carry them: the tensors the family
 * derives from the config ({@link Family#isDerivedTensor}: rotary tables, causal-mask buffers,
 * the classifier of a tied model) and names saved from a base model without its prefix
 * ({@link Family#canonicalName}).
 *
 * <p>A reward model is the same folder with one more tensor, the scalar head {@value #SCORE_HEAD}
 * of shape [1, dim] that Hugging Face's {@code *ForSequenceClassification} models read at the
 * last token, and {@code "architectures": ["LlamaForSequenceClassification"]} (or the family's) with
 * {@code num_labels: 1} in {@code config.json}. {@link #read} returns its backbone, so a reward
 * model also opens as a causal LM; {@link #readScoreHead} returns the head.
 *
 * <p>Writing is atomic: the folder is assembled in a temporary sibling and renamed into place,
 * so a crash leaves either the previous checkpoint or the new one, never half of one.
 */
public final class HfCheckpoint {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    /** The scalar head of a reward model, [1, dim], as {@code *ForSequenceClassification} names it. */
    public static final String SCORE_HEAD = "score.weight";
    /**
     * The optional weight α of a reward model's likelihood term, shape [1] (see
     * {@code RewardModel}); not part of the Hugging Face layout, which ignores unknown tensors.
     */
    public static final String LIKELIHOOD_WEIGHT = "score.log_likelihood_weight";
    /** Name a llama2.c tokenizer file gets inside the folder. */
    public static final String LLAMA2C_TOKENIZER = "tokenizer.bin";
    /** Shard size of {@code save_pretrained}'s default {@code max_shard_size="5GB"}. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfCheckpoint() {}

    // ------------------------------------------------------------------ config.json

    /** Parses {@code config.json} of a folder of any registered family ({@link Families}). */
    public static ModelConfig readConfig(Path folder) {
        Path file = folder.resolve(CONFIG);
        JsonNode root = readJson(file);
        HfConfig f = new HfConfig(file, root);
        String type = f.optionalString("model_type", "");
        Family family = Families.find(type);
        if (family == null)
            throw new UserError(file + ": model_type '" + type + "' is not supported (" + String.join(", ", Families.modelTypes()) + ")");
        return family.readConfig(f);
    }

    /** The {@code config.json} Hugging Face writes for this model, weights stored as {@code storeAs}. */
    static ObjectNode configJson(ModelConfig c, DataType storeAs, boolean scoreHead) {
        Family family = Families.of(c);
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(scoreHead ? family.classPrefix() + "ForSequenceClassification" : family.causalLmClass());
        if (scoreHead) o.put("num_labels", 1);
        o.put("model_type", family.modelType());
        o.put("torch_dtype", torchDtype(storeAs));
        family.writeConfig(c, o);
        putTokenId(o, "bos_token_id", c.bosId());
        putTokenId(o, "eos_token_id", c.eosId());
        return o;
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads a folder's config and weights; parameters come back in {@link ParameterLayout}
     * order, converted to {@code dtype} (FLOAT32, FLOAT16 or FLOAT64), owned by {@code manager}.
     */
    public static LoadedWeights read(Path folder, NDManager manager, DataType dtype) {
        ModelConfig config = readConfig(folder);
        Map<String, Shape> layout = ParameterLayout.of(config);
        Path index = folder.resolve(WEIGHTS_INDEX);
        Path single = folder.resolve(WEIGHTS);
        Path listing = Files.exists(index) ? index : single;
        List<Path> shards = Files.exists(index) ? shardFiles(folder, index) : List.of(single);

        List<SafeTensors> open = new ArrayList<>();
        Map<String, NDArray> params = new LinkedHashMap<>();
        try {
            // every header is validated before a single weight is loaded
            Map<String, SafeTensors> source = new LinkedHashMap<>();
            Map<String, String> storedName = new LinkedHashMap<>();
            for (Path shard : shards) {
                SafeTensors st = SafeTensors.open(shard);
                open.add(st);
                for (SafeTensors.TensorInfo t : st.tensors().values()) {
                    String name = canonicalName(config, t.name());
                    if (isIgnored(config, name)) continue;
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
                if (!source.containsKey(name)) throw new UserError(listing + ": missing tensor '" + name + "'");
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

    private static List<Path> shardFiles(Path folder, Path index) {
        JsonNode weightMap = readJson(index).get("weight_map");
        if (weightMap == null || !weightMap.isObject())
            throw new UserError(index + ": missing field weight_map");
        Set<Path> files = new LinkedHashSet<>();
        weightMap.fields().forEachRemaining(e -> files.add(folder.resolve(e.getValue().asText())));
        return new ArrayList<>(files);
    }

    private static String canonicalName(ModelConfig c, String name) {
        return Families.of(c).canonicalName(name);
    }

    private static boolean isIgnored(ModelConfig c, String name) {
        return Families.of(c).isDerivedTensor(c, name) || rewardHeadShapes(c).containsKey(name);
    }

    /** The reward-head tensors a reward-model folder may hold, by name, with their shapes. */
    static Map<String, Shape> rewardHeadShapes(ModelConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put(SCORE_HEAD, new Shape(1, config.dim()));
        shapes.put(LIKELIHOOD_WEIGHT, new Shape(1));
        return shapes;
    }

    /**
     * The reward head of a reward-model folder as {@code dtype}: {@value #SCORE_HEAD} [1, dim]
     * always, {@value #LIKELIHOOD_WEIGHT} [1] when the model was trained with a likelihood term.
     *
     * @throws UserError when the folder holds no score head, or a head tensor has another shape
     */
    public static Map<String, NDArray> readRewardHead(Path folder, NDManager manager, DataType dtype) {
        ModelConfig config = readConfig(folder);
        Path index = folder.resolve(WEIGHTS_INDEX);
        List<Path> shards = Files.exists(index) ? shardFiles(folder, index) : List.of(folder.resolve(WEIGHTS));
        Map<String, NDArray> head = new LinkedHashMap<>();
        for (Path shard : shards) {
            try (SafeTensors st = SafeTensors.open(shard)) {
                for (Map.Entry<String, Shape> e : rewardHeadShapes(config).entrySet()) {
                    SafeTensors.TensorInfo t = st.tensors().get(e.getKey());
                    if (t == null) continue;
                    if (!t.shape().equals(e.getValue()))
                        throw new UserError(shard + ": tensor '" + e.getKey() + "' has shape " + t.shape() + ", a reward head's is " + e.getValue());
                    head.put(e.getKey(), st.load(e.getKey(), manager, dtype));
                }
            }
        }
        if (!head.containsKey(SCORE_HEAD))
            throw new UserError(folder + ": no tensor '" + SCORE_HEAD + "', so this is not a reward model (align4j reward saves one)");
        return head;
    }

    // ------------------------------------------------------------------ writing

    /** Writes a folder with at most {@link #DEFAULT_MAX_SHARD_BYTES} per weight file. */
    public static void write(Path folder, ModelConfig config, Map<String, NDArray> parameters, DataType storeAs,
                             Path... tokenizerFiles) {
        write(folder, config, parameters, storeAs, DEFAULT_MAX_SHARD_BYTES, tokenizerFiles);
    }

    /**
     * Writes {@code config.json}, {@code generation_config.json}, the weights stored as
     * {@code storeAs} (FLOAT32, FLOAT16 or BFLOAT16) and copies of the tokenizer files; a
     * llama2.c tokenizer ({@code *.bin}) is copied byte for byte as {@value #LLAMA2C_TOKENIZER},
     * other files keep their names. {@code parameters} are those of {@link ParameterLayout}, plus
     * {@value #SCORE_HEAD} for a reward model (see the class comment). Weights go in {@code model.safetensors}, or, when they exceed
     * {@code maxShardBytes}, in shards {@code model-00001-of-0000N.safetensors} filled in
     * {@link ParameterLayout} order up to that size (a larger tensor gets a shard of its own),
     * listed by {@code model.safetensors.index.json}.
     *
     * <p>An existing folder is replaced as a whole, and only if it is empty or holds a
     * {@code config.json} (so a mistyped path never wipes unrelated files).
     */
    public static void write(Path folder, ModelConfig config, Map<String, NDArray> parameters, DataType storeAs,
                             long maxShardBytes, Path... tokenizerFiles) {
        Map<String, NDArray> ordered = inLayoutOrder(config, parameters);
        boolean scoreHead = ordered.containsKey(SCORE_HEAD);
        Map<Path, String> tokenizers = tokenizerTargets(tokenizerFiles);
        torchDtype(storeAs); // rejects an unsupported storage type before anything is written
        Path target = folder.toAbsolutePath().normalize();
        checkReplaceable(target);
        Path tmp;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".tmp-");
        } catch (IOException e) {
            throw new UncheckedIOException("creating a folder beside " + target, e);
        }
        try {
            writeJson(tmp.resolve(CONFIG), configJson(config, storeAs, scoreHead));
            writeJson(tmp.resolve(GENERATION_CONFIG), generationConfigJson(config));
            writeWeights(tmp, ordered, storeAs, maxShardBytes);
            copyTokenizers(tokenizers, tmp);
            install(tmp, target);
        } catch (IOException e) {
            deleteTree(tmp);
            throw new UncheckedIOException("writing checkpoint " + target, e);
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    private static Map<String, NDArray> inLayoutOrder(ModelConfig config, Map<String, NDArray> parameters) {
        Map<String, Shape> layout = new LinkedHashMap<>(ParameterLayout.of(config));
        rewardHeadShapes(config).forEach((name, shape) -> { if (parameters.containsKey(name)) layout.put(name, shape); });
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

    private static void writeWeights(Path dir, Map<String, NDArray> params, DataType storeAs, long maxShardBytes)
            throws IOException {
        long width = storeAs.getNumOfBytes();
        List<Map<String, NDArray>> shards = new ArrayList<>();
        Map<String, NDArray> current = new LinkedHashMap<>();
        long currentBytes = 0, total = 0;
        for (Map.Entry<String, NDArray> p : params.entrySet()) {
            long bytes = p.getValue().getShape().size() * width;
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(p.getKey(), p.getValue());
            currentBytes += bytes;
            total += bytes;
        }
        shards.add(current);
        if (shards.size() == 1) {
            SafeTensors.write(dir.resolve(WEIGHTS), params, storeAs);
            return;
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafeTensors.write(dir.resolve(file), shards.get(i), storeAs);
            for (String name : shards.get(i).keySet()) weightMap.put(name, file);
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        writeJson(dir.resolve(WEIGHTS_INDEX), index);
    }

    private static ObjectNode generationConfigJson(ModelConfig c) {
        ObjectNode o = JSON.createObjectNode();
        putTokenId(o, "bos_token_id", c.bosId());
        putTokenId(o, "eos_token_id", c.eosId());
        return o;
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

    /**
     * Renames the finished temporary folder into place. An old checkpoint is first renamed
     * aside, so at every instant the target is absent, the old whole folder or the new one.
     */
    private static void install(Path tmp, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
            Files.delete(old);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) deleteTree(old);
    }

    // ------------------------------------------------------------------ helpers

    private static String torchDtype(DataType storeAs) {
        return switch (storeAs) {
            case FLOAT32 -> "float32";
            case FLOAT16 -> "float16";
            case BFLOAT16 -> "bfloat16";
            default -> throw new UserError("cannot store weights as " + storeAs + "; choose float32, float16 or bfloat16");
        };
    }

    private static void putTokenId(ObjectNode o, String field, int id) {
        if (id >= 0) o.put(field, id);
        else o.putNull(field);
    }

    public static JsonNode readJson(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) throw new UserError(file + ": not a JSON object");
            return root;
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new UserError(file + ": file not found");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserError(file + ": invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        JSON.writeValue(file.toFile(), node);
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + root, e);
        }
    }
}
