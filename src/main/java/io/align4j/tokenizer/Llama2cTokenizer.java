package io.align4j.tokenizer;

import io.align4j.util.UserError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The tokenizer of llama2.c's {@code tokenizer.bin}: a sentencepiece-style BPE vocabulary with
 * one score per piece, encoded exactly as {@code run.c}'s {@code encode()} does.
 *
 * <p>File layout (little-endian): {@code int32 max_token_length}, then per token
 * {@code float32 score, int32 byte_length, bytes}. Ids 0, 1, 2 are {@code <unk>}, BOS, EOS; ids
 * 3..258 are the byte-fallback pieces {@code <0x00>..<0xFF>}.
 *
 * <p>Encoding: optional BOS; a {@code " "} piece (the dummy prefix) when the text is not empty;
 * each UTF-8 code point as its piece if the vocabulary has it, else its bytes as ids
 * {@code byte + 3}; then, while some adjacent pair concatenates to a piece, merge the pair
 * whose piece has the highest score (the leftmost on a tie, since run.c keeps the first
 * strictly better score, and only scores above -1e10); optional EOS. run.c rescans the whole
 * sequence for every merge (quadratic); this class gets the same merges from a priority queue
 * ordered by (score descending, left position ascending) with stale entries skipped, which
 * picks the same pair at every step.
 *
 * <p>Pieces are held as ISO-8859-1 strings, one char per byte, so concatenation and lookup
 * work on raw bytes exactly like run.c's C strings, whatever the bytes are.
 */
public final class Llama2cTokenizer implements TextTokenizer {
    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    private static final int BYTE_OFFSET = 3;
    /** run.c starts its search for the best merge at this score and needs a strictly higher one. */
    private static final float NO_MERGE_SCORE = -1e10f;

    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> idOfPiece;
    private final int dummyPrefixId;

