package io.align4j.train;

import io.align4j.util.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoint folders of a run, {@code checkpoint-<step>} under the output folder. Each is
 * written with {@link AtomicFiles#replaceFolder}, so a folder with the final name is always
 * complete, whenever the process dies; leftovers of an interrupted write are removed at the next
 * save.
 */
public final class Checkpoints {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");

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
            AtomicFiles.removeLeftovers(root);
            Path target = AtomicFiles.replaceFolder(root.resolve("checkpoint-" + step), writer::write);
            List<Path> all = list();
            for (int i = 0; i + keepLast < all.size(); i++) AtomicFiles.deleteTree(all.get(i));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write checkpoint " + step + " under " + root, e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("could not write checkpoint " + step + " under " + root, e.getCause());
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
}
