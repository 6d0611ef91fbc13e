package io.align4j.util;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the shared data (models, preference files, corpora) lives. Never copied into the
 * repository: the location comes from the system property {@code align4j.data}, else the
 * environment variable {@code ALIGN4J_DATA}, else {@code ../shared/data} relative to the
 * working directory.
 */
public final class DataPaths {
    public static final String PROPERTY = "align4j.data";
    public static final String ENV = "ALIGN4J_DATA";

    private DataPaths() {}

    public static Path root() {
        String configured = System.getProperty(PROPERTY);
        if (configured == null || configured.isBlank()) configured = System.getenv(ENV);
        if (configured == null || configured.isBlank()) configured = "../shared/data";
        return Path.of(configured).toAbsolutePath().normalize();
    }

    /** The file below the data root, if it exists. */
    public static Optional<Path> find(String relative) {
        Path p = root().resolve(relative);
        return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }

    public static final String STORIES260K_MODEL = "models/stories260K/stories260K.bin";
    public static final String STORIES260K_TOKENIZER = "models/stories260K/tok512.bin";
    public static final String SHAREGPT_PREFS = "prefs/sharegpt-dpo_en_demo.json";
    public static final String ORCA_PREFS = "prefs/openai-orca_dpo_pairs-validation.jsonl";
    public static final String TINYSHAKESPEARE = "corpora/tinyshakespeare.txt";
}
