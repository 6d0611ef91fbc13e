package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.config.OfflineConfig;
import io.align4j.data.ChatTemplate;
import io.align4j.data.DatasetRead;
import io.align4j.data.EvalSplit;
import io.align4j.data.OnError;
import io.align4j.data.PairTokenizer;
import io.align4j.data.PreferenceExample;
import io.align4j.data.TokenLimits;
import io.align4j.data.TokenizedPair;
import io.align4j.data.Truncation;
import io.align4j.data.UnpairedDatasets;
import io.align4j.data.UnpairedExample;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.model.io.ModelLoader;
import io.align4j.objective.Kto;
import io.align4j.objective.Objectives;
import io.align4j.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code align4j train --objective kto}: KTO on unpaired data ({@code {prompt, completion, label}}),
 * or on a preference file unpaired as TRL does (every chosen response desirable, every rejected
 * one undesirable).
 *
 * <p>Each example's mismatched completion, for the KL reference point, is that of the example
 * before it within its group of {@code batch_size} consecutive examples (the first takes the
 * last's), TRL's {@code _get_kl_dataset} applied to the data in file order; the grouping is fixed
 * before training, so the reference log-probs of the mismatched pairs are computed once and
 * cached like any others.
 */
public final class KtoTrainer {
    private KtoTrainer() {}

    /** Tokenized examples with their labels, in the same order. */
    record Tokenized(List<TokenizedPair> sequences, boolean[] desirable) {}

    public static TrainingLoop.Result run(OfflineConfig c, Consumer<String> log) throws IOException {
        Objectives.method(c.objective, Objectives.Kind.UNPAIRED);
        Kto objective = (Kto) Objectives.create(Kto.NAME, c);
        try (RunStart run = RunStart.open(c, true)) {
            NDManager manager = run.manager;
            TextTokenizer tok = run.tokenizer();
            OnError onError = OnError.parse(c.onError);
            DatasetRead<UnpairedExample> read = UnpairedDatasets.read(Path.of(c.data), onError, c.dropEmptyResponses);
            log.accept(read.summary());
            List<UnpairedExample> trainExamples = new ArrayList<>(), evalExamples = new ArrayList<>();
            if (c.evalData != null) {
                trainExamples.addAll(read.examples());
                evalExamples.addAll(UnpairedDatasets.read(Path.of(c.evalData), onError, c.dropEmptyResponses).examples());
            } else {
                for (UnpairedExample e : read.examples()) (EvalSplit.isEval(e.example(), c.evalFraction) ? evalExamples : trainExamples).add(e);
            }
            logBalance(trainExamples, objective, log);
            ChatTemplate template = ChatTemplate.forTokenizer(tok);
            PairTokenizer pairs = new PairTokenizer(tok, template, new TokenLimits(c.maxLength, c.maxPromptLength, Truncation.parse(c.truncation)));
            Tokenized train = tokenize(trainExamples, c.batchSize, template, pairs);
            Tokenized eval = tokenize(evalExamples, c.batchSize, template, pairs);
            log.accept("tokenized: " + pairs.stats());

            RunStart.Policy policy = run.policy(true);
            ReferenceCache.Values trainRef = PreferenceTrainer.referenceValues(c, policy.reference(), manager, train.sequences(), tok.padId(), log);
            ReferenceCache.Values evalRef = PreferenceTrainer.referenceValues(c, policy.reference(), manager, eval.sequences(), tok.padId(), log);
            var task = new KtoTask(policy.model(), policy.reference(), objective, train.sequences(), train.desirable(), trainRef,
                    eval.sequences(), eval.desirable(), evalRef, tok.padId(), c);
            log.accept(String.format("training kto on %d examples (%d held out)", train.sequences().size(), eval.sequences().size()));
            return run.train(policy.trainable(), task, log);
        }
    }

    /**
     * Each example as (prompt, its completion, the mismatched completion), tokenized as one
     * pair so both completions follow the prompt exactly as the whole texts tokenize; examples
     * whose prompt fills {@code max_length} are dropped with their label.
     */
    static Tokenized tokenize(List<UnpairedExample> examples, int groupSize, ChatTemplate template, PairTokenizer tokenizer) {
        List<TokenizedPair> sequences = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        int[] partner = mismatchedPartners(examples.size(), groupSize);
        for (int i = 0; i < examples.size(); i++) {
            String[] own = examples.get(i).example().render(template);
            String mismatched = examples.get(partner[i]).example().render(template)[1];
            int index = i;
            tokenizer.tokenize(PreferenceExample.text(own[0], own[1], mismatched, examples.get(i).source())).ifPresent(t -> {
                sequences.add(t);
                labels.add(examples.get(index).desirable());
            });
        }
        boolean[] desirable = new boolean[labels.size()];
        for (int i = 0; i < desirable.length; i++) desirable[i] = labels.get(i);
        return new Tokenized(sequences, desirable);
    }

    /**
     * For each of {@code n} examples, the one whose completion it is paired with for the KL
     * estimate: the previous example within its group of {@code groupSize} consecutive ones, the
     * group's first taking its last (TRL's +1 rotation). A group of one is paired with itself.
     */
    static int[] mismatchedPartners(int n, int groupSize) {
        int[] partner = new int[n];
        for (int start = 0; start < n; start += groupSize) {
            int end = Math.min(n, start + groupSize);
            for (int i = start; i < end; i++) partner[i] = i == start ? end - 1 : i - 1;
        }
        return partner;
    }

    /** Counts of each label and TRL's advice: λ_D n_D / (λ_U n_U) within [1, 4/3]. */
    private static void logBalance(List<UnpairedExample> examples, Kto kto, Consumer<String> log) {
        long desirable = examples.stream().filter(UnpairedExample::desirable).count();
        long undesirable = examples.size() - desirable;
        double ratio = kto.desirableWeight() * desirable / (kto.undesirableWeight() * Math.max(1, undesirable));
        log.accept(String.format("%d desirable, %d undesirable; desirable_weight × %d / (undesirable_weight × %d) = %.3g%s",
                desirable, undesirable, desirable, undesirable, ratio,
                ratio < 1 || ratio > 4.0 / 3 ? " (TRL advises weights that put this in [1, 4/3])" : ""));
    }
}
