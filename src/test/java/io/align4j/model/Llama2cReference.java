package io.align4j.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An independent plain-Java float transcription of llama2.c's run.c (its own reader, its own
 * forward with RoPE on interleaved pairs), used as the yardstick for the engine model.
 */
final class Llama2cReference {
    final int dim, hidden, layers, heads, kvHeads, vocab, seqLen, headSize, kvDim;
    private final float[] emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, wcls;
    private final float[][] keyCache, valueCache;

    Llama2cReference(Path bin) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        dim = bytes.getInt(); hidden = bytes.getInt(); layers = bytes.getInt(); heads = bytes.getInt();
        kvHeads = bytes.getInt(); int v = bytes.getInt(); seqLen = bytes.getInt();
        vocab = Math.abs(v);
        headSize = dim / heads;
        kvDim = dim * kvHeads / heads;
        FloatBuffer f = bytes.asFloatBuffer();
        emb = take(f, vocab * dim);
        rmsAtt = take(f, layers * dim);
        wq = take(f, layers * dim * dim);
        wk = take(f, layers * kvDim * dim);
        wv = take(f, layers * kvDim * dim);
        wo = take(f, layers * dim * dim);
        rmsFfn = take(f, layers * dim);
        w1 = take(f, layers * hidden * dim);
        w2 = take(f, layers * dim * hidden);
        w3 = take(f, layers * hidden * dim);
        rmsFinal = take(f, dim);
        take(f, seqLen * headSize / 2);
        take(f, seqLen * headSize / 2);
        wcls = v > 0 ? emb : take(f, vocab * dim);
        keyCache = new float[layers][seqLen * kvDim];
        valueCache = new float[layers][seqLen * kvDim];
    }

    private static float[] take(FloatBuffer f, int n) {
        float[] out = new float[n];
        f.get(out);
        return out;
    }

    private static void rmsnorm(float[] o, float[] x, float[] w, int wOff, int size) {
        float ss = 0;
        for (int j = 0; j < size; j++) ss += x[j] * x[j];
        ss /= size;
        ss += 1e-5f;
        ss = 1.0f / (float) Math.sqrt(ss);
        for (int j = 0; j < size; j++) o[j] = w[wOff + j] * (ss * x[j]);
    }

    /** xout[i] = Σ_j w[wOff + i·n + j] · x[j], for a (d, n) matrix. */
    private static void matmul(float[] xout, float[] x, float[] w, int wOff, int n, int d) {
        for (int i = 0; i < d; i++) {
            float val = 0;
            for (int j = 0; j < n; j++) val += w[wOff + i * n + j] * x[j];
            xout[i] = val;
        }
    }

    /** run.c's forward(token, pos): logits of the next token; fills the caches at pos. */
    float[] forward(int token, int pos) {
        float[] x = new float[dim], xb = new float[dim], xb2 = new float[dim];
        float[] hb = new float[hidden], hb2 = new float[hidden];
        float[] q = new float[dim], k = new float[kvDim], v = new float[kvDim];
        int kvMul = heads / kvHeads;
        System.arraycopy(emb, token * dim, x, 0, dim);
        for (int l = 0; l < layers; l++) {
            rmsnorm(xb, x, rmsAtt, l * dim, dim);
            matmul(q, xb, wq, l * dim * dim, dim, dim);
            matmul(k, xb, wk, l * kvDim * dim, dim, kvDim);
            matmul(v, xb, wv, l * kvDim * dim, dim, kvDim);
            for (int i = 0; i < dim; i += 2) {
                int headDim = i % headSize;
                float freq = 1.0f / (float) Math.pow(10000.0f, headDim / (float) headSize);
                float val = pos * freq;
                float fcr = (float) Math.cos(val), fci = (float) Math.sin(val);
                int rotn = i < kvDim ? 2 : 1;
                for (int r = 0; r < rotn; r++) {
                    float[] vec = r == 0 ? q : k;
                    float v0 = vec[i], v1 = vec[i + 1];
                    vec[i] = v0 * fcr - v1 * fci;
                    vec[i + 1] = v0 * fci + v1 * fcr;
                }
            }
            System.arraycopy(k, 0, keyCache[l], pos * kvDim, kvDim);
            System.arraycopy(v, 0, valueCache[l], pos * kvDim, kvDim);
            for (int h = 0; h < heads; h++) {
                float[] att = new float[pos + 1];
                int kvOff = (h / kvMul) * headSize;
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    float score = 0;
                    for (int i = 0; i < headSize; i++) score += q[h * headSize + i] * keyCache[l][t * kvDim + kvOff + i];
                    att[t] = score / (float) Math.sqrt(headSize);
                    max = Math.max(max, att[t]);
                }
                float sum = 0;
                for (int t = 0; t <= pos; t++) { att[t] = (float) Math.exp(att[t] - max); sum += att[t]; }
                for (int i = 0; i < headSize; i++) {
                    float acc = 0;
                    for (int t = 0; t <= pos; t++) acc += att[t] / sum * valueCache[l][t * kvDim + kvOff + i];
                    xb[h * headSize + i] = acc;
                }
            }
            matmul(xb2, xb, wo, l * dim * dim, dim, dim);
            for (int i = 0; i < dim; i++) x[i] += xb2[i];
            rmsnorm(xb, x, rmsFfn, l * dim, dim);
            matmul(hb, xb, w1, l * hidden * dim, dim, hidden);
            matmul(hb2, xb, w3, l * hidden * dim, dim, hidden);
            for (int i = 0; i < hidden; i++) hb[i] = hb[i] * (1.0f / (1.0f + (float) Math.exp(-hb[i]))) * hb2[i];
            matmul(xb, hb, w2, l * dim * hidden, hidden, dim);
            for (int i = 0; i < dim; i++) x[i] += xb[i];
        }
        rmsnorm(x, x, rmsFinal, 0, dim);
        float[] logits = new float[vocab];
        matmul(logits, x, wcls, 0, dim, vocab);
        return logits;
    }

    /** run.c's greedy loop from BOS: forward the token, take the argmax (first on ties), feed it back. */
    int[] greedyFromBos(int steps) {
        int[] out = new int[steps];
        int token = 1;
        for (int pos = 0; pos < steps; pos++) {
            float[] logits = forward(token, pos);
            int best = 0;
            for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
            out[pos] = best;
            token = best;
        }
        return out;
    }

    /** ln softmax(logits)[id] in double. */
    static double logProb(float[] logits, int id) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        return logits[id] - max - Math.log(sum);
    }

    /** Entropy of softmax(logits) in double. */
    static double entropy(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double h = 0;
        for (float l : logits) {
            double lp = l - max - Math.log(sum);
            h -= Math.exp(lp) * lp;
        }
        return h;
    }
}
