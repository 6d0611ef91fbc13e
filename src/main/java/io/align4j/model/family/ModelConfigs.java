package io.align4j.model.family;

import java.util.Collections;
import java.util.List;

/** Small helpers the family mappings share. */
final class ModelConfigs {
    private ModelConfigs() {}

    /** One window for every layer (0: none). */
    static List<Integer> everyLayer(int layers, int window) { return Collections.nCopies(layers, Math.max(window, 0)); }

    /** The single window all windowed layers share, or 0. */
    static int window(List<Integer> windows) { return windows.stream().mapToInt(Integer::intValue).max().orElse(0); }
}
