package io.align4j.model.io;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.ModelConfig;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cWriterTest {
    @TempDir Path dir;
    NDManager manager;

    @BeforeEach
    void open() { manager = NDManager.newBaseManager(); }

    @AfterEach
    void close() { manager.close(); }

    /**
     * Hugging Face's {@code permute(w, n, d1, d2) = w.view(n, d1/n/2, 2, d2).transpose(1, 2)}:
     * within each head, row {@code 2i + j} of the interleaved matrix becomes row {@code j*half + i}.
     */
    private static float[] hfPermute(float[] w, int heads, int rows, int cols) {
        int half = rows / heads / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    System.arraycopy(w, ((h * half + i) * 2 + j) * cols, out, ((h * 2 + j) * half + i) * cols, cols);
        return out;
    }

    private static float[] floats(ByteBuffer in, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = in.getFloat();
        return f;
    }

    /**
     * stories260K.bin read by hand in llama2.c order and mapped to Hugging Face names as the
     * conversion script does, then written back: every byte but the RoPE tables is identical, and
     * those (recomputed here in double, by PyTorch in float32, ignored by run.c) agree within 1e-4.
     */
    @Test
    void rewritesStories260KByteForByte() throws IOException {
        Path original = SharedData.require(DataPaths.STORIES260K_MODEL);
        byte[] bytes = Files.readAllBytes(original);
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int dim = in.getInt(), hidden = in.getInt(), layers = in.getInt(), heads = in.getInt(), kvHeads = in.getInt(),
                vocab = in.getInt(), seq = in.getInt();
        assertEquals(512, vocab); // positive: classifier shared
        ModelConfig config = ModelConfig.llama(dim, hidden, layers, heads, kvHeads, vocab, seq,
                1e-5, 10000.0, true, 1, 2);
        int kvDim = kvHeads * dim / heads;
        Map<String, NDArray> p = new LinkedHashMap<>();
        p.put("model.embed_tokens.weight", manager.create(floats(in, vocab * dim), new Shape(vocab, dim)));
        String[][] kinds = {
            {"input_layernorm", "" + dim}, {"self_attn.q_proj", dim + "," + dim}, {"self_attn.k_proj", kvDim + "," + dim},
            {"self_attn.v_proj", kvDim + "," + dim}, {"self_attn.o_proj", dim + "," + dim},
            {"post_attention_layernorm", "" + dim}, {"mlp.gate_proj", hidden + "," + dim},
            {"mlp.down_proj", dim + "," + hidden}, {"mlp.up_proj", hidden + "," + dim}};
        for (String[] kind : kinds) {
            long[] dims = java.util.Arrays.stream(kind[1].split(",")).mapToLong(Long::parseLong).toArray();
            Shape shape = new Shape(dims);
            for (int l = 0; l < layers; l++) {
                float[] w = floats(in, (int) shape.size());
                if (kind[0].equals("self_attn.q_proj")) w = hfPermute(w, heads, dim, dim);
                if (kind[0].equals("self_attn.k_proj")) w = hfPermute(w, kvHeads, kvDim, dim);
                p.put("model.layers." + l + "." + kind[0] + ".weight", manager.create(w, shape));
            }
        }
        p.put("model.norm.weight", manager.create(floats(in, dim), new Shape(dim)));
        int ropeStart = in.position(), ropeEnd = ropeStart + 2 * seq * (dim / heads / 2) * 4;
        assertEquals(bytes.length, ropeEnd);

        Path written = dir.resolve("stories260K.bin");
        Llama2cWriter.write(written, config, p);
        byte[] out = Files.readAllBytes(written);
        assertEquals(bytes.length, out.length);
        assertArrayEquals(java.util.Arrays.copyOf(bytes, ropeStart), java.util.Arrays.copyOf(out, ropeStart));
        float[] ropeIn = floats(ByteBuffer.wrap(bytes, ropeStart, ropeEnd - ropeStart).order(ByteOrder.LITTLE_ENDIAN),
                (ropeEnd - ropeStart) / 4);
        float[] ropeOut = floats(ByteBuffer.wrap(out, ropeStart, ropeEnd - ropeStart).order(ByteOrder.LITTLE_ENDIAN),
                (ropeEnd - ropeStart) / 4);
        assertArrayEquals(ropeIn, ropeOut, 1e-4f);
    }

    /** Two heads of dim 4: rows (0 1 2 3 | 4 5 6 7) in rotate-half order go back as (0 2 1 3 | 4 6 5 7). */
    @Test
    void untiedModelHasNegativeVocabClassifierLastAndInterleavedRows() throws IOException {
        ModelConfig config = ModelConfig.llama(8, 12, 1, 2, 1, 5, 3, 1e-5, 10000.0, false, 1, 2);
        Map<String, NDArray> p = Fixtures.randomParameters(config, manager, 8);
        float[] rowIds = new float[64];
        for (int r = 0; r < 8; r++) java.util.Arrays.fill(rowIds, r * 8, r * 8 + 8, r);
        p.put("model.layers.0.self_attn.q_proj.weight", manager.create(rowIds, new Shape(8, 8)));
        p.put("model.layers.0.self_attn.k_proj.weight", manager.create(java.util.Arrays.copyOf(rowIds, 32), new Shape(4, 8)));
        Path file = dir.resolve("untied.bin");
        Llama2cWriter.write(file, config, p);

        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int[] header = new int[7];
        for (int i = 0; i < 7; i++) header[i] = in.getInt();
        assertArrayEquals(new int[] {8, 12, 1, 2, 1, -5, 3}, header);
        assertArrayEquals(p.get("model.embed_tokens.weight").toFloatArray(), floats(in, 40));
        assertArrayEquals(p.get("model.layers.0.input_layernorm.weight").toFloatArray(), floats(in, 8));
        float[] wq = floats(in, 64), wk = floats(in, 32);
        float[] wqRows = new float[8], wkRows = new float[4];
        for (int r = 0; r < 8; r++) wqRows[r] = wq[r * 8];
        for (int r = 0; r < 4; r++) wkRows[r] = wk[r * 8];
        assertArrayEquals(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, wqRows);
        assertArrayEquals(new float[] {0, 2, 1, 3}, wkRows);
        // v, o, ffn norm, w1, w2, w3, final norm, cos and sin [3, 2], then the classifier
        in.position(in.position() + 4 * (32 + 64 + 8 + 3 * 96 + 8 + 2 * 6));
        assertArrayEquals(p.get("lm_head.weight").toFloatArray(), floats(in, 40));
        assertFalse(in.hasRemaining());
    }

    @Test
    void refusesGpt2() {
        Map<String, NDArray> p = Fixtures.randomParameters(Fixtures.TINY_GPT2, manager, 1);
        String m = assertThrows(UserError.class,
                () -> Llama2cWriter.write(dir.resolve("gpt2.bin"), Fixtures.TINY_GPT2, p)).getMessage();
        assertTrue(m.contains("gpt2.bin") && m.contains("plain Llama") && m.contains("gpt2 model"), m);
    }
}
