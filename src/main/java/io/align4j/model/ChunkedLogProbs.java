package io.align4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of target tokens under the LM head, {@code ℓ_i = log_softmax(cap(W h_i + b))[y_i]},
 * computed over at most {@code chunkTokens} positions at a time, forwards and backwards, so that no
 * more than one chunk's [chunk, V] logits exist at once. With Qwen's 151,936 or Gemma's 256,000
 * tokens, the full [N, V] logits and the three or four copies that log_softmax and its backward
 * make are the largest arrays of a training step.
 *
 * <p>DJL has no custom autograd functions, so the backward is assembled from two pieces:
 * <ul>
 *   <li>Hidden states: the forward runs without recording and also computes, chunk by chunk,
 *   {@code G_i = ∂ℓ_i/∂h_i = Wᵀ ((e_{y_i} − p_i) ⊙ s_i)} with p_i the softmax and
 *   {@code s_i = 1 − (z_i/cap)²} the soft-cap's derivative (1 without one), an [N, dim] array. The
 *   result is {@code ℓ + (σ − stopgrad(σ))} with {@code σ_i = h_i · stopgrad(G_i)}: its value is ℓ
 *   exactly (σ − σ is 0) and autograd carries {@code (∂L/∂ℓ_i) G_i} into the trunk, so the trunk's
 *   backward (and {@link BlockCheckpointing}'s after it) sees the gradient it would see unchunked.</li>
 *   <li>Head weights (a trained head; a tied one is the token embedding): their gradient
 *   {@code Σ_i (∂L/∂ℓ_i) ∂ℓ_i/∂W} needs {@code ∂L/∂ℓ_i}, known only after the loss's backward. A
 *   zero leaf added to the result receives it there; a deferred pass ({@link BlockCheckpointing#backward})
 *   then recomputes each chunk's logits from the detached hidden states with recording on and
 *   back-propagates {@code Σ_i (∂L/∂ℓ_i) ℓ_i}, which accumulates into the head's gradient only.</li>
 * </ul>
 * The price is one more classifier matmul per position when the head trains (its logits are
 * computed twice, 8·dim·V FLOPs per position against 6); with a frozen head (LoRA) the count is
 * the same 4·dim·V and nothing is deferred.
 *
 * <p>The chunk size belongs to the calling thread; {@link #scope} sets it, 0 turning chunking off.
 */
public final class ChunkedLogProbs {
    /**
     * Positions per chunk unless a {@link #scope} says otherwise: at V = 49,152 a chunk's logits are 96 MiB
     * in float32, large enough that the [chunk, dim]·[dim, V] matmul runs at the engine's full speed.
     */
    public static final int DEFAULT_CHUNK_TOKENS = 512;

    private static final ThreadLocal<Integer> CHUNK_TOKENS = ThreadLocal.withInitial(() -> DEFAULT_CHUNK_TOKENS);

    private ChunkedLogProbs() {}

    /** Sets the calling thread's chunk size ({@code chunkTokens} positions, 0 for unchunked logits) until the scope closes. */
    public static Scope scope(int chunkTokens) {
        if (chunkTokens < 0) throw new IllegalArgumentException("chunk size " + chunkTokens + " is negative");
        int previous = CHUNK_TOKENS.get();
        CHUNK_TOKENS.set(chunkTokens);
        return new Scope(previous);
    }

    /** Restores the previous chunk size. */
    public static final class Scope implements AutoCloseable {
        private final int previous;

        private Scope(int previous) { this.previous = previous; }

        @Override
        public void close() { CHUNK_TOKENS.set(previous); }
    }

    /**
     * Whether {@code head} can be chunked now: chunking is on, the head is a plain [V, dim] matrix
     * (plus bias), and, when its weights train while gradients are recorded, a
     * {@link BlockCheckpointing#scope} is open, whose caller runs the deferred passes after the
     * backward. Elsewhere the unchunked path is the correct one.
     */
    static boolean applies(Linear head) {
        if (CHUNK_TOKENS.get() <= 0 || !(head instanceof Linear.Dense dense) || dense.storedInOut()) return false;
        return !JniUtils.isGradMode() || !headTrains(dense) || BlockCheckpointing.deferring();
    }

    /**
     * [N, 1] {@code ℓ_i}, from hidden states [N, dim] and int64 targets [N, 1], and when {@code withEntropy}
     * the detached [N, 1] entropy of each next-token distribution, taken from the same chunk's
     * log_softmax; arrays in the hidden states' manager. Differentiable in the hidden states and the
     * head's weights when gradients are recorded (see the class comment); call only where {@link #applies} holds.
     */
    static CausalLM.TargetScores targetScores(Linear.Dense head, double softcap, NDArray hidden, NDArray targets,
                                              boolean withEntropy) {
        int chunk = CHUNK_TOKENS.get();
        boolean recording = JniUtils.isGradMode();
        boolean hiddenTrains = recording && reachesParameters(hidden), headTrains = recording && headTrains(head);
        NDManager m = hidden.getManager();
        long tokens = hidden.getShape().get(0);
        List<NDArray> logProbs = new ArrayList<>(), hiddenGradients = new ArrayList<>(), entropies = new ArrayList<>();
        JniUtils.setGradMode(false);
        try {
            for (long from = 0; from < tokens; from += chunk) {
                long to = Math.min(tokens, from + chunk);
                try (NDScope scope = new NDScope()) {
                    NDArray h = hidden.get("{}:{}", from, to), y = targets.get("{}:{}", from, to);
                    NDArray capped = Layers.softcap(head.apply(h), softcap);
                    NDArray logSoftmax = capped.logSoftmax(-1);
                    keep(logSoftmax.gather(y, -1), logProbs);
                    NDArray p = withEntropy || hiddenTrains ? logSoftmax.exp() : null;
                    if (withEntropy) keep(p.mul(logSoftmax).sum(new int[] {-1}, true).neg(), entropies);
                    if (hiddenTrains) keep(hiddenGradient(head.weight(), softcap, capped, p, y), hiddenGradients);
                }
            }
        } finally {
            JniUtils.setGradMode(recording);
        }
        NDArray result = concat(logProbs);
        if (hiddenTrains) {
            NDArray gradient = concat(hiddenGradients);
            NDArray carrier = hidden.mul(gradient).sum(new int[] {1}, true);
            result = result.add(carrier.sub(carrier.stopGradient()));
        }
        if (headTrains) {
            NDArray upstream = m.zeros(new Shape(tokens, 1), hidden.getDataType());
            upstream.setRequiresGradient(true);
            result = result.add(upstream);
            BlockCheckpointing.defer(new HeadBackward(head, softcap, hidden.stopGradient(), targets, upstream, chunk));
        }
        return new CausalLM.TargetScores(result, withEntropy ? concat(entropies) : null);
    }

    /** Adds a chunk's result to {@code parts}, out of the chunk's scope. */
    private static void keep(NDArray chunkResult, List<NDArray> parts) {
        parts.add(chunkResult);
        NDScope.unregister(chunkResult);
    }

    /** [N, 1] {@code −Σ_v p(v) ln p(v)} from a log_softmax [N, V], detached: a metric, so nothing of it joins the graph. */
    static NDArray entropy(NDArray logSoftmax) {
        try (NDScope scope = new NDScope()) {
            NDArray detached = logSoftmax.stopGradient();
            NDArray entropy = detached.exp().mul(detached).sum(new int[] {-1}, true).neg();
            NDScope.unregister(entropy);
            return entropy;
        }
    }

    /**
     * Whether autograd would carry a gradient from {@code x} to trained parameters. DJL's
     * {@code hasGradient} reads false on a non-leaf even when it was computed from one that trains
     * (it answers for leaves), so a non-leaf is asked for the function autograd recorded for it.
     */
    private static boolean reachesParameters(NDArray x) {
        return x.hasGradient() || !JniUtils.getGradientFunctionNames((PtNDArray) x).isEmpty();
    }

    private static boolean headTrains(Linear.Dense head) {
        return head.weight().hasGradient() || head.bias() != null && head.bias().hasGradient();
    }

    /**
     * [c, dim] {@code Wᵀ((e_y − p) ⊙ s) = s_y · W[y] − (p ⊙ s) W} from a chunk's capped logits z,
     * their softmax p and targets y, without building the one-hot [c, V].
     */
    private static NDArray hiddenGradient(NDArray weight, double softcap, NDArray capped, NDArray p, NDArray y) {
        NDArray targetRows = Layers.own(weight.get(y.reshape(-1)), capped.getManager());
        if (softcap > 0) {
            NDArray slope = ScalarOps.div(capped, softcap).square().neg().add(1);
            p = p.mul(slope);
            targetRows = targetRows.mul(slope.gather(y, -1));
        }
        return targetRows.sub(p.matMul(weight));
    }

    private static NDArray concat(List<NDArray> parts) {
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
    }

    /** The head's share of the backward, run once the loss's backward has filled {@code upstream} with ∂L/∂ℓ. */
    private record HeadBackward(Linear.Dense head, double softcap, NDArray detachedHidden, NDArray targets, NDArray upstream,
                                int chunk) implements BlockCheckpointing.Deferred {
        @Override
        public void run(GradientCollector gc) {
            long tokens = detachedHidden.getShape().get(0);
            try (NDArray u = upstream.getGradient()) {
                for (long from = 0; from < tokens; from += chunk) {
                    long to = Math.min(tokens, from + chunk);
                    try (NDScope scope = new NDScope()) {
                        NDArray logits = Layers.softcap(head.apply(detachedHidden.get("{}:{}", from, to)), softcap);
                        NDArray target = logits.logSoftmax(-1).gather(targets.get("{}:{}", from, to), -1);
                        gc.backward(target.mul(u.get("{}:{}", from, to)).sum());
                    }
                }
            }
            discard();
        }

        @Override
        public void discard() {
            detachedHidden.close();
            upstream.close();
        }
    }
}
