package io.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama2.c tokenizer on stories260K's tok512.bin against a plain transcription of run.c's encode(). */
class Llama2cTokenizerTest {
    private static Llama2cTokenizer tokenizer;
    private static List<byte[]> vocab;
    private static float[] scores;

    @BeforeAll
    static void load() throws IOException {
        Path file = SharedData.require(DataPaths.STORIES260K_TOKENIZER);
        tokenizer = Llama2cTokenizer.load(file);
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        in.getInt();
        vocab = new ArrayList<>();
        List<Float> s = new ArrayList<>();
        while (in.hasRemaining()) {
            s.add(in.getFloat());
            byte[] b = new byte[in.getInt()];
            in.get(b);
            vocab.add(b);
        }
        scores = new float[s.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = s.get(i);
    }

    /** run.c's str_lookup: the first id whose bytes equal {@code piece}, else -1 (linear scan). */
    private static int lookup(byte[] piece) {
        for (int i = 0; i < vocab.size(); i++) if (Arrays.equals(vocab.get(i), piece)) return i;
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** run.c encode(), line by line: dummy prefix, code points or byte fallback, quadratic best-score merge loop. */
    private static int[] referenceEncode(String text, boolean bos, boolean eos) {
        List<Integer> tokens = new ArrayList<>();
        if (bos) tokens.add(1);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0) tokens.add(lookup(new byte[] {' '}));
        int strLen = 0;
        byte[] buffer = new byte[8];
        for (int c = 0; c < bytes.length; c++) {
            if ((bytes[c] & 0xC0) != 0x80) strLen = 0;
            buffer[strLen++] = bytes[c];
            if (c + 1 < bytes.length && (bytes[c + 1] & 0xC0) == 0x80 && strLen < 4) continue;
            int id = lookup(Arrays.copyOf(buffer, strLen));
            if (id != -1) {
                tokens.add(id);
            } else {
                for (int i = 0; i < strLen; i++) tokens.add((buffer[i] & 0xFF) + 3);
            }
            strLen = 0;
        }
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                int id = lookup(concat(vocab.get(tokens.get(i)), vocab.get(tokens.get(i + 1))));
                if (id != -1 && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) break;
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        if (eos) tokens.add(2);
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<String> variedStrings() {
        List<String> out = new ArrayList<>(List.of("", " ", "  ", "a", "Once upon a time", "Lily loves the park.",
                "café 😊", "Hello\nworld", "\t\ttabs\tand\nnew\n\nlines ", "naïve façade — “quotes” ‘single’",
                "日本語のテキスト", "Ελληνικά κείμενο", "русский текст", "emoji 👩‍👩‍👧 flags 🇫🇷 ✨",
                "a\u0000b", "1234567890 3.14159 -42", "<s> </s> <unk> <0x41>", "   leading and trailing   "));
        String[] words = {"the", "The", "little", "girl", "named", "Lily", "was", "happy", "dog", "park", "ball", "sun",
                "Once", "upon", "a", "time", "there", "played", "with", "her", "friend", "Tom", "said", "big", "red"};
        String[] extras = {",", ".", "!", "?", "\"", "'", " ", "  ", "\n", "é", "ß", "ñ", "€", "中", "文", "😊", "🙂", "™",
                "\u00a0", "\u200a", "ü", "Ø", "ĳ", "∑", "→"};
        Random random = new Random(20240601L);
        while (out.size() < 240) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + random.nextInt(14);
            for (int p = 0; p < parts; p++) {
                int kind = random.nextInt(10);
                if (kind < 6) {
                    if (sb.length() > 0) sb.append(' ');
                    sb.append(words[random.nextInt(words.length)]);
                } else if (kind < 9) {
                    sb.append(extras[random.nextInt(extras.length)]);
                } else {
                    sb.appendCodePoint(0x20 + random.nextInt(0x2FFF));
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void encodesExactlyAsRunCOn240Strings() {
        List<String> strings = variedStrings();
        assertEquals(240, strings.size());
        int tokens = 0;
        for (int i = 0; i < strings.size(); i++) {
            String s = strings.get(i);
            boolean bos = i % 2 == 0;
            boolean eos = i % 3 == 0;
            int[] expected = referenceEncode(s, bos, eos);
            assertArrayEquals(expected, tokenizer.encode(s, bos, eos), () -> "text " + s);
            tokens += expected.length;
        }
        assertEquals(true, tokens > 240 * 5, "strings long enough to exercise merges: " + tokens + " tokens");
    }

    @Test
    void handCheckedCases() {
        // " Once" = 403, " upon" = 407, " a" = 261, " time" = 378 in tok512.bin.
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, tokenizer.encode("Once upon a time", true, false));
        assertArrayEquals(new int[] {1, 403, 407, 261, 378, 2}, tokenizer.encode("Once upon a time", true, true));
        assertArrayEquals(new int[] {1}, tokenizer.encode("", true, false));
        assertArrayEquals(new int[0], tokenizer.encode("", false, false));
        // "😊" is not a piece: its UTF-8 bytes F0 9F 98 8A fall back to ids byte + 3; the space before it is 410 " ".
        int[] ids = tokenizer.encode("café 😊", true, false);
        assertArrayEquals(new int[] {410, 0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x8A + 3}, Arrays.copyOfRange(ids, ids.length - 5, ids.length));
        assertEquals(" c", new String(tokenizer.pieceBytes(ids[1]), StandardCharsets.UTF_8));
        assertEquals("é", new String(tokenizer.pieceBytes(ids[4]), StandardCharsets.UTF_8));
        assertEquals(512, tokenizer.vocabSize());
        assertArrayEquals(new int[] {2, 1}, tokenizer.stopIds());
    }

    @Test
    void decodeInvertsEncode() {
        for (String s : variedStrings()) {
            assertEquals(s, tokenizer.decode(tokenizer.encode(s, true, true)), () -> "round trip of " + s);
        }
        // Without BOS the dummy-prefix space stays, as run.c prints it.
        assertEquals(" Once upon", tokenizer.decode(tokenizer.encode("Once upon", false, false)));
        // A character split over byte tokens comes back whole only when decoded together.
        assertEquals("😊", tokenizer.decode(new int[] {0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x8A + 3}));
    }

    @Test
    void malformedFileIsAUserError(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("tokenizer.bin");
        Files.write(bad, new byte[] {7, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 'a'});
        UserError e = assertThrows(UserError.class, () -> Llama2cTokenizer.load(bad));
        assertEquals(true, e.getMessage().contains(bad.toString()) && e.getMessage().contains("token 0"), e.getMessage());
        assertThrows(UserError.class, () -> Llama2cTokenizer.load(dir.resolve("absent.bin")));
    }
}
