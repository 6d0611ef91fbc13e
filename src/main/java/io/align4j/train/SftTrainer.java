package io.align4j.train;

import io.align4j.config.RunConfig;
import io.align4j.config.SftConfig;
import io.align4j.data.ChatTemplate;
import io.align4j.data.DatasetRead;
import io.align4j.data.EvalSplit;
import io.align4j.data.OnError;
import io.align4j.data.PairTokenizer;
import io.align4j.data.SftDatasets;
import io.align4j.data.SftExample;
import io.align4j.data.TokenLimits;
import io.align4j.data.TokenizedSequence;
import io.align4j.data.Truncation;
import io.align4j.model.CausalLM;
import io.align4j.model.io.ModelLoader;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code align4j sft}: supervised fine-tuning ({@link SftTask}) on the shared {@link TrainingLoop}.
 * Prompt/completion and conversation data train on the completion only; plain text (a text file
 * or {@code {"text"}} records) trains on every token, each text cut into blocks of
 * {@code max_length} tokens.
 */
public final class SftTrainer {
    /** The objective label of SFT runs, in the config, progress bar and trainer state. */
    public static final String OBJECTIVE = SftConfig.OBJECTIVE;

    private SftTrainer() {}

    public static TrainingLoop.Result run(SftConfig c, Consumer<String> log) throws IOException {
        if (!OBJECTIVE.equals(c.objective))
            throw new UserError("objective '" + c.objective + "': align4j sft trains next-token cross-entropy (objective sft); "
                    + "pairwise objectives belong to align4j train");
        try (RunStart run = RunStart.open(c, true)) {
            TextTokenizer tok = run.tokenizer();
            List<TokenizedSequence> train = new ArrayList<>(), eval = new ArrayList<>();
            tokenizeSplit(c, tok, train, eval, log);
            RunStart.Policy policy = run.policy(false);
            log.accept(String.format("SFT on %d sequences of %d target tokens (%d held out)", train.size(),
                    train.stream().mapToLong(s -> s.completionIds().length).sum(), eval.size()));
            return run.train(policy.trainable(), new SftTask(policy.model(), train, eval, tok.padId(), c.batchSize), log);
        }
    }

    /** Reads, splits (by content hash unless {@code eval_data} is given) and tokenizes the SFT data. */
    static void tokenizeSplit(RunConfig c, TextTokenizer tok, List<TokenizedSequence> train, List<TokenizedSequence> eval,
                              Consumer<String> log) {
        if (c.maxLength < 2) throw new UserError("max_length must be at least 2 for SFT, got " + c.maxLength);
        OnError onError = OnError.parse(c.onError);
        PairTokenizer sequences = new PairTokenizer(tok, ChatTemplate.forTokenizer(tok),
                new TokenLimits(c.maxLength, c.maxPromptLength, Truncation.parse(c.truncation)));
        DatasetRead<SftExample> read = SftDatasets.read(RunStart.data(c), onError);
        log.accept(read.summary());
        for (SftExample e : read.examples()) {
            List<TokenizedSequence> side = c.evalData == null && EvalSplit.isEval(e, c.evalFraction) ? eval : train;
            add(e, tok, sequences, c.maxLength, side);
        }
        if (c.evalData != null) {
            DatasetRead<SftExample> heldOut = SftDatasets.read(Path.of(c.evalData), onError);
            heldOut.examples().forEach(e -> add(e, tok, sequences, c.maxLength, eval));
        }
        log.accept("tokenized: " + sequences.stats());
    }

    private static void add(SftExample e, TextTokenizer tok, PairTokenizer sequences, int maxLength, List<TokenizedSequence> to) {
        if (!e.isConversation() && e.prompt().isEmpty()) to.addAll(blocks(tok.encode(e.completion(), true, true), maxLength, e.source()));
        else sequences.tokenize(e).ifPresent(to::add);
    }

    /**
     * Blocks of at most {@code maxLength} tokens covering {@code ids}, each overlapping the
     * previous by one token, so every token but the first is a target exactly once: block
     * {@code k} is {@code ids[k(L−1), k(L−1) + L)}, its first token the prompt.
     */
    static List<TokenizedSequence> blocks(int[] ids, int maxLength, String source) {
        List<TokenizedSequence> out = new ArrayList<>();
        for (int start = 0; start + 1 < ids.length; start += maxLength - 1) {
            int end = Math.min(ids.length, start + maxLength);
            out.add(new TokenizedSequence(new int[] {ids[start]}, Arrays.copyOfRange(ids, start + 1, end), false,
                    end < ids.length, source));
        }
        return out;
    }
}
