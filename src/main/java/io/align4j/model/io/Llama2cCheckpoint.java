package io.align4j.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Models;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the legacy llama2.c checkpoint ({@code run.c}'s format, as in karpathy/tinyllamas):
 * a header of 7 little-endian int32 {@code dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 * vocab_size, seq_len} (a negative vocab_size means the classifier is not shared with the
 * embedding), then float32 tensors, each stacked over layers: token_embedding_table,
 * rms_att_weight, wq, wk, wv, wo, rms_ffn_weight, w1, w2, w3, rms_final_weight, the legacy
 * RoPE tables freq_cis_real and freq_cis_imag (skipped), and wcls when not shared.
 *
 * <p>Tensors get their Hugging Face Llama names (w1 → gate_proj, w3 → up_proj, w2 →
 * down_proj). llama2.c rotates interleaved pairs (x₀,x₁),(x₂,x₃)… whereas Hugging Face
 * rotates halves, so the rows of wq and wk are permuted per head exactly as
 * {@code convert_llama_weights_to_hf.py} does:
 * {@code w.view(heads, rows/heads/2, 2, cols).transpose(1, 2).reshape(rows, cols)}, i.e.
 * row {@code 2j + e} of a head moves to row {@code e·d/2 + j}. Token ids: BOS 1, EOS 2.
 */
public final class Llama2cCheckpoint {
    /** First int32 of the newer versioned llama2.c exports ("ak42"), which this reader does not handle. */
    private static final int VERSIONED_MAGIC = 0x616b3432;
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final double NORM_EPS = 1e-5;
    private static final double ROPE_THETA = 10000;

    private Llama2cCheckpoint() {}

    /**
     * Reads {@code bin} into a float32 Llama owned by a sub-manager of {@code manager}.
     *
     * @throws UserError if the file is missing, its header is not a legacy llama2.c header, or
     *                   it ends inside (or continues past) the tensors; the message names the
     *                   file and the tensor
     */
    public static CausalLM read(Path bin, NDManager manager) {
        LoadedWeights weights = readWeights(bin, manager);
        return Models.create(weights.config(), weights.parameters(), manager);
    }

    /**
     * Reads {@code bin} into float32 parameters with their Hugging Face names, owned by
     * {@code manager} (for conversion, which needs no model).
     *
     * @throws UserError as {@link #read}
     */
    public static LoadedWeights readWeights(Path bin, NDManager manager) {
        try (FileChannel channel = FileChannel.open(bin, StandardOpenOption.READ)) {
            return read(bin, channel, manager);
        } catch (NoSuchFileException e) {
            throw new UserError("model file " + bin + " does not exist");
        } catch (IOException e) {
            throw new UserError("cannot read model file " + bin + ": " + e.getMessage(), e);
        }
    }

    private static LoadedWeights read(Path bin, FileChannel channel, NDManager manager) throws IOException {
        Reader in = new Reader(bin, channel);
        ByteBuffer header = in.bytes(7 * Integer.BYTES, "header");
        int dim = header.getInt(), hidden = header.getInt(), layers = header.getInt(), heads = header.getInt();
        int kvHeads = header.getInt(), vocab = header.getInt(), seqLen = header.getInt();
        if (dim == VERSIONED_MAGIC)
            throw new UserError(bin + " is a versioned llama2.c export (magic \"ak42\"); only the legacy format (version 0) is read");
        boolean shared = vocab > 0;
        vocab = Math.abs(vocab);
        String sizes = "dim " + dim + ", hidden_dim " + hidden + ", n_layers " + layers + ", n_heads " + heads
                + ", n_kv_heads " + kvHeads + ", vocab_size " + vocab + ", seq_len " + seqLen;
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || seqLen <= 0
                || dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0)
            throw new UserError(bin + " has no valid llama2.c header (" + sizes + ")");
        ModelConfig config = ModelConfig.llama(dim, hidden, layers, heads, kvHeads, vocab, seqLen,
                NORM_EPS, ROPE_THETA, shared, BOS, EOS);
        int headDim = dim / heads, kvDim = kvHeads * headDim;

        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("model.embed_tokens.weight", in.tensor("token_embedding_table", manager, vocab, dim));
        NDArray[] rmsAtt = in.layers("rms_att_weight", manager, layers, dim);
        NDArray[] wq = in.layers("wq", manager, layers, dim, dim, heads);
        NDArray[] wk = in.layers("wk", manager, layers, kvDim, dim, kvHeads);
        NDArray[] wv = in.layers("wv", manager, layers, kvDim, dim);
        NDArray[] wo = in.layers("wo", manager, layers, dim, dim);
        NDArray[] rmsFfn = in.layers("rms_ffn_weight", manager, layers, dim);
        NDArray[] w1 = in.layers("w1", manager, layers, hidden, dim);
        NDArray[] w2 = in.layers("w2", manager, layers, dim, hidden);
        NDArray[] w3 = in.layers("w3", manager, layers, hidden, dim);
        for (int i = 0; i < layers; i++) {
            String l = "model.layers." + i + ".";
            params.put(l + "input_layernorm.weight", rmsAtt[i]);
            params.put(l + "self_attn.q_proj.weight", wq[i]);
            params.put(l + "self_attn.k_proj.weight", wk[i]);
            params.put(l + "self_attn.v_proj.weight", wv[i]);
            params.put(l + "self_attn.o_proj.weight", wo[i]);
            params.put(l + "post_attention_layernorm.weight", rmsFfn[i]);
            params.put(l + "mlp.gate_proj.weight", w1[i]);
            params.put(l + "mlp.up_proj.weight", w3[i]);
            params.put(l + "mlp.down_proj.weight", w2[i]);
        }
        params.put("model.norm.weight", in.tensor("rms_final_weight", manager, dim));
        in.skip("freq_cis_real", (long) seqLen * headDim / 2);
        in.skip("freq_cis_imag", (long) seqLen * headDim / 2);
        if (!shared) params.put("lm_head.weight", in.tensor("wcls", manager, vocab, dim));
        long left = channel.size() - channel.position();
        if (left != 0)
            throw new UserError(bin + " has " + left + " bytes after the last tensor; the header (" + sizes
                    + ") does not describe this file");
        return new LoadedWeights(config, params);
    }

    /** Sequential little-endian reads that name the tensor when the file ends too early. */
    private static final class Reader {
        private final Path file;
        private final FileChannel channel;

        Reader(Path file, FileChannel channel) {
            this.file = file;
            this.channel = channel;
        }

        ByteBuffer bytes(long count, String what) throws IOException {
            long left = channel.size() - channel.position();
            if (count > left)
                throw new UserError(file + " is truncated in " + what + ": needs " + count + " bytes at offset "
                        + channel.position() + ", only " + left + " left");
            if (count > Integer.MAX_VALUE)
                throw new UserError(file + ": tensor " + what + " is larger than 2 GiB, which this reader does not support");
            ByteBuffer buffer = ByteBuffer.allocate((int) count).order(ByteOrder.LITTLE_ENDIAN);
            while (buffer.hasRemaining()) channel.read(buffer);
            return buffer.flip();
        }

        void skip(String what, long floats) throws IOException {
            long left = channel.size() - channel.position();
            if (floats * Float.BYTES > left)
                throw new UserError(file + " is truncated in " + what + ": needs " + floats * Float.BYTES + " bytes at offset "
                        + channel.position() + ", only " + left + " left");
            channel.position(channel.position() + floats * Float.BYTES);
        }

        float[] floats(String what, long count) throws IOException {
            float[] values = new float[Math.toIntExact(count)];
            bytes(count * Float.BYTES, "tensor " + what).asFloatBuffer().get(values);
            return values;
        }

        NDArray tensor(String what, NDManager m, long... shape) throws IOException {
            Shape s = new Shape(shape);
            return m.create(floats(what, s.size()), s);
        }

        NDArray[] layers(String what, NDManager m, int layers, int rows, int cols) throws IOException {
            return layers(what, m, layers, rows, cols, 0);
        }

        /** One [rows, cols] matrix per layer; with {@code ropeHeads > 0} its rows are permuted to rotate-half order. */
        NDArray[] layers(String what, NDManager m, int layers, int rows, int cols, int ropeHeads) throws IOException {
            float[] all = floats(what, (long) layers * rows * cols);
            NDArray[] out = new NDArray[layers];
            int size = rows * cols;
            for (int i = 0; i < layers; i++) {
                float[] w = java.util.Arrays.copyOfRange(all, i * size, (i + 1) * size);
                if (ropeHeads > 0) w = interleavedToHalves(w, rows, cols, ropeHeads);
                out[i] = m.create(w, new Shape(rows, cols));
            }
            return out;
        }

        /** Vectors with one element ({@code rows == 1}) per layer, e.g. norm weights of size {@code dim}. */
        NDArray[] layers(String what, NDManager m, int layers, int dim) throws IOException {
            float[] all = floats(what, (long) layers * dim);
            NDArray[] out = new NDArray[layers];
            for (int i = 0; i < layers; i++)
                out[i] = m.create(java.util.Arrays.copyOfRange(all, i * dim, (i + 1) * dim), new Shape(dim));
            return out;
        }
    }

    /** Row {@code h·d + 2j + e} moves to row {@code h·d + e·d/2 + j} (the HF conversion's {@code permute}). */
    static float[] interleavedToHalves(float[] w, int rows, int cols, int heads) {
        int headDim = rows / heads, half = headDim / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++)
            for (int j = 0; j < half; j++)
                for (int e = 0; e < 2; e++)
                    System.arraycopy(w, (h * headDim + 2 * j + e) * cols, out, (h * headDim + e * half + j) * cols, cols);
        return out;
    }
}
