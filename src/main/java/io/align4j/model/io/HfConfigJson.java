package io.align4j.model.io;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Families;
import io.align4j.model.family.Family;
import io.align4j.model.family.HfConfig;
import io.align4j.util.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The JSON files of a Hugging Face model folder, {@code config.json} and
 * {@code generation_config.json}, mapped to and from {@link ModelConfig} by the family their
 * {@code model_type} names ({@link Families}).
 */
public final class HfConfigJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfConfigJson() {}

    /** Parses {@code config.json} of a folder of any registered family. */
    public static ModelConfig read(Path folder) {
        Path file = folder.resolve(HfCheckpoint.CONFIG);
        JsonNode root = readJson(file);
        HfConfig f = new HfConfig(file, root);
        String type = f.optionalString("model_type", "");
        Family family = Families.find(type);
        if (family == null)
            throw new UserError(file + ": model_type '" + type + "' is not supported (" + String.join(", ", Families.modelTypes()) + ")");
        return family.readConfig(f);
    }

    /**
     * The {@code config.json} Hugging Face writes for this model, weights stored as {@code storeAs};
     * with {@code scoreHead} the architecture is the family's {@code *ForSequenceClassification}
     * with {@code num_labels: 1}, as a reward model's.
     */
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

    static ObjectNode generationConfigJson(ModelConfig c) {
        ObjectNode o = JSON.createObjectNode();
        putTokenId(o, "bos_token_id", c.bosId());
        putTokenId(o, "eos_token_id", c.eosId());
        return o;
    }

    /** The {@code torch_dtype} name of a storage type; any other type is a user error. */
    static String torchDtype(DataType storeAs) {
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

    /** A JSON object file; a missing file or invalid JSON is a user error that names the file. */
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

    static void writeJson(Path file, JsonNode node) throws IOException {
        JSON.writeValue(file.toFile(), node);
    }

    static ObjectNode newObject() { return JSON.createObjectNode(); }
}
