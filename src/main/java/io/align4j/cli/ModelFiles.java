package io.align4j.cli;

import io.align4j.util.UserError;

/** Parsing helpers shared by the model commands. */
final class ModelFiles {
    private ModelFiles() {}

    /** Parses "1 45 67" or "1,45,67" into ids, naming the flag on error. */
    static int[] parseIds(String text, String flag) {
        String[] parts = text.trim().split("[\\s,]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new UserError(flag + ": \"" + parts[i] + "\" is not a token id");
            }
        }
        return ids;
    }
}
