package io.align4j.testing;

import io.align4j.util.DataPaths;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Tests that need a file of the shared data skip with a clear message when it is absent. */
public final class SharedData {
    private SharedData() {}

    public static Path require(String relative) {
        Path p = DataPaths.root().resolve(relative);
        Assumptions.assumeTrue(p.toFile().exists(),
                () -> "skipped: shared data file " + p + " is absent (set -D" + DataPaths.PROPERTY
                        + " or " + DataPaths.ENV + " to the folder holding models/, prefs/, corpora/)");
        return p;
    }
}
