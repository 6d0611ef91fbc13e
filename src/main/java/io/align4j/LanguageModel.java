package io.align4j;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.data.BoundarySplit;
import io.align4j.generate.Generation;
import io.align4j.generate.Sampler;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.Compute;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.ModelLoader;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.DataPaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A causal language model with its tokenizer, ready to sample from, score with and save: the
 * Java counterpart of {@code align4j generate}, {@code score} and the model a training run
 * writes. Every family of {@code io.align4j.model.family} loads, from a Hugging Face folder, a
 * llama2.c {@code .bin} file or a PEFT adapter folder (applied to its base). Closing it frees
 * its tensors.
 *
 * <pre>{@code
 * try (LanguageModel lm = LanguageModel.load(Path.of("SmolLM2-135M"))) {
 *     List<String> stories = lm.generate(List.of("Once upon a time"), LanguageModel.sampling(0.8, 64, 7));
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
    /** Rows scored per forward pass by {@link #score}. */
    private static final int SCORE_BATCH = 16;

    private final NDManager manager;
    private final ModelLoader.LoadedModel loaded;
    private final List<Path> tokenizerFiles;

    private LanguageModel(NDManager manager, ModelLoader.LoadedModel loaded, List<Path> tokenizerFiles) {
        this.manager = manager;
        this.loaded = loaded;
        this.tokenizerFiles = tokenizerFiles;
    }

    /** The model at {@code path} with its own tokenizer, in float32 on the CPU. */
    public static LanguageModel load(Path path) { return load(path, null, Compute.parse("cpu", "float32")); }

    /** stories260K from the shared data folder ({@code ALIGN4J_DATA}), the model the examples use. */
    public static LanguageModel stories260K() { return load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL)); }

    /**
     * @param tokenizer a tokenizer file or folder, or null for the one beside the model
     * @param compute   the device and floating-point type ({@code Compute.parse("cpu", "float64")})
     */
    public static LanguageModel load(Path path, Path tokenizer, Compute compute) {
        NDManager manager = compute.newManager();
        try {
            return new LanguageModel(manager, ModelLoader.load(path, tokenizer, manager, compute.dtype()),
                    ModelLoader.tokenizerFiles(path, tokenizer));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public CausalLM model() { return loaded.model(); }

    public TextTokenizer tokenizer() { return loaded.tokenizer(); }

    /**
     * Sampling settings that stop at the tokenizer's end-of-sequence tokens.
     *
     * @param temperature 0 for greedy decoding
     */
    public SamplingConfig samplingConfig(double temperature, int maxNewTokens, long seed) {
        return temperature == 0 ? SamplingConfig.greedy(maxNewTokens, tokenizer().stopIds())
                : SamplingConfig.sampling(temperature, maxNewTokens, seed, tokenizer().stopIds());
    }

    /** One continuation of each prompt, as text (without the prompt and without the stop token). */
    public List<String> generate(List<String> prompts, SamplingConfig sampling) {
        TextTokenizer tok = tokenizer();
        List<int[]> ids = prompts.stream().map(this::encodePrompt).toList();
        List<Generation> generations = generateIds(ids, sampling);
        List<String> out = new ArrayList<>(prompts.size());
        for (int i = 0; i < ids.size(); i++) out.add(continuation(tok, ids.get(i), withoutStop(generations.get(i))));
        return out;
    }

    /** One continuation of each prompt of token ids, with the tokens' sampling log-probs and why each stopped. */
    public List<Generation> generateIds(List<int[]> prompts, SamplingConfig sampling) {
        return Sampler.generate(model(), prompts, sampling);
    }

    /** The prompt's ids as the sampler takes them: BOS (when the tokenizer or model has one), then the text's. */
    public int[] encodePrompt(String prompt) {
        int bos = bosId();
        return tokenizer().encode(prompt, bos >= 0, false);
    }

    /** A response's score: its summed log-probability under the model, its token count and mean per-token entropy. */
    public record Score(double logProb, int tokens, double meanEntropy) {}

    /** The score of each response given its prompt (texts, split at the prompt's last token as training does). */
    public List<Score> score(List<String> prompts, List<String> responses) {
        if (prompts.size() != responses.size()) throw new IllegalArgumentException("one response per prompt");
        List<int[]> p = new ArrayList<>(), r = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            BoundarySplit split = BoundarySplit.of(tokenizer(), true, prompts.get(i), responses.get(i));
            p.add(split.promptIds());
            r.add(split.responseIds()[0]);
        }
        return scoreIds(p, r);
    }

    /** The score of each response of token ids given its prompt of token ids. */
    public List<Score> scoreIds(List<int[]> prompts, List<int[]> responses) {
        List<Score> out = new ArrayList<>(prompts.size());
        for (int start = 0; start < prompts.size(); start += SCORE_BATCH) {
            int end = Math.min(start + SCORE_BATCH, prompts.size());
            try (NDManager step = manager.newSubManager()) {
                SequenceScorer.Scores s = SequenceScorer.score(model(),
                        ResponseBatch.rightPadded(step, prompts.subList(start, end), responses.subList(start, end), tokenizer().padId()));
                double[] logProbs = s.sequenceLogProbs().toType(DataType.FLOAT64, false).toDoubleArray();
                double[] entropy = s.meanEntropy().toType(DataType.FLOAT64, false).toDoubleArray();
                for (int i = 0; i < end - start; i++) out.add(new Score(logProbs[i], responses.get(start + i).length, entropy[i]));
            }
        }
        return out;
    }

    /** Writes the model as a Hugging Face folder (config.json, safetensors in float32, the tokenizer files). */
    public void save(Path folder) {
        HfCheckpoint.write(folder, model().config(), model().parameters(), DataType.FLOAT32, tokenizerFiles.toArray(Path[]::new));
    }

    @Override
    public void close() {
        try {
            loaded.close();
        } finally {
            manager.close();
        }
    }

    /** The id a sequence starts with: the tokenizer's BOS, else the model config's (negative when neither has one). */
    public int bosId() {
        int bos = tokenizer().bosId();
        return bos >= 0 ? bos : model().config().bosId();
    }

    private static int[] withoutStop(Generation g) {
        return g.finish() == Generation.Finish.STOP ? Arrays.copyOf(g.tokens(), g.tokens().length - 1) : g.tokens();
    }

    /**
     * The text the generated ids add to the prompt. Decoding the whole sequence and removing the
     * prompt's own text keeps what a tokenizer does at the seam (a space dropped after BOS, bytes
     * of one character split over the boundary).
     */
    public static String continuation(TextTokenizer tok, int[] promptIds, int[] generated) {
        int[] all = IntStream.concat(IntStream.of(promptIds), IntStream.of(generated)).toArray();
        String whole = tok.decode(all), before = tok.decode(promptIds);
        return whole.startsWith(before) ? whole.substring(before.length()) : tok.decode(generated);
    }
}
