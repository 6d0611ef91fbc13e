package io.align4j.task;

/**
 * Cuts a sampled story opening to a prompt. Given a target length c (characters), the prompt
 * ends after the last sentence end ({@code .}, {@code !} or {@code ?}, closing quote kept) in the
 * window (c − 20, c] when there is one, else at the last word boundary at or before c (trailing
 * spaces dropped, so the response starts with its own space as the model's pieces do). The
 * sampled text's own end is never a boundary: the sample stops mid-word as often as not.
 */
public final class Openings {
    /** How far back from the target length a sentence end is still preferred to a word boundary. */
    static final int SENTENCE_WINDOW = 20;

    private Openings() {}

    /** The prompt cut from {@code text} near {@code targetChars}; empty when no boundary fits. */
    public static String cut(String text, int targetChars) {
        int c = Math.min(targetChars, text.length() - 1);
        for (int end = c; end > Math.max(0, c - SENTENCE_WINDOW); end--) {
            if (isSentenceEnd(text, end)) return text.substring(0, end);
        }
        for (int end = c; end > 0; end--) {
            boolean boundary = text.charAt(end) == ' ' || text.charAt(end) == '\n';
            if (boundary && text.charAt(end - 1) != ' ') return text.substring(0, end).strip();
        }
        return "";
    }

    /** Whether text[0, end) ends a sentence: a terminal mark (and any closing quote) followed by a space. */
    private static boolean isSentenceEnd(String text, int end) {
        if (text.charAt(end) != ' ' && text.charAt(end) != '\n') return false;
        int k = end - 1;
        if (k >= 0 && text.charAt(k) == '"') k--;
        return k >= 1 && (text.charAt(k) == '.' || text.charAt(k) == '!' || text.charAt(k) == '?');
    }
}
