package io.align4j.train;

import ai.djl.ndarray.NDManager;
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
    public static final String OBJECTIVE = "sft";

    private SftTrainer() {}

    /** The settings {@code align4j sft} starts from: {@link TrainConfig}'s, labelled sft, output {@code runs/sft}. */
    public static TrainConfig defaults() {
        TrainConfig c = new TrainConfig();
        c.objective = OBJECTIVE;
        c.output = "runs/sft";
        return c;
    }

    public static TrainingLoop.Result run(TrainConfig c, Consumer<String> log) throws IOException {
        if (!OBJECTIVE.equals(c.objective))
            throw new UserError("objective '" + c.objective + "': align4j sft trains next-token cross-entropy (objective sft); "
                    + "pairwise objectives belong to align4j train");
        if (!c.objectiveParams().isEmpty())
            throw new UserError("sft takes no objective hyper-parameters, got " + c.objectiveParams().keySet());
        RunStart.data(c);
        Path modelPath = RunStart.model(c), tokenizerPath = RunStart.tokenizer(c);
        try (NDManager manager = RunStart.manager(c); ModelLoader.LoadedModel start = RunStart.start(c, manager)) {
            TextTokenizer tok = start.tokenizer();
            List<TokenizedSequence> train = new ArrayList<>(), eval = new ArrayList<>();
            tokenizeSplit(c, tok, train, eval, log);
            RunStart.Policy policy = RunStart.policy(c, RunStart.resumeFrom(c), start.model(), modelPath, tokenizerPath,
                    ModelLoader.tokenizerFiles(modelPath, tokenizerPath), manager, false);
            log.accept(String.format("SFT on %d sequences of %d target tokens (%d held out)", train.size(),
                    train.stream().mapToLong(s -> s.completionIds().length).sum(), eval.size()));
            return TrainingLoop.run(c, policy.trainable(), new SftTask(policy.model(), train, eval, tok.padId(), c.batchSize), manager, log);
        }
    }

    /** Reads, splits (by content hash unless {@code eval_data} is given) and tokenizes the SFT data. */
    static void tokenizeSplit(TrainConfig c, TextTokenizer tok, List<TokenizedSequence> train, List<TokenizedSequence> eval,
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
