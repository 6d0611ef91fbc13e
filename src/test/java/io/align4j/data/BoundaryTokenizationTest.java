package io.align4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.testing.ByteLevelBpeFixture;
import io.align4j.testing.SharedData;
import io.align4j.tokenizer.HfTokenizer;
import io.align4j.tokenizer.Llama2cTokenizer;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prompt/response boundary on 100 pairs under llama2.c's tokenizer and a byte-level BPE
 * tokenizer.json: prompt ids + response ids are the ids of the whole text; where no token
 * crosses the boundary the prompt ids are exactly the prompt's own ids; merges across the
 * boundary are counted.
 */
class BoundaryTokenizationTest {
    private static final String[] WORDS = {"Once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily",
            "she", "liked", "play", "park", "ducks", "swam", "happy", "sun", "the", "capital", "France", "Paris", "café", "naïve"};
    private static final String[] SEPARATORS = {" ", " ", " ", ", ", ". ", "\n", "! "};

    /** Kinds of split point: inside a word, just before a space, just after a space, after punctuation or a newline. */
    enum Kind { MID_WORD, BEFORE_SPACE, AFTER_SPACE, AFTER_PUNCTUATION }

    record Pair(String prompt, String response, Kind kind) {}

    static List<Pair> pairs() {
        Random random = new Random(11L);
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Kind kind = Kind.values()[i % 4];
            StringBuilder sb = new StringBuilder();
            List<Integer> candidates = new ArrayList<>();
            for (int w = 0, n = 6 + random.nextInt(10); w < n; w++) {
                String word = WORDS[random.nextInt(WORDS.length)];
                int start = sb.length();
                sb.append(word);
                if (kind == Kind.MID_WORD && word.length() > 2) candidates.add(start + 1 + random.nextInt(word.length() - 2));
                if (kind == Kind.BEFORE_SPACE) candidates.add(sb.length());
                String sep = SEPARATORS[random.nextInt(SEPARATORS.length)];
                sb.append(sep);
                if (kind == Kind.AFTER_SPACE && sep.equals(" ")) candidates.add(sb.length());
                if (kind == Kind.AFTER_PUNCTUATION && !sep.equals(" ")) candidates.add(sb.length() - (sep.endsWith(" ") ? 1 : 0));
            }
            String text = sb.toString().trim();
            candidates.removeIf(c -> c <= 0 || c >= text.length() || (kind == Kind.BEFORE_SPACE && text.charAt(c) != ' '));
            int at = candidates.isEmpty() ? text.indexOf(' ') : candidates.get(random.nextInt(candidates.size()));
            pairs.add(new Pair(text.substring(0, at), text.substring(at), candidates.isEmpty() ? Kind.BEFORE_SPACE : kind));
        }
        return pairs;
    }

    private static int[] check(TextTokenizer tokenizer, List<Pair> pairs, String name) {
        int[] mergesByKind = new int[Kind.values().length];
        for (Pair p : pairs) {
            BoundarySplit split = BoundarySplit.of(tokenizer, true, p.prompt, p.response);
            int[] whole = tokenizer.encode(p.prompt + p.response, true, false);
            int[] joined = Arrays.copyOf(split.promptIds(), split.promptIds().length + split.responseIds()[0].length);
            System.arraycopy(split.responseIds()[0], 0, joined, split.promptIds().length, split.responseIds()[0].length);
            assertArrayEquals(whole, joined, () -> name + ": " + p);
            int[] alone = tokenizer.encode(p.prompt, true, false);
            boolean aloneIsPrefix = alone.length <= whole.length && Arrays.equals(alone, Arrays.copyOf(whole, alone.length));
            assertEquals(!aloneIsPrefix, split.merged(), () -> name + ": " + p);
            if (!split.merged()) assertArrayEquals(alone, split.promptIds());
            assertEquals(p.prompt + p.response, tokenizer.decode(joined));
            if (split.merged()) mergesByKind[p.kind.ordinal()]++;
        }
        System.out.println("boundary merges under " + name + " by split kind " + Arrays.toString(Kind.values()) + ": "
                + Arrays.toString(mergesByKind) + " of 25 each");
        return mergesByKind;
    }

    @Test
    void llama2cBoundary() {
        Llama2cTokenizer tokenizer = Llama2cTokenizer.load(SharedData.require(DataPaths.STORIES260K_TOKENIZER));
        int[] merges = check(tokenizer, pairs(), "llama2.c tok512");
        assertTrue(merges[Kind.MID_WORD.ordinal()] > 0, "mid-word splits merge in a BPE vocabulary");
        // No tok512 piece has a space after its first byte, so nothing merges into a following " word".
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            String piece = new String(tokenizer.pieceBytes(id), StandardCharsets.ISO_8859_1);
            assertFalse(piece.indexOf(' ', 1) > 0, piece);
        }
        assertEquals(0, merges[Kind.BEFORE_SPACE.ordinal()]);
    }

    @Test
    void byteLevelBpeBoundary(@TempDir Path dir) throws IOException {
        ByteLevelBpeFixture.write(dir, 200, null);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            int[] merges = check(tokenizer, pairs(), "byte-level BPE");
            assertTrue(merges[Kind.MID_WORD.ordinal()] > 0);
            // The GPT-2 pre-tokenizer cuts before " word", so a split there never merges; after a space it does (" " + "word" -> "Ġword").
            assertEquals(0, merges[Kind.BEFORE_SPACE.ordinal()]);
            assertEquals(25, merges[Kind.AFTER_SPACE.ordinal()]);
        }
    }

    @Test
    void limitsTruncateAndDrop() {
        Llama2cTokenizer tok = Llama2cTokenizer.load(SharedData.require(DataPaths.STORIES260K_TOKENIZER));
        PreferenceExample e = PreferenceExample.text("Once upon a time there was a little girl", " named Lily.", " who was sad.", "x line 1");
        int[] prompt = tok.encode(e.prompt(), true, false);
        int[] chosen = Arrays.copyOfRange(tok.encode(e.prompt() + e.chosen(), true, false), prompt.length,
                tok.encode(e.prompt() + e.chosen(), true, false).length);
        TokenizedPair full = new PairTokenizer(tok, ChatTemplate.PLAIN, TokenLimits.NONE).tokenize(e).orElseThrow();
        assertArrayEquals(prompt, full.promptIds());
        assertArrayEquals(append(chosen, Llama2cTokenizer.EOS), full.chosenIds());

        TokenizedPair keepEnd = new PairTokenizer(tok, ChatTemplate.PLAIN, new TokenLimits(0, 4, Truncation.KEEP_END)).tokenize(e).orElseThrow();
        assertArrayEquals(new int[] {Llama2cTokenizer.BOS, prompt[prompt.length - 3], prompt[prompt.length - 2], prompt[prompt.length - 1]},
                keepEnd.promptIds());
        TokenizedPair keepStart = new PairTokenizer(tok, ChatTemplate.PLAIN, new TokenLimits(0, 4, Truncation.KEEP_START)).tokenize(e).orElseThrow();
        assertArrayEquals(Arrays.copyOf(prompt, 4), keepStart.promptIds());

        PairTokenizer limited = new PairTokenizer(tok, ChatTemplate.PLAIN, new TokenLimits(prompt.length + 2, 0, Truncation.KEEP_END));
        TokenizedPair cut = limited.tokenize(e).orElseThrow();
        assertArrayEquals(Arrays.copyOf(chosen, 2), cut.chosenIds());
        assertTrue(cut.truncated());
        PairTokenizer dropping = new PairTokenizer(tok, ChatTemplate.PLAIN, new TokenLimits(prompt.length, 0, Truncation.KEEP_END));
        assertEquals(Optional.empty(), dropping.tokenize(e));
        assertEquals(1, dropping.stats().dropped());
        assertEquals(1, limited.stats().responsesTruncated());
    }

    private static int[] append(int[] ids, int id) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = id;
        return out;
    }
}
