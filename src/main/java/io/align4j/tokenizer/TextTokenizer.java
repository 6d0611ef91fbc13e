package io.align4j.tokenizer;

/** Text to token ids and back, with the special ids a causal LM needs. */
public interface TextTokenizer {

    /** Token ids of {@code text}; BOS first when {@code addBos}, EOS last when {@code addEos}. */
    int[] encode(String text, boolean addBos, boolean addEos);

    /** Text of a sequence of ids (special tokens dropped, byte-fallback tokens merged to UTF-8). */
    String decode(int[] ids);

    int vocabSize();

    /** Beginning-of-sequence id, or -1 if the vocabulary has none. */
    int bosId();

    /** End-of-sequence id, or -1 if the vocabulary has none. */
    int eosId();

    /**
     * Ids that end a generated sequence: EOS, and for llama2.c vocabularies also BOS, which is
     * what those models emit to start the next story (llama2.c's run.c stops on it).
     */
    default int[] stopIds() { return eosId() >= 0 ? new int[] {eosId()} : new int[0]; }

    /** Id used to pad batches: the tokenizer's pad id, else EOS, else 0. */
    default int padId() { return eosId() >= 0 ? eosId() : 0; }
}
