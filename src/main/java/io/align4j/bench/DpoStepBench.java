package io.align4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.BlockCheckpointing;
import io.align4j.model.CausalLM;
import io.align4j.model.ChunkedLogProbs;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.ParameterLayout;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.objective.Dpo;
import io.align4j.objective.PairLogProbs;
import io.align4j.train.AdamW;
import io.align4j.train.Gradients;
import io.align4j.util.NativeHeap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One DPO training step as the reference script {@code torch_llama_bench.py} times it: a policy
 * forward and backward over {@code pairs} chosen and {@code pairs} rejected sequences of
 * {@code length} random tokens (prompt the first quarter, response the rest), reference
 * log-probs cached (constants), the DPO loss, and an AdamW update. Each step runs in its own
 * sub-manager, as a trainer's does.
 *
 * <p>FLOPs per token are counted as the reference counts them, {@code 6·N + 12·L·T·d} for N
 * parameters (the tied classifier once), L layers, T positions and width d. That count, like the
 * reference's timing, charges the classifier for every position; the step runs it on the response
 * positions only ({@link SequenceScorer#sequenceLogProbs(CausalLM, ResponseBatch)}), so the GFLOP/s
 * derived from it is model FLOPs per second, not the arithmetic the processor did;
 * {@link #executedFlopsPerStep()} is the latter.
 */
public final class DpoStepBench implements AutoCloseable {
    private final CausalLM policy;
    private final Map<String, NDArray> trained;
    private final boolean checkpointBlocks;
    private final int logitChunkTokens;
    private final NDManager manager;
    private final AdamW adam;
    private final Dpo dpo = new Dpo(0.1);
    private final List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
    private final int pairs, length;

    /** The policy's parameters are marked trainable; {@code seed} draws the token ids. */
    public DpoStepBench(CausalLM policy, int pairs, int length, long seed) {
        this(policy, policy.parameters(), false, ChunkedLogProbs.DEFAULT_CHUNK_TOKENS, pairs, length, seed);
    }

    /**
     * @param trained          the tensors the step updates (all parameters, or a LoRA adapter's), marked trainable
     * @param checkpointBlocks recompute each block in the backward pass ({@link BlockCheckpointing})
     * @param logitChunkTokens positions per chunk of the LM head's logits, 0 for all at once ({@link ChunkedLogProbs})
     */
    public DpoStepBench(CausalLM policy, Map<String, NDArray> trained, boolean checkpointBlocks, int logitChunkTokens, int pairs,
                        int length, long seed) {
        if (pairs <= 0 || length < 2) throw new IllegalArgumentException("need pairs >= 1 and length >= 2");
        this.policy = policy;
        this.trained = trained;
        this.checkpointBlocks = checkpointBlocks;
        this.logitChunkTokens = logitChunkTokens;
        this.manager = policy.manager().newSubManager();
        this.adam = AdamW.withDefaults(manager);
        this.pairs = pairs;
        this.length = length;
        for (NDArray p : trained.values()) p.setRequiresGradient(true);
        SplittableRandom random = new SplittableRandom(seed);
        int promptLength = Math.max(1, length / 4), vocab = policy.config().vocabSize();
        for (int row = 0; row < 2 * pairs; row++) {
            prompts.add(random.ints(promptLength, 0, vocab).toArray());
            responses.add(random.ints(length - promptLength, 0, vocab).toArray());
        }
    }

    /** Tokens one step processes: 2 · pairs · length. */
    public long tokensPerStep() { return 2L * pairs * length; }

    /** FLOPs per token of this step, {@link #flopsPerToken(ModelConfig, int)}. */
    public double flopsPerToken() { return flopsPerToken(policy.config(), length); }

    /**
     * FLOPs the step performs: the reference count less the classifier's {@code 6·d·V} for each
     * position that predicts no response token (the prompt's), which the step never computes.
     */
    public double executedFlopsPerStep() {
        ModelConfig c = policy.config();
        long skippedPositions = 2L * pairs * prompts.get(0).length;
        return tokensPerStep() * flopsPerToken() - 6.0 * c.dim() * c.vocabSize() * skippedPositions;
    }

    /** {@code 6·N + 12·L·T·d} for a sequence length T, N counted from the parameter layout. */
    public static double flopsPerToken(ModelConfig c, int length) {
        return 6.0 * parameterCount(c) + 12.0 * c.nLayers() * length * c.queryDim();
    }

    /** Parameters of a model of this configuration (a tied classifier counts once). */
    public static long parameterCount(ModelConfig c) {
        return ParameterLayout.of(c).values().stream().mapToLong(Shape::size).sum();
    }

    /** One forward, backward and optimiser step; returns the loss. */
    public double step() {
        try {
            return stepOnce();
        } finally {
            NativeHeap.trim(); // as the training loop does after each update
        }
    }

    private double stepOnce() {
        try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector();
             BlockCheckpointing.Scope scope = BlockCheckpointing.scope(checkpointBlocks);
             ChunkedLogProbs.Scope chunks = ChunkedLogProbs.scope(logitChunkTokens)) {
            NDArray sequenceLogProbs = SequenceScorer.sequenceLogProbs(policy, ResponseBatch.rightPadded(m, prompts, responses, 0));
            NDArray chosen = sequenceLogProbs.get("0:{}", pairs), rejected = sequenceLogProbs.get("{}:", pairs);
            NDArray reference = m.full(chosen.getShape(), -100f);
            NDArray loss = dpo.loss(PairLogProbs.of(chosen, rejected, reference, reference)).loss();
            gc.backward(loss);
            BlockCheckpointing.backward(gc);
            adam.step(trained, 1e-5);
            Gradients.zero(trained);
            return loss.getFloat();
        }
    }

    @Override
    public void close() { manager.close(); }
}
