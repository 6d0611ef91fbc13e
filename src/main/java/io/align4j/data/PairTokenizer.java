package io.align4j.data;

import io.align4j.tokenizer.TextTokenizer;
import java.util.Arrays;
import java.util.Optional;

/**
 * Turns examples into token ids: render (chat template for conversations), split at the
 * prompt/response boundary as the whole text tokenizes ({@link BoundarySplit}), append EOS to
 * each response (unless the template already ended it with EOS), then apply the
 * {@link TokenLimits}:
 * <ol>
 *   <li>a prompt over {@code maxPromptLength} is cut to it, keeping its start or end;</li>
 *   <li>an example whose prompt alone fills {@code maxLength} (no room for one response token)
 *       is dropped;</li>
 *   <li>a response longer than {@code maxLength - prompt} is cut, keeping its start.</li>
 * </ol>
 * Counts of drops, truncations and boundary merges accumulate in {@link #stats()}. Not thread-safe.
 */
public final class PairTokenizer {
    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final TokenLimits limits;
    private final Stats stats = new Stats();

    public PairTokenizer(TextTokenizer tokenizer, ChatTemplate template, TokenLimits limits) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.limits = limits;
    }

    /** Counters over every example tokenized so far. */
    public static final class Stats {
        private int examples;
        private int dropped;
        private int promptsTruncated;
        private int responsesTruncated;
        private int boundaryMerges;

        public int examples() { return examples; }

        /** Examples dropped because the prompt alone filled max_length. */
        public int dropped() { return dropped; }

        public int promptsTruncated() { return promptsTruncated; }

        /** Examples with at least one response cut to max_length. */
        public int responsesTruncated() { return responsesTruncated; }

        /** Examples where a token crossed the prompt/response boundary. */
        public int boundaryMerges() { return boundaryMerges; }

        @Override
        public String toString() {
            return examples + " examples: " + dropped + " dropped (prompt fills max_length), " + promptsTruncated
                    + " prompts truncated, " + responsesTruncated + " with a response truncated, " + boundaryMerges
                    + " with a token across the prompt/response boundary";
        }
    }

    public Stats stats() { return stats; }

    /** The pair's ids, or empty when the example is dropped. */
    public Optional<TokenizedPair> tokenize(PreferenceExample example) {
        PreferenceExample.TextTriple text = example.render(template);
        return tokenize(text.prompt(), new String[] {text.chosen(), text.rejected()})
                .map(ids -> new TokenizedPair(ids.prompt, ids.responses[0], ids.responses[1], ids.merged, ids.truncated,
                        example.source()));
    }

    /** The SFT example's ids, or empty when dropped. */
    public Optional<TokenizedSequence> tokenize(SftExample example) {
        String[] text = example.render(template);
        return tokenize(text[0], new String[] {text[1]})
                .map(ids -> new TokenizedSequence(ids.prompt, ids.responses[0], ids.merged, ids.truncated, example.source()));
    }

    private record Ids(int[] prompt, int[][] responses, boolean merged, boolean truncated) {}

    private Optional<Ids> tokenize(String prompt, String[] responses) {
        stats.examples++;
        BoundarySplit split = BoundarySplit.of(tokenizer, true, prompt, responses);
        if (split.merged()) stats.boundaryMerges++;
        int eos = tokenizer.eosId();
        int[][] out = new int[responses.length][];
        for (int i = 0; i < responses.length; i++) {
            int[] r = split.responseIds()[i];
            boolean endsWithEos = r.length > 0 && r[r.length - 1] == eos;
            out[i] = eos < 0 || endsWithEos ? r : append(r, eos);
        }
        int[] promptIds = split.promptIds();
        boolean truncated = false;
        if (limits.maxPromptLength() > 0 && promptIds.length > limits.maxPromptLength()) {
            promptIds = cutPrompt(promptIds, limits.maxPromptLength());
            stats.promptsTruncated++;
            truncated = true;
        }
        if (limits.maxLength() > 0) {
            if (promptIds.length >= limits.maxLength()) {
                stats.dropped++;
                return Optional.empty();
            }
            int room = limits.maxLength() - promptIds.length;
            boolean cut = false;
            for (int i = 0; i < out.length; i++) {
                if (out[i].length > room) {
                    out[i] = Arrays.copyOf(out[i], room);
                    cut = true;
                }
            }
            if (cut) {
                stats.responsesTruncated++;
                truncated = true;
            }
        }
        return Optional.of(new Ids(promptIds, out, split.merged(), truncated));
    }

    private int[] cutPrompt(int[] ids, int length) {
        if (limits.truncation() == Truncation.KEEP_START) return Arrays.copyOf(ids, length);
        boolean bos = ids.length > 0 && ids[0] == tokenizer.bosId() && length > 1;
        int[] out = new int[length];
        int from = bos ? 1 : 0;
        if (bos) out[0] = ids[0];
        System.arraycopy(ids, ids.length - (length - from), out, from, length - from);
        return out;
    }

    private static int[] append(int[] ids, int id) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = id;
        return out;
    }
}
