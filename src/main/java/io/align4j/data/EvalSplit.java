package io.align4j.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Deterministic train/eval split by content: an example is in the eval set when
 * {@code u(example) < evalFraction}, where {@code u} maps the first 53 bits of the SHA-256 of its
 * content (texts or roles and contents, never its line number) to [0, 1). An example therefore
 * stays on the same side when the file is reordered or grows, and the eval share converges to
 * {@code evalFraction}.
 */
public final class EvalSplit {
    private EvalSplit() {}

    public static boolean isEval(PreferenceExample example, double evalFraction) {
        return unitHash(example.contentKey()) < evalFraction;
    }

    public static boolean isEval(SftExample example, double evalFraction) {
        String key = example.isConversation()
                ? "C\u0000" + PreferenceExample.join(example.promptMessages()) + "\u0001" + PreferenceExample.join(example.completionMessages())
                : "T\u0000" + example.prompt() + "\u0000" + example.completion();
        return unitHash(key) < evalFraction;
    }

    public static boolean isEval(PromptExample example, double evalFraction) {
        return unitHash(example.isConversation() ? "C\u0000" + PreferenceExample.join(example.messages()) : "T\u0000" + example.prompt())
                < evalFraction;
    }

    /** SHA-256 of the UTF-8 key, first 8 bytes big-endian, top 53 bits scaled to [0, 1). */
    static double unitHash(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            long bits = 0;
            for (int i = 0; i < 8; i++) bits = (bits << 8) | (digest[i] & 0xFF);
            return (bits >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
