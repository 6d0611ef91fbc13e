package io.align4j.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.ByteArrayOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The smallest decoder of llama2.c's tokenizer.bin, as run.c's decode(): for checking text in tests. */
final class Tok512Decoder {
    private static final Pattern BYTE = Pattern.compile("<0x([0-9A-F]{2})>");
    private final byte[][] pieces;

    Tok512Decoder(Path bin, int vocab) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        b.getInt(); // max_token_length
        pieces = new byte[vocab][];
        for (int i = 0; i < vocab; i++) {
            b.getFloat(); // score
            pieces[i] = new byte[b.getInt()];
            b.get(pieces[i]);
        }
    }

    /** Text of tokens that followed BOS; the leading space of the first piece is dropped as run.c does. */
    String decodeAfterBos(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = 1;
        for (int t : tokens) {
            byte[] piece = pieces[t];
            int start = prev == 1 && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
            Matcher m = BYTE.matcher(new String(piece, StandardCharsets.UTF_8));
            if (m.matches()) out.write(Integer.parseInt(m.group(1), 16));
            else out.write(piece, start, piece.length - start);
            prev = t;
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
