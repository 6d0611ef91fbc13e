package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.align4j.data.TokenizedPair;
import io.align4j.util.AtomicFiles;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reference log-probs on disk, so a frozen reference is run once per model and dataset, not
 * once per epoch or per run. The key is a SHA-256 of the reference's parameter values and of
 * every token id of the pairs (which already encode the tokenizer, template and truncation
 * settings), so a cached file is only ever reused for exactly the same inputs.
 */
public final class ReferenceCache {
    private final Path folder;

    public ReferenceCache(Path folder) { this.folder = folder; }

    /** The default folder, {@code ~/.cache/align4j/reference}. */
    public static Path defaultFolder() {
        return Path.of(System.getProperty("user.home"), ".cache", "align4j", "reference");
    }

    /** Log-probs of the chosen and rejected responses, one per pair. */
    public record Values(double[] chosen, double[] rejected) implements java.io.Serializable {
        /** The values of the given pairs, in that order. */
        public Values select(int[] pairs) {
            double[] c = new double[pairs.length], r = new double[pairs.length];
            for (int i = 0; i < pairs.length; i++) {
                c[i] = chosen[pairs[i]];
                r[i] = rejected[pairs[i]];
            }
            return new Values(c, r);
        }
    }

    public static String key(Map<String, NDArray> referenceParameters, List<TokenizedPair> pairs) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, NDArray> e : referenceParameters.entrySet()) {
                sha.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update(e.getValue().toType(DataType.FLOAT32, false).toByteBuffer());
            }
            ByteBuffer ints = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            for (TokenizedPair p : pairs) {
                for (int[] seq : new int[][] {p.promptIds(), p.chosenIds(), p.rejectedIds()}) {
                    putInt(sha, ints, seq.length);
                    for (int id : seq) putInt(sha, ints, id);
                }
            }
            sha.update(ints.flip());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putInt(MessageDigest sha, ByteBuffer buffer, int v) {
        if (!buffer.hasRemaining()) {
            sha.update(buffer.flip());
            buffer.clear();
        }
        buffer.putInt(v);
    }

    public Optional<Values> load(String key, int pairs) {
        Path f = folder.resolve(key + ".ref");
        if (!Files.isRegularFile(f)) return Optional.empty();
        try (InputStream raw = Files.newInputStream(f); DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw))) {
            int n = in.readInt();
            if (n != pairs) return Optional.empty();
            double[] c = new double[n], r = new double[n];
            for (int i = 0; i < n; i++) c[i] = in.readDouble();
            for (int i = 0; i < n; i++) r[i] = in.readDouble();
            return Optional.of(new Values(c, r));
        } catch (IOException e) {
            return Optional.empty(); // an unreadable cache entry is recomputed
        }
    }

    /** Writes atomically: a reader never sees a half-written file. */
    public void store(String key, Values values) throws IOException {
        Files.createDirectories(folder);
        AtomicFiles.write(folder.resolve(key + ".ref"), channel -> {
            // not closed here: closing the stream would close the channel before it is forced
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
            out.writeInt(values.chosen().length);
            for (double v : values.chosen()) out.writeDouble(v);
            for (double v : values.rejected()) out.writeDouble(v);
            out.flush();
        });
    }
}
