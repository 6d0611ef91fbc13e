package io.align4j.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.align4j.generate.BatchSampling;
import io.align4j.generate.Generation;
import io.align4j.model.CausalLM;
import io.align4j.tokenizer.TextTokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Builds {@code tinystories-happy} from π_0 and a seed alone:
 * <ol>
 *   <li>story openings sampled from BOS, cut by {@link Openings} at a target length drawn
 *       uniformly in [minPromptChars, maxPromptChars]; the first {@code evalPrompts} distinct
 *       ones are held out, the next {@code trainPrompts} distinct ones train;</li>
 *   <li>for pair i, two responses a, b ~ π_0(·|x_i) of exactly L tokens (BOS and EOS
 *       suppressed), their ln π_0 from the sampler (under the unsuppressed model, i.e. the true
 *       π_0; the suppressed mass, measured at about 3·10⁻⁴ nats per 48-token response, is
 *       ignored), their gold rewards, and the label a ≻ b drawn with probability
 *       σ(γ[ln π*(a) − ln π*(b)]); a pair whose two texts are equal is skipped, since
 *       preference readers reject it;</li>
 *   <li>M responses of π_0 per held-out prompt, the reference pool from which the evaluation
 *       estimates ln Z(x) and expectations under π*.</li>
 * </ol>
 * Files: {@code prompts_train.jsonl} and {@code prompts_eval.jsonl} ({@code {"prompt"}}),
 * {@code pairs.jsonl} (standard {@code {"prompt","chosen","rejected"}} plus the token ids,
 * ln π_0, rewards and label probability of both responses), {@code reference_pool.jsonl} and
 * {@code task.json} (every setting and the label statistics). No clock time is written, so
 * the same seed gives identical files.
 */
public final class TaskBuilder {
    /** Written last, atomically: a folder with this file holds a complete task. */
    public static final String TASK_FILE = "task.json";
    public static final String TRAIN_PROMPTS = "prompts_train.jsonl";
    static final String EVAL_PROMPTS = "prompts_eval.jsonl";
    public static final String PAIRS = "pairs.jsonl";
    static final String REFERENCE_POOL = "reference_pool.jsonl";

    private static final long PROMPT_STREAM = 1, PAIR_STREAM = 2, LABEL_STREAM = 3, POOL_STREAM = 4, CUT_STREAM = 5;

    private TaskBuilder() {}

    /**
     * What the build measured on its own pairs.
     *
     * @param agreeWithReward share of pairs (with different rewards) whose chosen response has the higher reward
     * @param agreeWithReference share of pairs whose chosen response has the higher ln π_0
     * @param meanLabelConfidence mean of max(P, 1 − P), how deterministic the labeller is
     * @param rmsRefLogProbDiff rms of ln π_0(a) − ln π_0(b) over the pairs
     * @param rmsRewardDiffOverTau rms of (r(a) − r(b))/τ
     * @param skippedIdenticalPairs pairs drawn again because both responses had the same text
     */
    public record Summary(int pairs, int trainPrompts, int evalPrompts, double agreeWithReward, double agreeWithReference,
                          double meanLabelConfidence, double rmsRefLogProbDiff, double rmsRewardDiffOverTau,
                          double meanReward, int skippedIdenticalPairs) {}

    /**
     * Builds the task into {@code out} (created if needed).
     *
     * @param modelName what {@code task.json} records as the model (the evaluation's default reference)
     */
    public static Summary build(CausalLM model, TextTokenizer tokenizer, String modelName, TaskSettings settings,
                                int pairs, Path out) {
        if (pairs < 1) throw new IllegalArgumentException("pairs must be >= 1, was " + pairs);
        KnownTarget target = new KnownTarget(tokenizer, new HappinessJudge(), settings.tau(), settings.gamma());
        int[] suppress = {tokenizer.bosId(), tokenizer.eosId()};
        List<String> prompts = sampleOpenings(model, tokenizer, settings, suppress);
        List<String> evalPrompts = prompts.subList(0, settings.evalPrompts());
        List<String> trainPrompts = prompts.subList(settings.evalPrompts(), prompts.size());
        try {
            Files.createDirectories(out);
            writePrompts(out.resolve(EVAL_PROMPTS), evalPrompts);
            writePrompts(out.resolve(TRAIN_PROMPTS), trainPrompts);
            PairStats stats = writePairs(model, tokenizer, target, settings, trainPrompts, pairs, suppress, out.resolve(PAIRS));
            writePool(model, tokenizer, target, settings, evalPrompts, suppress, out.resolve(REFERENCE_POOL));
            Summary summary = stats.summary(pairs, trainPrompts.size(), evalPrompts.size());
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("task", TaskSettings.NAME);
            meta.put("model", modelName);
            meta.put("pairs", pairs);
            meta.put("settings", settings);
            meta.put("labels", summary);
            meta.put("files", Map.of("train_prompts", TRAIN_PROMPTS, "eval_prompts", EVAL_PROMPTS, "pairs", PAIRS,
                    "reference_pool", REFERENCE_POOL));
            byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    .writeValueAsBytes(meta);
            io.align4j.util.AtomicFiles.write(out.resolve(TASK_FILE), channel -> io.align4j.util.AtomicFiles.writeFully(channel, java.nio.ByteBuffer.wrap(json)));
            return summary;
        } catch (IOException e) {
            throw new UncheckedIOException("writing task to " + out, e);
        }
    }

