package io.align4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoint folders of a run, {@code checkpoint-<step>} under the output folder. A checkpoint
 * is written into a temporary sibling and renamed into place in one atomic step, so a folder with
 * the final name is always complete, whenever the process dies; leftovers of an interrupted write
 * are removed at the next save or resume.
 */
public final class Checkpoints {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final String TEMP_PREFIX = ".tmp-checkpoint-";

    private final Path root;
    private final int keepLast;

    /** @param keepLast how many complete checkpoints to keep (at least 1) */
    public Checkpoints(Path root, int keepLast) {
        this.root = root;
        this.keepLast = Math.max(1, keepLast);
    }

    /** A writer fills a folder with the checkpoint's files. */
    @FunctionalInterface
    public interface Writer {
        void write(Path folder) throws IOException;
    }

    /** Writes checkpoint {@code step} atomically, then drops all but the newest {@code keepLast}. */
    public Path save(long step, Writer writer) {
        try {
            Files.createDirectories(root);
            removeTemporaries();
            Path tmp = root.resolve(TEMP_PREFIX + step);
            Files.createDirectories(tmp);
            writer.write(tmp);
            Path target = root.resolve("checkpoint-" + step);
            if (Files.exists(target)) deleteRecursively(target);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("file system of " + root + " cannot rename atomically", e);
            }
            List<Path> all = list();
            for (int i = 0; i + keepLast < all.size(); i++) deleteRecursively(all.get(i));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write checkpoint " + step + " under " + root, e);
        }
    }

    /** The newest complete checkpoint, if any. */
    public Optional<Path> latest() {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Step number of a checkpoint folder. */
    public static long stepOf(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) throw new IllegalArgumentException("not a checkpoint folder: " + checkpoint);
        return Long.parseLong(m.group(1));
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> list() {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            List<Path> out = new ArrayList<>(s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
                    .filter(Files::isDirectory).toList());
            out.sort(Comparator.comparingLong(Checkpoints::stepOf));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void removeTemporaries() throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList()) deleteRecursively(p);
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
