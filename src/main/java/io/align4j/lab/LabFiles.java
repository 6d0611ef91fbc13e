package io.align4j.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes an experiment's CSV table, creating the folder. */
final class LabFiles {
    private LabFiles() {}

    static void writeCsv(Path file, String header, List<String> lines) {
        try {
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            StringBuilder sb = new StringBuilder(header).append('\n');
            for (String l : lines) sb.append(l).append('\n');
            Files.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
