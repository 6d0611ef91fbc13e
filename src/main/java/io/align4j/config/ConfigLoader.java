package io.align4j.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Resolves a run's configuration in three layers: the defaults of the config class, then a YAML
 * file ({@code --config run.yaml}), then the command-line flags that were given. Keys are
 * snake_case ({@code learning_rate}) as in the Python tools. An unknown key or a value of the
 * wrong type is a {@link UserError} naming the file and the key.
 *
 * <p>Configs written before the settings were split by method (one class for every run) still
 * load: such a file lists every setting of every method, so a key of another method's config is
 * dropped when it holds that method's default or null, and otherwise named as belonging to that
 * method.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Every method's config class, for recognising another method's keys in a YAML file. */
    private static final List<Class<? extends RunConfig>> METHOD_CONFIGS =
            List.of(SftConfig.class, RewardModelConfig.class, OfflineConfig.class, OnlineConfig.class);

    private ConfigLoader() {}

    /**
     * @param defaults  a config object holding the defaults; it is updated in place and returned
     * @param yaml      a YAML file, or null
     * @param overrides flag values by snake_case key; null values (flags not given) are ignored
     */
    public static <T> T resolve(T defaults, Path yaml, Map<String, Object> overrides) {
        T config = defaults;
        if (yaml != null) {
            ObjectNode tree = readTree(yaml);
            dropOtherMethodsDefaults(tree, config.getClass(), yaml);
            try {
                config = YAML.readerForUpdating(config).readValue(tree);
            } catch (JsonMappingException e) {
                throw new UserError("config file " + yaml + ": " + describe(e), e);
            } catch (IOException e) {
                throw new UserError("config file " + yaml + " could not be read: " + e.getMessage(), e);
            }
        }
        Map<String, Object> given = overrides.entrySet().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        for (String key : given.keySet()) {
            Optional<String> owner = otherMethodOwning(key, config.getClass());
            if (owner.isPresent())
                throw new UserError(key + " is a setting of " + owner.get() + " runs, not of " + describe(config.getClass()) + " runs");
        }
        try {
            return YAML.updateValue(config, given);
        } catch (JsonMappingException e) {
            throw new UserError("command-line flag: " + describe(e), e);
        }
    }

    /** The value of {@code key} in a YAML file, or null when the file does not set it. */
    public static String peek(Path yaml, String key) {
        if (yaml == null) return null;
        JsonNode v = readTree(yaml).get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** Writes the resolved config as YAML (the run's record of what it did). */
    public static void write(Object config, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        YAML.writeValue(file.toFile(), config);
    }

    /** Reads a config written by {@link #write}. */
    public static <T> T read(Path file, Class<T> type) throws IOException {
        return YAML.readValue(file.toFile(), type);
    }

    private static ObjectNode readTree(Path yaml) {
        if (!Files.isRegularFile(yaml)) throw new UserError("config file " + yaml + " does not exist");
        try {
            JsonNode tree = YAML.readTree(yaml.toFile());
            if (tree == null || tree.isMissingNode() || tree.isNull()) return YAML.createObjectNode();
            if (!(tree instanceof ObjectNode o)) throw new UserError("config file " + yaml + ": expected a mapping of key: value lines");
            return o;
        } catch (JsonProcessingException e) {
            throw new UserError("config file " + yaml + " is not valid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UserError("config file " + yaml + " could not be read: " + e.getMessage(), e);
        }
    }

    /** Removes the keys of other methods' configs that hold their defaults; names the first that does not. */
    private static void dropOtherMethodsDefaults(ObjectNode tree, Class<?> type, Path yaml) {
        if (!RunConfig.class.isAssignableFrom(type)) return;
        Set<String> own = keys(type);
        List<String> keys = new ArrayList<>();
        tree.fieldNames().forEachRemaining(keys::add);
        for (String key : keys) {
            if (own.contains(key)) continue;
            for (Class<? extends RunConfig> other : METHOD_CONFIGS) {
                Optional<Settings.Entry> entry = Settings.of(other).stream().filter(e -> e.key().equals(key)).findFirst();
                if (entry.isEmpty()) continue;
                JsonNode value = tree.get(key);
                JsonNode byDefault = YAML.valueToTree(entry.get().valueIn(Settings.defaults(other)));
                if (value.isNull() || value.equals(byDefault) || value.asText().equals(byDefault.asText())) {
                    tree.remove(key);
                } else {
                    throw new UserError("config file " + yaml + ": key '" + key + "' is a setting of " + describe(other)
                            + " runs, not of " + describe(type) + " runs; remove it");
                }
                break;
            }
        }
    }

    private static Optional<String> otherMethodOwning(String key, Class<?> type) {
        if (!RunConfig.class.isAssignableFrom(type) || keys(type).contains(key)) return Optional.empty();
        return METHOD_CONFIGS.stream().filter(c -> keys(c).contains(key)).findFirst().map(ConfigLoader::describe);
    }

    private static Set<String> keys(Class<?> type) {
        return Settings.of(type).stream().map(Settings.Entry::key).collect(Collectors.toSet());
    }

    private static String describe(Class<?> configClass) {
        return configClass.getSimpleName().replace("Config", "").replace("RewardModel", "reward-model")
                .replace("Offline", "offline").replace("Online", "online").replace("Sft", "SFT");
    }

    private static String describe(JsonMappingException e) {
        String key = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
        String why = e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException ? "unknown key"
                : e.getOriginalMessage().split("\n")[0];
        return "key '" + key + "': " + why;
    }
}
