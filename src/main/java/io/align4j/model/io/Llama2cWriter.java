package io.align4j.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.align4j.util.AtomicFiles;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.ParameterLayout;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a Llama model in the llama2.c legacy checkpoint format ({@code export.py}
 * {@code legacy_export}, read by {@code run.c}), the inverse of reading one.
 *
 * <p>Layout: seven little-endian int32 {@code dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 * vocab_size, seq_len}, where a negative vocab_size says the classifier is not shared; then
 * float32 tensors, each kind for all layers before the next kind: token embedding, attention
 * norms, wq, wk, wv, wo, feed-forward norms, w1 (gate), w2 (down), w3 (up), final norm, the
 * legacy RoPE tables {@code cos, sin} [seq_len, head_dim/2], and the classifier when not shared.
 *
 * <p>llama2.c rotates interleaved pairs (x[2i], x[2i+1]), Hugging Face rotates halves
 * (x[i], x[i + head_dim/2]). Hugging Face's conversion permutes the q and k rows with
 * {@code permute(w, n, d1, d2) = w.view(n, d1/n/2, 2, d2).transpose(1, 2).reshape(d1, d2)};
 * this writer applies its inverse {@code w.view(n, 2, d1/n/2, d2).transpose(1, 2).reshape(d1, d2)}
 * with n the query heads for wq and the key/value heads for wk.
 */
public final class Llama2cWriter {
    private static final Logger LOG = LoggerFactory.getLogger(Llama2cWriter.class);
    /** The RMSNorm epsilon and rotary base that {@code run.c} hard-codes. */
    private static final double RUN_C_NORM_EPS = 1e-5, RUN_C_ROPE_THETA = 10000.0;

    private Llama2cWriter() {}

    /**
     * Writes {@code parameters} (named and shaped as {@link ParameterLayout} lists them) to
     * {@code file}, atomically (written beside it, then renamed).
     */
    public static void write(Path file, ModelConfig config, Map<String, NDArray> parameters) {
        ModelConfig plain = ModelConfig.llama(config.dim(), config.hiddenDim(), config.nLayers(), config.nHeads(),
                config.nKvHeads(), config.vocabSize(), config.maxSeqLen(), config.normEps(),
                config.rope() == null ? 0 : config.rope().theta(), config.tiedEmbeddings(), config.bosId(), config.eosId());
        if (!config.equals(plain))
            throw new UserError(file + ": the llama2.c format holds plain Llama models only (RMSNorm, SwiGLU, no biases, "
                    + "rotary on the whole head, no scaling), not this " + config.family() + " model");
        for (Map.Entry<String, ai.djl.ndarray.types.Shape> p : ParameterLayout.of(config).entrySet()) {
            NDArray a = parameters.get(p.getKey());
            if (a == null || !a.getShape().equals(p.getValue()))
                throw new IllegalArgumentException("parameter '" + p.getKey() + "' missing or not of shape " + p.getValue());
        }
        if (config.normEps() != RUN_C_NORM_EPS || config.rope().theta() != RUN_C_ROPE_THETA)
            LOG.warn("{}: llama2.c fixes rms_norm_eps = 1e-5 and rope_theta = 10000; this model has {} and {}",
                    file, config.normEps(), config.rope().theta());

        AtomicFiles.write(file, out -> {
            AtomicFiles.writeFully(out, header(config));
            writeTensors(out, config, parameters);
        });
    }

    private static ByteBuffer header(ModelConfig c) {
        ByteBuffer h = ByteBuffer.allocate(7 * 4).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
                .putInt(c.tiedEmbeddings() ? c.vocabSize() : -c.vocabSize()).putInt(c.maxSeqLen());
        return h.flip();
    }

    private static void writeTensors(FileChannel out, ModelConfig c, Map<String, NDArray> p) throws IOException {
        AtomicFiles.writeFully(out, floatBytes(p.get("model.embed_tokens.weight")));
        for (String kind : List.of("input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj")) {
            for (int l = 0; l < c.nLayers(); l++) {
                NDArray w = p.get("model.layers." + l + "." + kind + ".weight");
                switch (kind) {
                    case "self_attn.q_proj" -> writeUnpermuted(out, w, c.nHeads());
                    case "self_attn.k_proj" -> writeUnpermuted(out, w, c.nKvHeads());
                    default -> AtomicFiles.writeFully(out, floatBytes(w));
                }
            }
        }
        AtomicFiles.writeFully(out, floatBytes(p.get("model.norm.weight")));
        AtomicFiles.writeFully(out, ropeTables(c));
        if (!c.tiedEmbeddings()) AtomicFiles.writeFully(out, floatBytes(p.get("lm_head.weight")));
    }

    /** Rows of q or k from rotate-half order back to llama2.c's interleaved order. */
    private static void writeUnpermuted(FileChannel out, NDArray w, int heads) throws IOException {
        long rows = w.getShape().get(0), cols = w.getShape().get(1);
        NDArray split = w.reshape(heads, 2, rows / heads / 2, cols);
        NDArray swapped = split.swapAxes(1, 2);
        NDArray interleaved = swapped.reshape(rows, cols);
        try {
            AtomicFiles.writeFully(out, floatBytes(interleaved));
        } finally {
            interleaved.close();
            swapped.close();
            split.close();
        }
    }

    /**
     * The legacy tables {@code cos(t f_i)} then {@code sin(t f_i)} for t < seq_len, with
     * {@code f_i = theta^(-2i / head_dim)}, computed in float32 as {@code export.py} does.
     * {@code run.c} recomputes them and ignores these bytes.
     */
    private static ByteBuffer ropeTables(ModelConfig c) {
        int half = c.headDim() / 2, seq = c.maxSeqLen();
        float[] freqs = new float[half];
        for (int i = 0; i < half; i++)
            freqs[i] = 1.0f / (float) Math.pow((float) c.rope().theta(), (float) (2 * i) / c.headDim());
        ByteBuffer b = ByteBuffer.allocate(2 * seq * half * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < seq; t++)
            for (int i = 0; i < half; i++) b.putFloat((float) Math.cos((float) t * freqs[i]));
        for (int t = 0; t < seq; t++)
            for (int i = 0; i < half; i++) b.putFloat((float) Math.sin((float) t * freqs[i]));
        return b.flip();
    }

    private static ByteBuffer floatBytes(NDArray a) {
        NDArray f = a.toType(DataType.FLOAT32, false);
        try {
            return f.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        } finally {
            if (f != a) f.close();
        }
    }

}
