package io.align4j.tokenizer;

import io.align4j.util.UserError;
import java.nio.file.Path;

/**
 * The stand-in for a model folder without tokenizer files: everything that works on token ids
 * ({@code generate --prompt-ids}, {@code score} with id arrays, training on pre-tokenised data)
 * runs, with the special ids of {@code config.json}; anything that needs text fails with one
 * line saying the tokenizer is missing.
 */
public record IdsOnlyTokenizer(Path model, int vocabSize, int bosId, int eosId) implements TextTokenizer {

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) { throw missing(); }

    @Override
    public String decode(int[] ids) { throw missing(); }

    private UserError missing() {
        return new UserError(model + " has no tokenizer (tokenizer.json or tokenizer.bin), and this needs text: pass --tokenizer, "
                + "or give token ids (generate --prompt-ids ... --ids, score with id arrays)");
    }
}
