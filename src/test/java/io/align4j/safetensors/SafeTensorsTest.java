package io.align4j.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.model.io.Fixtures;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;
    NDManager manager;

    @BeforeEach
    void open() { manager = NDManager.newBaseManager(); }

    @AfterEach
    void close() { manager.close(); }

    /** A file laid out as PyTorch's safetensors writes it: header length, JSON, little-endian data. */
    private static Path handWritten(Path file, String header, ByteBuffer data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer all = ByteBuffer.allocate(8 + json.length + data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        all.putLong(json.length).put(json).put(data);
        Files.write(file, all.array());
        return file;
    }

    @Test
    void readsHandWrittenFileOfEveryFloatDtype() throws IOException {
        // data deliberately not in header order; the F64 tensor starts unaligned (file byte 298)
        ByteBuffer data = ByteBuffer.allocate(24 + 4 + 6 + 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {1.5f, -2.25f, 0.1f, 3e-8f, -0f, 1e30f}) data.putFloat(v); // a F32 [2,3]  0..24
        data.putShort((short) 0x3c00).putShort((short) 0x3555);                                // b F16 [2]   24..28
        data.putShort((short) 0x3f80).putShort((short) 0xc0a0).putShort((short) 0x3eab);      // c BF16 [3]  28..34
        data.putDouble(1.0 / 3).putDouble(-1e-40);                                             // d F64 [2,1] 34..50
        String header = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2,1],\"data_offsets\":[34,50]},"
                + "\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[28,34]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[24,28]}}";
        Path file = handWritten(dir.resolve("hand.safetensors"), header, data.flip());

        Map<String, NDArray> t = SafeTensors.read(file, manager);
        assertEquals(List.of("d", "a", "c", "b"), List.copyOf(t.keySet()));
        assertEquals(new Shape(2, 3), t.get("a").getShape());
        assertArrayEquals(new float[] {1.5f, -2.25f, 0.1f, 3e-8f, -0f, 1e30f}, t.get("a").toFloatArray());
        assertArrayEquals(new float[] {1.0f, 0.333251953125f}, t.get("b").toFloatArray());
        assertArrayEquals(new float[] {1.0f, -5.0f, 0.333984375f}, t.get("c").toFloatArray());
        assertArrayEquals(new float[] {(float) (1.0 / 3), (float) -1e-40}, t.get("d").toFloatArray());
        assertEquals(new Shape(2, 1), t.get("d").getShape());
        for (NDArray a : t.values()) assertEquals(DataType.FLOAT32, a.getDataType());

        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertArrayEquals(new double[] {1.0 / 3, -1e-40}, st.load("d", manager, DataType.FLOAT64).toDoubleArray());
            NDArray half = st.load("b", manager, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertArrayEquals(new float[] {1.0f, 0.333251953125f}, half.toType(DataType.FLOAT32, false).toFloatArray());
            assertThrows(UserError.class, () -> st.load("a", manager, DataType.BFLOAT16));
        }
    }

    @Test
    void writtenHeaderIsPaddedJsonWithConsecutiveOffsetsAndLittleEndianData() throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("w", manager.create(new float[] {1f, -2f, 0.5f, 7f, 1e-3f, 8f}, new Shape(3, 2)));
        tensors.put("b", manager.create(new float[] {3.25f}, new Shape(1)));
        tensors.put("s", manager.create(new float[] {-9f}, new Shape()));
        Path file = dir.resolve("out.safetensors");
        SafeTensors.write(file, tensors);

        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = bytes.getLong();
        assertEquals(0, headerLength % 8);
        JsonNode header = new ObjectMapper().readTree(new String(bytes.array(), 8, (int) headerLength, StandardCharsets.UTF_8));
        Iterator<String> names = header.fieldNames();
        assertEquals(List.of("__metadata__", "w", "b", "s"), List.of(names.next(), names.next(), names.next(), names.next()));
        assertEquals("pt", header.get("__metadata__").get("format").asText());
        assertEquals("F32", header.get("w").get("dtype").asText());
        assertEquals("[3,2]", header.get("w").get("shape").toString());
        assertEquals("[0,24]", header.get("w").get("data_offsets").toString());
        assertEquals("[24,28]", header.get("b").get("data_offsets").toString());
        assertEquals("[]", header.get("s").get("shape").toString());
        assertEquals("[28,32]", header.get("s").get("data_offsets").toString());
        assertEquals(8 + headerLength + 32, bytes.capacity());
        bytes.position((int) (8 + headerLength));
        float[] data = new float[8];
        for (int i = 0; i < 8; i++) data[i] = bytes.getFloat();
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 7f, 1e-3f, 8f, 3.25f, -9f}, data);
    }

    @Test
    void float32RoundTripIsBitwise() {
        Map<String, NDArray> tensors = Fixtures.randomParameters(Fixtures.TINY_LLAMA, manager, 7);
        Path file = dir.resolve("f32.safetensors");
        SafeTensors.write(file, tensors);
        Map<String, NDArray> back = SafeTensors.read(file, manager);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()));
        for (String name : tensors.keySet()) {
            assertEquals(tensors.get(name).getShape(), back.get(name).getShape(), name);
            assertArrayEquals(tensors.get(name).toFloatArray(), back.get(name).toFloatArray(), name);
        }
    }

    /** Ties, overflow, subnormals and seeded N(0, 0.02) draws, against the reference rounding in double. */
    private float[] roundingProbe() {
        float[] special = {
            1f + 0x1p-11f, 1f + 3 * 0x1p-11f, -(1f + 0x1p-11f),  // float16 ties: to 1, to 1 + 2^-9
            1f + 0x1p-8f, 1f + 3 * 0x1p-8f,                     // bfloat16 ties: to 1, to 1 + 2^-6
            65519f, 65520f, -70000f, Float.MAX_VALUE,           // float16 largest and overflow; bfloat16 overflow
            6e-8f, 2e-8f, 1e-9f, 1e-39f, 0f, -0f,               // float16 subnormal / underflow; float32 subnormal
            0.1f, 3.14159265f, -2.5e-5f};
        float[] probe = new float[special.length + 1000];
        System.arraycopy(special, 0, probe, 0, special.length);
        Random random = new Random(11);
        for (int i = special.length; i < probe.length; i++) probe[i] = (float) (0.02 * random.nextGaussian());
        return probe;
    }

    @Test
    void float16StorageRoundsToNearestEven() {
        float[] x = roundingProbe();
        Path file = dir.resolve("f16.safetensors");
        SafeTensors.write(file, Map.of("x", manager.create(x)), DataType.FLOAT16);
        float[] back = SafeTensors.read(file, manager).get("x").toFloatArray();
        float[] expected = new float[x.length];
        for (int i = 0; i < x.length; i++) expected[i] = Fixtures.roundToHalf(x[i]);
        assertArrayEquals(expected, back);
        // spot values of the reference itself
        assertEquals(1f, expected[0]);
        assertEquals(1f + 0x1p-9f, expected[1]);
        assertEquals(65504f, expected[5]);
        assertEquals(Float.POSITIVE_INFINITY, expected[6]);
        assertEquals(0x1p-24f, expected[9]);
        assertEquals(0f, expected[11]);
    }

    @Test
    void bfloat16StorageRoundsToNearestEven() throws IOException {
        float[] x = roundingProbe();
        Path file = dir.resolve("bf16.safetensors");
        SafeTensors.write(file, Map.of("x", manager.create(x)), DataType.BFLOAT16);
        float[] back = SafeTensors.read(file, manager).get("x").toFloatArray();
        float[] expected = new float[x.length];
        for (int i = 0; i < x.length; i++) expected[i] = Fixtures.roundToBfloat16(x[i]);
        assertArrayEquals(expected, back);
        assertEquals(1f, expected[3]);
        assertEquals(1f + 0x1p-6f, expected[4]);
        assertEquals(Float.POSITIVE_INFINITY, expected[8]);
        assertEquals(file.toFile().length(), 8 + headerLength(file) + 2L * x.length);
    }

    private static long headerLength(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private UserError readError(Path file) {
        return assertThrows(UserError.class, () -> SafeTensors.read(file, manager));
    }

    private static ByteBuffer floats(int n) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat(i);
        return b.flip();
    }

    @Test
    void shapeNotMatchingOffsetsNamesFileAndTensor() throws IOException {
        Path file = handWritten(dir.resolve("shape.safetensors"),
                "{\"ok\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"layer.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,28]}}", floats(7));
        String message = readError(file).getMessage();
        assertTrue(message.contains("shape.safetensors") && message.contains("layer.weight"), message);
        assertTrue(message.contains("20 bytes") && message.contains("needs 24"), message);
    }

    @Test
    void truncatedFileNamesFileAndTensor() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("first", manager.create(new float[] {1, 2, 3}));
        tensors.put("second.bias", manager.create(new float[] {4, 5, 6}));
        SafeTensors.write(file, tensors);
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, all.length - 5));
        String message = readError(file).getMessage();
        assertTrue(message.contains("cut.safetensors") && message.contains("second.bias"), message);
        assertTrue(message.contains("truncated"), message);

        Files.write(file, java.util.Arrays.copyOf(all, 20));
        message = readError(file).getMessage();
        assertTrue(message.contains("cut.safetensors") && message.contains("header length"), message);
    }

    @Test
    void nonJsonHeaderNamesFile() throws IOException {
        Path file = handWritten(dir.resolve("garbage.safetensors"), "{\"w\": {\"dtype\": F32}", floats(1));
        String message = readError(file).getMessage();
        assertTrue(message.contains("garbage.safetensors") && message.contains("not valid JSON"), message);
    }

    @Test
    void unknownDtypeAndOutOfRangeOffsetsNameTheTensor() throws IOException {
        Path file = handWritten(dir.resolve("dtype.safetensors"),
                "{\"emb\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1));
        String message = readError(file).getMessage();
        assertTrue(message.contains("dtype.safetensors") && message.contains("emb") && message.contains("Q4"), message);

        file = handWritten(dir.resolve("range.safetensors"),
                "{\"emb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", floats(2));
        message = readError(file).getMessage();
        assertTrue(message.contains("range.safetensors") && message.contains("emb"), message);
    }
}
