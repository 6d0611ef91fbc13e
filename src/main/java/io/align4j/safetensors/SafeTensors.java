package io.align4j.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.align4j.util.AtomicFiles;
import io.align4j.util.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code .safetensors} format of Hugging Face: an 8-byte little-endian header length
 * {@code N}, {@code N} bytes of JSON
 * {@code {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}, then
 * the raw little-endian tensor bytes, offsets counted from the end of the header.
 *
 * <p>An open file keeps only its header in memory; {@link #load} maps one tensor's bytes and
 * copies them into engine memory, so a checkpoint larger than the Java heap still loads.
 * Every offset is checked against the shape, the dtype and the file's length before any data is
 * touched, and each problem is a {@link UserError} naming the file and the tensor.
 *
 * <p>Floating dtypes F64, F32, F16 and BF16 are read; the engine takes the first three as they
 * are, while BF16 (the upper 16 bits of a float32) is widened to float32 here, because the
 * PyTorch engine of DJL 0.35.1 aborts the JVM when it creates or converts bfloat16 arrays.
 * For the same reason arrays are never returned as bfloat16.
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header the reference implementation accepts (100 MB). */
    private static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final String METADATA = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One entry of the header.
     *
     * @param dtype safetensors dtype name, e.g. {@code F32}
     * @param begin first byte, counted from the start of the data section
     * @param end   one past the last byte
     */
    public record TensorInfo(String name, String dtype, Shape shape, long begin, long end) {}

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, FileChannel channel, long dataStart,
                        Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens a file and validates its whole header; the data stays on disk until {@link #load}. */
    public static SafeTensors open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": safetensors file not found");
        } catch (IOException e) {
            throw new UserError(file + ": cannot open safetensors file: " + e.getMessage(), e);
        }
        try {
            return parse(file, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** Reads every tensor of a file as float32. */
    public static Map<String, NDArray> read(Path file, NDManager manager) {
        return read(file, manager, DataType.FLOAT32);
    }

    /** Reads every tensor of a file, in header order, converted to {@code target}. */
    public static Map<String, NDArray> read(Path file, NDManager manager, DataType target) {
        try (SafeTensors st = open(file)) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (String name : st.tensors().keySet()) out.put(name, st.load(name, manager, target));
            return out;
        }
    }

    public Path file() { return file; }

    /** The header's tensors in header order. */
    public Map<String, TensorInfo> tensors() { return tensors; }

    /** The header's {@code __metadata__} (string to string), empty when absent. */
    public Map<String, String> metadata() { return metadata; }

    /**
     * Copies one tensor into {@code manager} as {@code target} (FLOAT32, FLOAT16 or FLOAT64).
     * The result owns its memory: it never aliases the file mapping.
     */
    public NDArray load(String name, NDManager manager, DataType target) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new UserError(file + ": no tensor '" + name + "'");
        checkTarget(target);
        DataType stored = switch (t.dtype()) {
            case "F32" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "F64" -> DataType.FLOAT64;
            case "BF16" -> DataType.BFLOAT16;
            default -> throw new UserError(file + ": tensor '" + name + "' has dtype " + t.dtype()
                    + "; only F32, F16, BF16 and F64 tensors can be read");
        };
        long bytes = t.end() - t.begin();
        long widened = stored == DataType.BFLOAT16 ? 2 * bytes : bytes;
        if (widened > Integer.MAX_VALUE)
            throw new UserError(file + ": tensor '" + name + "' has " + bytes + " bytes, more than one array can hold");
        ByteBuffer raw;
        try {
            raw = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), bytes).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": reading tensor '" + name + "'", e);
        }
        if (stored == DataType.BFLOAT16) {
            raw = bfloat16ToFloat32(raw);
            stored = DataType.FLOAT32;
        }
        try (NDManager scratch = manager.newSubManager()) {
            // created over the mapping (no copy), then cloned into engine-owned memory: toType
            // alone returns the same storage when the type does not change, and that storage
            // vanishes when the mapping is collected
            NDArray view = scratch.create(raw, t.shape(), stored);
            NDArray copy = view.duplicate();
            NDArray owned = copy.getDataType() == target ? copy : copy.toType(target, false);
            owned.attach(manager);
            return owned;
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    /** Writes float32 tensors; see {@link #write(Path, Map, DataType)}. */
    public static void write(Path file, Map<String, NDArray> tensors) {
        write(file, tensors, DataType.FLOAT32);
    }

    /**
     * Writes tensors in map order, stored as FLOAT32, FLOAT16 or BFLOAT16 (both 16-bit formats
     * rounded to nearest, ties to even), with {@code "__metadata__": {"format": "pt"}} so that
     * PyTorch loaders accept the file. The header is padded with spaces to a multiple of 8 bytes
     * so every tensor starts aligned. The file is written in place; callers that need it
     * to appear whole write it inside a folder assembled by {@code AtomicFiles.replaceFolder}.
     */
    public static void write(Path file, Map<String, NDArray> tensors, DataType storeAs) {
        String dtype = storedName(storeAs);
        int width = storeAs.getNumOfBytes();
        ObjectNode header = JSON.createObjectNode();
        header.putObject(METADATA).put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) throw new IllegalArgumentException("tensor name " + METADATA + " is reserved");
            Shape shape = e.getValue().getShape();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", dtype);
            ArrayNode dims = entry.putArray("shape");
            for (long d : shape.getShape()) dims.add(d);
            long end = offset + shape.size() * width;
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) prefix.put((byte) ' ');
        prefix.flip();

        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            AtomicFiles.writeFully(out, prefix);
            for (NDArray a : tensors.values()) AtomicFiles.writeFully(out, tensorBytes(a, storeAs));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    /** The safetensors dtype name of a storage type this writer supports. */
    static String storedName(DataType storeAs) {
        return switch (storeAs) {
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            default -> throw new UserError("cannot store tensors as " + storeAs + "; choose float32, float16 or bfloat16");
        };
    }

    /** Rounds a float32 to bfloat16 bits, to nearest with ties to even; NaN stays a quiet NaN. */
    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    private static ByteBuffer tensorBytes(NDArray a, DataType storeAs) {
        // BF16 is rounded here from float32; F32 and F16 are converted by the engine (its
        // float-to-half cast rounds to nearest even as well)
        DataType engineType = storeAs == DataType.BFLOAT16 ? DataType.FLOAT32 : storeAs;
        NDArray converted = a.toType(engineType, false);
        ByteBuffer bytes;
        try {
            bytes = converted.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        } finally {
            if (converted != a) converted.close();
        }
        if (storeAs != DataType.BFLOAT16) return bytes;
        ByteBuffer half = ByteBuffer.allocate(bytes.remaining() / 2).order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.hasRemaining()) half.putShort(toBfloat16(bytes.getFloat()));
        return half.flip();
    }

    private static ByteBuffer bfloat16ToFloat32(ByteBuffer bf16) {
        int n = bf16.remaining() / 2;
        ByteBuffer f32 = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) f32.putInt(i * 4, (bf16.getShort(i * 2) & 0xffff) << 16);
        return f32;
    }

    private static void checkTarget(DataType target) {
        if (target != DataType.FLOAT32 && target != DataType.FLOAT16 && target != DataType.FLOAT64)
            throw new UserError("cannot load tensors as " + target + "; choose float32, float16 or float64"
                    + (target == DataType.BFLOAT16 ? " (the engine cannot hold bfloat16 arrays)" : ""));
    }

    private static SafeTensors parse(Path file, FileChannel channel) {
        long fileSize;
        try {
            fileSize = channel.size();
            if (fileSize < 8) throw new UserError(file + ": truncated safetensors file (" + fileSize + " bytes, no header length)");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, len, 0);
            long headerLength = len.flip().getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8)
                throw new UserError(file + ": header length " + headerLength + " does not fit the file of "
                        + fileSize + " bytes (truncated or not a safetensors file)");
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            long dataStart = 8 + headerLength;
            return parseHeader(file, channel, dataStart, fileSize - dataStart,
                    new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    private static SafeTensors parseHeader(Path file, FileChannel channel, long dataStart, long dataSize, String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UserError(file + ": header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new UserError(file + ": header is not a JSON object");
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (name.equals(METADATA)) {
                if (!node.isObject()) throw new UserError(file + ": " + METADATA + " is not an object");
                node.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(name, tensorInfo(file, name, node, dataSize));
        }
        return new SafeTensors(file, channel, dataStart, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo tensorInfo(Path file, String name, JsonNode node, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        JsonNode dtype = node.get("dtype"), shape = node.get("shape"), offsets = node.get("data_offsets");
        if (dtype == null || !dtype.isTextual()) throw new UserError(where + ": missing field dtype");
        if (shape == null || !shape.isArray()) throw new UserError(where + ": missing field shape");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).canConvertToLong()
                || !offsets.get(1).canConvertToLong())
            throw new UserError(where + ": field data_offsets must be [begin, end]");
        int width = dtypeBytes(dtype.asText());
        if (width == 0) throw new UserError(where + ": unknown dtype " + dtype.asText());
        long[] dims = new long[shape.size()];
        long elements = 1;
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = shape.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) throw new UserError(where + ": bad shape " + shape);
            dims[i] = d.asLong();
            elements = Math.multiplyExact(elements, dims[i]);
        }
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        if (begin < 0 || end < begin)
            throw new UserError(where + ": data_offsets [" + begin + ", " + end + "] are not an interval");
        if (end > dataSize)
            throw new UserError(where + ": data_offsets [" + begin + ", " + end + "] reach beyond the "
                    + dataSize + " bytes of data (truncated file?)");
        if (end - begin != elements * width)
            throw new UserError(where + ": data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes but shape " + shape + " of " + dtype.asText() + " needs " + elements * width);
        return new TensorInfo(name, dtype.asText(), new Shape(dims), begin, end);
    }

    private static int dtypeBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> 0;
        };
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position);
            if (n < 0) throw new IOException("unexpected end of file");
            position += n;
        }
    }


    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was written through this channel, so nothing can be lost
        }
    }
}
