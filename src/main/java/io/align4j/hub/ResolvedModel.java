package io.align4j.hub;

import java.nio.file.Path;

/**
 * The folder that holds all of a model's files, and which rule of {@link ModelResolver} found it.
 */
public record ResolvedModel(Path folder, Source source) {

    /** The resolution rules, in the order they are tried. */
    public enum Source { EXPLICIT, SEARCH_PATH, CACHE, DOWNLOAD }

    /** One of the model's files, e.g. {@code file(HubModel.STORIES260K_CHECKPOINT)}. */
    public Path file(String name) {
        return folder.resolve(name);
    }
}
