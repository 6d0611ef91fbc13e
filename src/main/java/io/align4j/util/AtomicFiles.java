package io.align4j.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Files and folders that appear complete or not at all: the content is written to a sibling
 * temporary, forced to disk, and renamed onto the target in one atomic step, so a crash or a kill
 * never leaves a half-written checkpoint, model or cache entry under its final name. This is the
 * one place that does it; what is written inside a folder being assembled is written plainly.
 */
public final class AtomicFiles {
    /** Prefix of a folder being assembled beside its target; a crash may leave one behind. */
    static final String TEMP_PREFIX = ".tmp-";
    /** Prefix of a replaced folder waiting to be deleted; a crash may leave one behind. */
    static final String OLD_PREFIX = ".old-";

    private AtomicFiles() {}

    /** Fills a new, empty folder. */
    @FunctionalInterface
    public interface FolderBody {
        void write(Path folder) throws IOException;
    }

    /**
     * Makes {@code target} a folder holding exactly what {@code body} writes. The body writes into
     * an empty temporary sibling; its files are forced to disk; an existing target is renamed aside
     * and the temporary renamed into place, so at every instant {@code target} is absent, the whole
     * old folder or the whole new one. On failure the temporary is removed and the target is left
     * as it was.
     *
     * @throws UncheckedIOException when the file system fails (full disk, no permission, no atomic rename)
     */
    public static Path replaceFolder(Path target, FolderBody body) {
        Path t = target.toAbsolutePath().normalize();
        Path parent = t.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, TEMP_PREFIX + t.getFileName() + "-");
            body.write(tmp);
            forceFiles(tmp);
            Path old = null;
            if (Files.exists(t)) {
                old = Files.createTempDirectory(parent, OLD_PREFIX + t.getFileName() + "-");
                Files.delete(old);
                Files.move(t, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(tmp, t, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (old != null) Files.move(old, t, StandardCopyOption.ATOMIC_MOVE);
                throw e;
            }
            tmp = null;
            if (old != null) deleteTree(old);
            return t;
        } catch (AtomicMoveNotSupportedException e) {
            deleteQuietly(tmp, e);
            throw new UncheckedIOException("writing " + t + ": the file system cannot rename atomically", e);
        } catch (IOException e) {
            deleteQuietly(tmp, e);
            throw new UncheckedIOException("writing " + t, e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp, e);
            throw e;
        }
    }

    /** Deletes what interrupted {@link #replaceFolder} calls left in {@code parent}. */
    public static void removeLeftovers(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) return;
        List<Path> leftovers;
        try (Stream<Path> s = Files.list(parent)) {
            leftovers = s.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith(TEMP_PREFIX) || name.startsWith(OLD_PREFIX);
            }).toList();
        }
        for (Path p : leftovers) deleteTree(p);
    }

    /** Deletes a file or a folder with everything in it; nothing when it does not exist. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static void forceFiles(Path folder) throws IOException {
        List<Path> files;
        try (Stream<Path> all = Files.walk(folder)) {
            files = all.filter(Files::isRegularFile).toList();
        }
        // read-only is enough for fsync, and a copied read-only file (a tokenizer from a shared folder) allows no more
        for (Path f : files) {
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ)) {
                c.force(true);
            }
        }
    }

    private static void deleteQuietly(Path folder, Exception failure) {
        if (folder == null) return;
        try {
            deleteTree(folder);
        } catch (IOException | RuntimeException suppressed) {
            failure.addSuppressed(suppressed);
        }
    }

    /** Writes a file's content to an open channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    public static void write(Path file, Body body) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(out);
                out.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    /** Writes every remaining byte of {@code bytes}. */
    public static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) out.write(bytes);
    }
}
