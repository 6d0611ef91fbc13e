package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.align4j.tokenizer.TextTokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A Bradley–Terry reward model: a causal-LM backbone with a scalar head read at the last token
 * of prompt + response, and optionally a learned multiple of the backbone's own log-likelihood
 * of the response,
 * <pre>
 *   R(x, a) = w · h_L(x ++ a)  [+ α · ln π_φ(a | x)],    L = |x| + |a| − 1 (the last non-pad position)
 * </pre>
 * where {@code h} are the backbone's final-normed hidden states, {@code w} is the head
 * {@value #SCORE_HEAD} [1, dim], and {@code π_φ} is the distribution the same
 * backbone's LM head gives. Batches are right-padded, so the causal mask keeps padding out of
 * {@code h_L}. Saved and loaded in the Hugging Face {@code *ForSequenceClassification} layout
 * by {@code io.align4j.model.io.RewardModelFolder}; α is the extra tensor {@value #LIKELIHOOD_WEIGHT}.
 *
 * <p>Why the likelihood term: when preferences come from a target {@code π* ∝ π_0·exp(r/τ)}
 * (the distribution-learning view, and the {@code tinystories-happy} labeller), the
 * Bradley–Terry optimum is {@code γ·ln π*(a|x) = γ·ln π_0(a|x) + γ·r(a)/τ}, a sum over every
 * response token. A head read at one position cannot represent that sum for a small backbone;
 * the likelihood term can, with α learned from the pairs (it starts at 0, so the model starts
 * as the standard one).
 */
public final class RewardModel implements AutoCloseable {
    /** The scalar head, [1, dim], as {@code *ForSequenceClassification} names it. */
    public static final String SCORE_HEAD = "score.weight";
    /**
     * The optional weight α of the likelihood term, shape [1]; not part of the Hugging Face
     * layout, which ignores unknown tensors.
     */
    public static final String LIKELIHOOD_WEIGHT = "score.log_likelihood_weight";
    /** Rows per forward pass in {@link #score}. */
    public static final int SCORE_BATCH = 16;

    private final CausalLM backbone;
    private final NDArray scoreWeight;
    private final NDArray likelihoodWeight;
    private final TextTokenizer tokenizer;

    /**
     * @param scoreWeight      [1, dim], of the backbone's dtype; the model owns it from now on
     * @param likelihoodWeight [1] α of the likelihood term, or null for the standard model
     */
    public RewardModel(CausalLM backbone, NDArray scoreWeight, NDArray likelihoodWeight, TextTokenizer tokenizer) {
        if (!scoreWeight.getShape().equals(new Shape(1, backbone.config().dim())))
            throw new IllegalArgumentException("score head " + scoreWeight.getShape() + " for a backbone of width " + backbone.config().dim());
        if (likelihoodWeight != null && !likelihoodWeight.getShape().equals(new Shape(1)))
            throw new IllegalArgumentException("likelihood weight " + likelihoodWeight.getShape() + ", expected (1)");
        scoreWeight.attach(backbone.manager());
        if (likelihoodWeight != null) likelihoodWeight.attach(backbone.manager());
        this.backbone = backbone;
        this.scoreWeight = scoreWeight;
        this.likelihoodWeight = likelihoodWeight;
        this.tokenizer = tokenizer;
    }

    /** A reward model from its head tensors by name ({@value #SCORE_HEAD}, optionally {@value #LIKELIHOOD_WEIGHT}). */
    public RewardModel(CausalLM backbone, Map<String, NDArray> head, TextTokenizer tokenizer) {
        this(backbone, head.get(SCORE_HEAD), head.get(LIKELIHOOD_WEIGHT), tokenizer);
    }

    /**
     * A fresh head on {@code backbone}, drawn from N(0, 0.02²) as Hugging Face initialises
     * {@code score} ({@code initializer_range}), with a Java generator seeded by {@code seed}.
     */
    public static RewardModel initialise(CausalLM backbone, TextTokenizer tokenizer, long seed, boolean likelihoodTerm) {
        Random random = new Random(seed);
        double[] w = new double[backbone.config().dim()];
        for (int i = 0; i < w.length; i++) w[i] = 0.02 * random.nextGaussian();
        DataType dtype = backbone.parameters().values().iterator().next().getDataType();
        NDArray head = backbone.manager().create(w, new Shape(1, w.length)).toType(dtype, false).duplicate();
        NDArray alpha = likelihoodTerm ? backbone.manager().zeros(new Shape(1), dtype) : null;
        return new RewardModel(backbone, head, alpha, tokenizer);
    }

    public CausalLM backbone() { return backbone; }

    public NDArray scoreWeight() { return scoreWeight; }

    /** α of the likelihood term, or empty for the standard model. */
    public java.util.Optional<NDArray> likelihoodWeight() { return java.util.Optional.ofNullable(likelihoodWeight); }

    public TextTokenizer tokenizer() { return tokenizer; }

    /** Backbone parameters and the head, by checkpoint name: what training updates and a checkpoint holds. */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> all = new LinkedHashMap<>(backbone.parameters());
        all.put(SCORE_HEAD, scoreWeight);
        if (likelihoodWeight != null) all.put(LIKELIHOOD_WEIGHT, likelihoodWeight);
        return all;
    }

    /** [B] rewards of a batch; differentiable when the parameters require gradients. */
    public NDArray rewards(ResponseBatch batch) {
        NDArray hidden = backbone.hidden(batch.ids(), null, null, null);
        NDArray perPosition = Linear.linear(hidden, scoreWeight).head().squeeze(-1); // [B, T]
        long[] last = new long[batch.promptLengths().length];
        for (int b = 0; b < last.length; b++) last[b] = batch.promptLengths()[b] + batch.responseLengths()[b] - 1;
        NDArray index = batch.ids().getManager().create(last, new Shape(last.length, 1));
        NDArray rewards = perPosition.gather(index, 1).squeeze(-1);
        if (likelihoodWeight == null) return rewards;
        return rewards.add(SequenceScorer.sequenceLogProbs(backbone, hidden, batch).mul(likelihoodWeight));
    }

    /** Rewards of token-id (prompt, response) pairs, {@value #SCORE_BATCH} rows per forward pass. */
    public double[] score(List<int[]> prompts, List<int[]> responses) {
        if (prompts.size() != responses.size())
            throw new IllegalArgumentException(prompts.size() + " prompts but " + responses.size() + " responses");
        double[] out = new double[prompts.size()];
        int pad = tokenizer != null ? tokenizer.padId() : 0;
        for (int start = 0; start < out.length; start += SCORE_BATCH) {
            int end = Math.min(out.length, start + SCORE_BATCH);
            try (NDManager m = backbone.manager().newSubManager()) {
                ResponseBatch batch = ResponseBatch.rightPadded(m, prompts.subList(start, end), responses.subList(start, end), pad);
                double[] r = rewards(batch).stopGradient().toType(DataType.FLOAT64, false).toDoubleArray();
                System.arraycopy(r, 0, out, start, r.length);
            }
        }
        return out;
    }

    @Override
    public void close() {
        backbone.close();
        if (tokenizer instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing tokenizer", e);
            }
        }
    }
}