    /** The label statistics a complete task folder's {@value #TASK_FILE} records. */
    public static Summary readSummary(Path dir) {
        try {
            return new ObjectMapper().treeToValue(new ObjectMapper().readTree(dir.resolve(TASK_FILE).toFile()).get("labels"), Summary.class);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + dir.resolve(TASK_FILE), e);
        }
    }

    /** evalPrompts + trainPrompts distinct openings, in the order they were sampled. */
    static List<String> sampleOpenings(CausalLM model, TextTokenizer tokenizer, TaskSettings s, int[] suppress) {
        return sampleOpenings(model, tokenizer, s.seed(), s.evalPrompts() + s.trainPrompts(), s.openingTokens(), s.minPromptChars(),
                s.maxPromptChars(), s.batch(), suppress, prompt -> true);
    }

    /**
     * {@code wanted} distinct openings that {@code keep} accepts, in the order they were sampled:
     * {@code openingTokens} tokens from BOS, cut by {@link Openings} at a length drawn uniformly in
     * [minChars, maxChars]; every draw derives from {@code seed}.
     */
    static List<String> sampleOpenings(CausalLM model, TextTokenizer tokenizer, long seed, int wanted, int openingTokens, int minChars,
                                       int maxChars, int batch, int[] suppress, java.util.function.Predicate<String> keep) {
        Set<String> distinct = new LinkedHashSet<>();
        SplittableRandom lengths = new SplittableRandom(BatchSampling.mix(seed, CUT_STREAM));
        int[] bos = {tokenizer.bosId()};
        for (int round = 0; distinct.size() < wanted; round++) {
            if (round > 100) throw new IllegalStateException("only " + distinct.size() + " distinct openings after 100 rounds");
            int rows = (int) Math.ceil((wanted - distinct.size()) * 1.2) + 4;
            List<Generation> openings = BatchSampling.sample(model, Collections.nCopies(rows, bos), openingTokens, suppress,
                    BatchSampling.mix(BatchSampling.mix(seed, PROMPT_STREAM), round), batch);
            for (Generation g : openings) {
                int target = minChars + lengths.nextInt(maxChars - minChars + 1);
                String prompt = Openings.cut(tokenizer.decode(concat(bos, g.tokens())), target);
                if (!prompt.isBlank() && keep.test(prompt) && distinct.size() < wanted) distinct.add(prompt);
            }
        }
        return new ArrayList<>(distinct);
    }

    private static PairStats writePairs(CausalLM model, TextTokenizer tokenizer, KnownTarget target, TaskSettings s,
                                        List<String> trainPrompts, int pairs, int[] suppress, Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        SplittableRandom labels = new SplittableRandom(BatchSampling.mix(s.seed(), LABEL_STREAM));
        PairStats stats = new PairStats(s.tau());
        int pairsPerCall = Math.max(1, s.batch() / 2);
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            int written = 0;
            for (int call = 0, next = 0; written < pairs; call++) {
                int count = Math.min(pairsPerCall, pairs - written);
                List<int[]> rows = new ArrayList<>();
                List<String> texts = new ArrayList<>();
                for (int i = 0; i < count; i++, next++) {
                    String prompt = trainPrompts.get(next % trainPrompts.size());
                    int[] ids = tokenizer.encode(prompt, true, false);
                    rows.add(ids);
                    rows.add(ids);
                    texts.add(prompt);
                }
                List<Generation> g = BatchSampling.sample(model, rows, s.responseTokens(), suppress,
                        BatchSampling.mix(BatchSampling.mix(s.seed(), PAIR_STREAM), call), rows.size());
                for (int i = 0; i < count; i++) {
                    Generation a = g.get(2 * i), b = g.get(2 * i + 1);
                    String textA = tokenizer.decode(a.tokens()), textB = tokenizer.decode(b.tokens());
                    if (textA.equals(textB)) {
                        stats.skipped++;
                        continue;
                    }
                    double ra = target.judge().score(textA), rb = target.judge().score(textB);
                    double la = a.sequenceLogProb(), lb = b.sequenceLogProb();
                    double pA = target.preference(la, ra, lb, rb);
                    boolean aWins = labels.nextDouble() < pA;
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("prompt", texts.get(i));
                    rec.put("chosen", aWins ? textA : textB);
                    rec.put("rejected", aWins ? textB : textA);
                    rec.put("chosen_ids", aWins ? a.tokens() : b.tokens());
                    rec.put("rejected_ids", aWins ? b.tokens() : a.tokens());
                    rec.put("chosen_logp_ref", aWins ? la : lb);
                    rec.put("rejected_logp_ref", aWins ? lb : la);
                    rec.put("chosen_reward", aWins ? ra : rb);
                    rec.put("rejected_reward", aWins ? rb : ra);
                    rec.put("p_chosen", aWins ? pA : 1 - pA);
                    w.write(json.writeValueAsString(rec));
                    w.write('\n');
                    stats.add(aWins ? la : lb, aWins ? ra : rb, aWins ? lb : la, aWins ? rb : ra, pA);
                    written++;
                }
            }
        }
        return stats;
    }

    private static void writePool(CausalLM model, TextTokenizer tokenizer, KnownTarget target, TaskSettings s,
                                  List<String> evalPrompts, int[] suppress, Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        int m = s.referenceSamples();
        List<int[]> rows = new ArrayList<>();
        for (String p : evalPrompts) {
            int[] ids = tokenizer.encode(p, true, false);
            for (int j = 0; j < m; j++) rows.add(ids);
        }
        List<Generation> g = BatchSampling.sample(model, rows, s.responseTokens(), suppress,
                BatchSampling.mix(s.seed(), POOL_STREAM), s.batch());
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int p = 0; p < evalPrompts.size(); p++) {
                int[][] responses = new int[m][];
                double[] rewards = new double[m];
                for (int j = 0; j < m; j++) {
                    responses[j] = g.get(p * m + j).tokens();
                    rewards[j] = target.reward(responses[j]);
                }
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("prompt_index", p);
                rec.put("responses", responses);
                rec.put("rewards", rewards);
                w.write(json.writeValueAsString(rec));
                w.write('\n');
            }
        }
    }

    static void writePrompts(Path file, List<String> prompts) throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String p : prompts) {
                w.write(json.writeValueAsString(Map.of("prompt", p)));
                w.write('\n');
            }
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Running label statistics of the written pairs. */
    private static final class PairStats {
        final double tau;
        int n, withRewardDiff, skipped;
        double agreeReward, agreeRef, confidence, sumSqRef, sumSqReward, rewardSum;

        PairStats(double tau) { this.tau = tau; }

        void add(double chosenRef, double chosenReward, double rejectedRef, double rejectedReward, double pA) {
            n++;
            if (chosenReward != rejectedReward) {
                withRewardDiff++;
                if (chosenReward > rejectedReward) agreeReward++;
            }
            if (chosenRef > rejectedRef) agreeRef++;
            confidence += Math.max(pA, 1 - pA);
            sumSqRef += (chosenRef - rejectedRef) * (chosenRef - rejectedRef);
            double dr = (chosenReward - rejectedReward) / tau;
            sumSqReward += dr * dr;
            rewardSum += chosenReward + rejectedReward;
        }

        Summary summary(int pairs, int train, int eval) {
            return new Summary(pairs, train, eval, withRewardDiff == 0 ? Double.NaN : agreeReward / withRewardDiff, agreeRef / n,
                    confidence / n, Math.sqrt(sumSqRef / n), Math.sqrt(sumSqReward / n), rewardSum / (2.0 * n), skipped);
        }
    }
}