    private Llama2cTokenizer(String[] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        this.idOfPiece = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) idOfPiece.putIfAbsent(pieces[i], i);
        this.dummyPrefixId = idOfPiece.getOrDefault(" ", -1);
    }

    /** Reads a llama2.c {@code tokenizer.bin}; a missing or malformed file is a {@link UserError}. */
    public static Llama2cTokenizer load(Path tokenizerBin) {
        if (!Files.isRegularFile(tokenizerBin)) {
            throw new UserError("tokenizer file " + tokenizerBin + " does not exist (expected a llama2.c tokenizer.bin)");
        }
        byte[] raw;
        try {
            raw = Files.readAllBytes(tokenizerBin);
        } catch (IOException e) {
            throw new UserError("cannot read tokenizer file " + tokenizerBin + ": " + e.getMessage(), e);
        }
        ByteBuffer in = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 4) throw new UserError("tokenizer file " + tokenizerBin + " is too short for its header");
        int maxTokenLength = in.getInt();
        if (maxTokenLength <= 0 || maxTokenLength > 1 << 16) {
            throw new UserError("tokenizer file " + tokenizerBin + ": max_token_length " + maxTokenLength
                    + " is not plausible; is this a llama2.c tokenizer.bin?");
        }
        java.util.List<String> pieceList = new java.util.ArrayList<>();
        java.util.List<Float> scoreList = new java.util.ArrayList<>();
        while (in.hasRemaining()) {
            int token = pieceList.size();
            if (in.remaining() < 8) throw new UserError("tokenizer file " + tokenizerBin + " is truncated inside token " + token);
            float score = in.getFloat();
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new UserError("tokenizer file " + tokenizerBin + ": token " + token + " has byte length " + length
                        + " but " + in.remaining() + " bytes remain");
            }
            byte[] bytes = new byte[length];
            in.get(bytes);
            pieceList.add(new String(bytes, StandardCharsets.ISO_8859_1));
            scoreList.add(score);
        }
        if (pieceList.size() < BYTE_OFFSET + 256) {
            throw new UserError("tokenizer file " + tokenizerBin + " holds " + pieceList.size()
                    + " tokens; a llama2.c vocabulary has at least the 3 specials and 256 byte tokens");
        }
        float[] scores = new float[scoreList.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = scoreList.get(i);
        return new Llama2cTokenizer(pieceList.toArray(new String[0]), scores);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[utf8.length + 3];
        int n = 0;
        if (addBos) ids[n++] = BOS;
        if (utf8.length > 0 && dummyPrefixId >= 0) ids[n++] = dummyPrefixId;
        int i = 0;
        while (i < utf8.length) {
            int end = i + 1;
            // A code point is a lead byte plus its continuation bytes (at most 4 bytes, as in run.c).
            while (end < utf8.length && (utf8[end] & 0xC0) == 0x80 && end - i < 4) end++;
            Integer id = idOfPiece.get(new String(utf8, i, end - i, StandardCharsets.ISO_8859_1));
            if (id != null) {
                ids[n++] = id;
            } else {
                for (int b = i; b < end; b++) ids[n++] = (utf8[b] & 0xFF) + BYTE_OFFSET;
            }
            i = end;
        }
        n = mergePairs(ids, n);
        if (addEos) ids[n++] = EOS;
        return java.util.Arrays.copyOf(ids, n);
    }

    /** A candidate merge of the symbols at {@code left} and {@code right}, valid while both are unchanged. */
    private record Candidate(float score, int left, int right, int mergedId, int leftVersion, int rightVersion) {}

    /**
     * Applies run.c's merges in place to {@code ids[0..n)} and returns the new length. Symbols form
     * a doubly linked list; a symbol's version changes whenever it is merged, invalidating queued
     * candidates that refer to it.
     */
    private int mergePairs(int[] ids, int n) {
        if (n < 2) return n;
        int[] prev = new int[n];
        int[] next = new int[n];
        int[] version = new int[n];
        boolean[] alive = new boolean[n];
        for (int k = 0; k < n; k++) {
            prev[k] = k - 1;
            next[k] = k + 1 < n ? k + 1 : -1;
            alive[k] = true;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int k = 0; k + 1 < n; k++) offer(queue, ids, version, k, k + 1);
        int remaining = n;
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            if (!alive[c.left] || !alive[c.right] || next[c.left] != c.right
                    || version[c.left] != c.leftVersion || version[c.right] != c.rightVersion) continue;
            ids[c.left] = c.mergedId;
            version[c.left]++;
            alive[c.right] = false;
            next[c.left] = next[c.right];
            if (next[c.right] >= 0) prev[next[c.right]] = c.left;
            remaining--;
            if (prev[c.left] >= 0) offer(queue, ids, version, prev[c.left], c.left);
            if (next[c.left] >= 0) offer(queue, ids, version, c.left, next[c.left]);
        }
        int out = 0;
        for (int k = 0; k >= 0; k = next[k]) ids[out++] = ids[k];
        assert out == remaining;
        return out;
    }

    private void offer(PriorityQueue<Candidate> queue, int[] ids, int[] version, int left, int right) {
        Integer merged = idOfPiece.get(pieces[ids[left]] + pieces[ids[right]]);
        if (merged != null && scores[merged] > NO_MERGE_SCORE) {
            queue.add(new Candidate(scores[merged], left, right, merged, version[left], version[right]));
        }
    }

    /**
     * Text of {@code ids} as run.c prints it: BOS and EOS are dropped, a piece right after BOS
     * loses its leading space (the dummy prefix), byte pieces {@code <0xXX>} become their byte,
     * and the bytes are decoded as UTF-8 together, so characters split over byte tokens return.
     */
    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int previous = -1;
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + pieces.length);
            if (id != BOS && id != EOS) {
                String piece = pieces[id];
                if (previous == BOS && piece.startsWith(" ")) piece = piece.substring(1);
                int byteValue = byteTokenValue(piece);
                if (byteValue >= 0) {
                    bytes.write(byteValue);
                } else {
                    byte[] raw = piece.getBytes(StandardCharsets.ISO_8859_1);
                    bytes.write(raw, 0, raw.length);
                }
            }
            previous = id;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The byte of a piece spelled {@code <0xXX>}, else -1. */
    private static int byteTokenValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /** The raw bytes of a piece, as stored in the file. */
    public byte[] pieceBytes(int id) { return pieces[id].getBytes(StandardCharsets.ISO_8859_1); }

    public float score(int id) { return scores[id]; }

    @Override
    public int vocabSize() { return pieces.length; }

    @Override
    public int bosId() { return BOS; }

    @Override
    public int eosId() { return EOS; }

    /** EOS, and BOS: llama2.c models start the next story with BOS, and run.c stops there. */
    @Override
    public int[] stopIds() { return new int[] {EOS, BOS}; }
}
