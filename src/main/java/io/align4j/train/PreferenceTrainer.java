package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.config.OfflineConfig;
import io.align4j.config.PairDataConfig;
import io.align4j.data.ChatTemplate;
import io.align4j.data.DatasetRead;
import io.align4j.data.EvalSplit;
import io.align4j.data.OnError;
import io.align4j.data.PairFilter;
import io.align4j.data.PairTokenizer;
import io.align4j.data.PreferenceDatasets;
import io.align4j.data.PreferenceExample;
import io.align4j.data.PreferenceFormat;
import io.align4j.data.TokenLimits;
import io.align4j.data.TokenizedPair;
import io.align4j.data.Truncation;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.model.io.ModelLoader;
import io.align4j.objective.Objectives;
import io.align4j.objective.PairwiseObjective;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code align4j train}: offline pairwise preference training (DPO and its variants, IPO,
 * SimPO, PMLE, MIO) from a preference file, with reference log-probs computed once and cached.
 */
public final class PreferenceTrainer {
    private PreferenceTrainer() {}

    public static TrainingLoop.Result run(OfflineConfig c, Consumer<String> log) throws IOException {
        Objectives.method(c.objective, Objectives.Kind.OFFLINE_PAIRWISE);
        PairwiseObjective objective = Objectives.pairwise(c.objective, c);
        try (RunStart run = RunStart.open(c, true)) {
            TextTokenizer tok = run.tokenizer();
            List<TokenizedPair> train = new ArrayList<>(), eval = new ArrayList<>();
            tokenizeSplit(c, tok, train, eval, log);

            RunStart.Policy policy = run.policy(true);
            ReferenceCache.Values trainRef = referenceValues(c, policy.reference(), run.manager, train, tok.padId(), log);
            ReferenceCache.Values evalRef = referenceValues(c, policy.reference(), run.manager, eval, tok.padId(), log);
            var task = new PreferenceTask(policy.model(), policy.reference(), objective, train, trainRef, eval, evalRef,
                    tok.padId(), tok.stopIds(), c);
            log.accept(String.format("training %s on %d pairs (%d held out)", objective.name(), train.size(), eval.size()));
            return run.train(policy.trainable(), task, log);
        }
    }

    /** Reads, splits and tokenizes the preference data, reporting what was dropped and why. */
    static void tokenizeSplit(PairDataConfig c, TextTokenizer tok, List<TokenizedPair> train, List<TokenizedPair> eval,
                              Consumer<String> log) {
        PreferenceFormat format = PreferenceFormat.parse(c.format);
        OnError onError = OnError.parse(c.onError);
        PairTokenizer pairs = new PairTokenizer(tok, ChatTemplate.forTokenizer(tok),
                new TokenLimits(c.maxLength, c.maxPromptLength, Truncation.parse(c.truncation)));
        PairFilter filter = pairFilter(c);
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(Path.of(c.data), format, onError, filter);
        log.accept(read.summary());
        if (c.evalData != null) {
            read.examples().forEach(e -> pairs.tokenize(e).ifPresent(train::add));
            DatasetRead<PreferenceExample> heldOut = PreferenceDatasets.read(Path.of(c.evalData), format, onError, filter);
            heldOut.examples().forEach(e -> pairs.tokenize(e).ifPresent(eval::add));
        } else {
            for (PreferenceExample e : read.examples())
                pairs.tokenize(e).ifPresent((EvalSplit.isEval(e, c.evalFraction) ? eval : train)::add);
        }
        log.accept("tokenized: " + pairs.stats());
    }

    /** The pairs the config's {@code drop_empty_responses}, {@code split} and {@code min_score_gap} keep. */
    static PairFilter pairFilter(PairDataConfig c) {
        return new PairFilter(c.dropEmptyResponses, c.split, c.minScoreGap);
    }

    /** What computes reference log-probs of pairs in batches of {@code batchSize}: here, or on a cluster. */
    @FunctionalInterface
    public interface ReferenceScorer {
        ReferenceCache.Values score(List<TokenizedPair> pairs, int padId, int batchSize);
    }

    /**
     * Fills the reference cache for the run {@code c} describes, its training and held-out pairs,
     * with {@code scorer}'s log-probs (a cluster's, say), so the training run then reads them
     * instead of running π_0; returns the cache keys. The scorer must give what
     * {@link PreferenceTask#referenceLogProbs} gives: batch b of the pairs is the same rows anywhere.
     */
    public static List<String> precomputeReference(OfflineConfig c, ReferenceScorer scorer, Consumer<String> log) throws IOException {
        if (!c.useReferenceCache) throw new UserError("use_reference_cache is false: the run would not read precomputed log-probs");
        try (RunStart run = RunStart.open(c, true)) {
            TextTokenizer tok = run.tokenizer();
            List<TokenizedPair> train = new ArrayList<>(), eval = new ArrayList<>();
            tokenizeSplit(c, tok, train, eval, log);
            CausalLM reference = run.policy(true).reference();
            ReferenceCache cache = new ReferenceCache(c.referenceCache != null ? Path.of(c.referenceCache) : ReferenceCache.defaultFolder());
            List<String> keys = new ArrayList<>();
            for (List<TokenizedPair> pairs : List.of(train, eval)) {
                String key = ReferenceCache.key(reference.parameters(), pairs);
                if (cache.load(key, pairs.size()).isEmpty()) cache.store(key, scorer.score(pairs, tok.padId(), c.batchSize));
                log.accept("reference log-probs of " + pairs.size() + " pairs in the cache (" + key.substring(0, 12) + ")");
                keys.add(key);
            }
            return keys;
        }
    }

    static ReferenceCache.Values referenceValues(OfflineConfig c, CausalLM reference, NDManager manager,
                                                         List<TokenizedPair> pairs, int padId, Consumer<String> log)
            throws IOException {
        if (!c.useReferenceCache) return null; // the task runs the reference inside each step
        ReferenceCache cache = new ReferenceCache(c.referenceCache != null ? Path.of(c.referenceCache) : ReferenceCache.defaultFolder());
        String key = ReferenceCache.key(reference.parameters(), pairs);
        Optional<ReferenceCache.Values> hit = cache.load(key, pairs.size());
        if (hit.isPresent()) {
            log.accept("reference log-probs of " + pairs.size() + " pairs from the cache (" + key.substring(0, 12) + ")");
            return hit.get();
        }
        ReferenceCache.Values values = PreferenceTask.referenceLogProbs(reference, manager, pairs, padId, c.batchSize);
        cache.store(key, values);
        return values;
    }
}
