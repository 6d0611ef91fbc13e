package io.align4j.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Resolves a run's configuration in three layers: the defaults of the config class, then a YAML
 * file ({@code --config run.yaml}), then the command-line flags that were given. Keys are
 * snake_case in YAML ({@code learning_rate}) as in the Python tools. An unknown key or a value of
 * the wrong type is a {@link UserError} naming the file and the key.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ConfigLoader() {}

    /**
     * @param defaults  a config object holding the defaults; it is updated in place and returned
     * @param yaml      a YAML file, or null
     * @param overrides flag values by snake_case key; null values (flags not given) are ignored
     */
    public static <T> T resolve(T defaults, Path yaml, Map<String, Object> overrides) {
        T config = defaults;
        if (yaml != null) {
            if (!Files.isRegularFile(yaml)) throw new UserError("config file " + yaml + " does not exist");
            try {
                config = YAML.readerForUpdating(config).readValue(yaml.toFile());
            } catch (JsonMappingException e) {
                throw new UserError("config file " + yaml + ": " + describe(e), e);
            } catch (JsonProcessingException e) {
                throw new UserError("config file " + yaml + " is not valid YAML: " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new UserError("config file " + yaml + " could not be read: " + e.getMessage(), e);
            }
        }
        Map<String, Object> given = overrides.entrySet().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        try {
            return YAML.updateValue(config, given);
        } catch (JsonMappingException e) {
            throw new UserError("command-line flag: " + describe(e), e);
        }
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

    private static String describe(JsonMappingException e) {
        String key = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
        String why = e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException ? "unknown key"
                : e.getOriginalMessage().split("\n")[0];
        return "key '" + key + "': " + why;
    }
}
