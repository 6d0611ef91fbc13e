package io.align4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter) whose state belongs to the caller, so it can be checkpointed
 * and restored bit for bit. The update itself is the engine's fused kernel:
 *
 * <pre>
 *   w ← w − η·λ·w                              (decoupled weight decay)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   w ← w − η·√(1 − β2^t)/(1 − β1^t) · m / (√v + ε)
 * </pre>
 *
 * ε is added to √v before the bias correction of v, as the kernel does; this differs from
 * PyTorch's AdamW only by ε·(1/√(1 − β2^t) − 1) in the denominator, negligible after a few steps.
 * DJL's own {@code Adam} keeps m and v in private maps, which is why it is not used.
 */
public final class AdamW {
    private final double beta1, beta2, eps, weightDecay;
    private final NDManager stateManager;
    private final Map<String, NDArray> mean = new LinkedHashMap<>();
    private final Map<String, NDArray> variance = new LinkedHashMap<>();
    private long step;

    public AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay) {
        this.stateManager = parent.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, weight decay 0.01. */
    public static AdamW withDefaults(NDManager parent) {
        return new AdamW(parent, 0.9, 0.999, 1e-8, 0.01);
    }

    /** Applies one update to every parameter that has a gradient, at learning rate {@code lr}. */
    public void step(Map<String, NDArray> parameters, double lr) {
        step++;
        float biasCorrectedLr = (float) (lr * Math.sqrt(1 - Math.pow(beta2, step)) / (1 - Math.pow(beta1, step)));
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray w = e.getValue();
            if (!w.hasGradient()) continue;
            NDArray m = mean.computeIfAbsent(e.getKey(), k -> stateManager.zeros(w.getShape(), w.getDataType()));
            NDArray v = variance.computeIfAbsent(e.getKey(), k -> stateManager.zeros(w.getShape(), w.getDataType()));
            try (NDArray g = w.getGradient()) {
                w.getNDArrayInternal().adamUpdate(new NDList(w, g, m, v), new NDList(w), (float) lr, biasCorrectedLr,
                        (float) weightDecay, 1f, -1f, (float) beta1, (float) beta2, (float) eps, false, true);
            }
        }
    }

    /** Updates taken so far. */
    public long stepCount() { return step; }

    /** First moments by parameter name (live arrays; copy before saving elsewhere). */
    public Map<String, NDArray> firstMoments() { return mean; }

    /** Second moments by parameter name. */
    public Map<String, NDArray> secondMoments() { return variance; }

    /** Restores the state saved from {@link #firstMoments()}, {@link #secondMoments()} and {@link #stepCount()}. */
    public void restore(long stepCount, Map<String, NDArray> first, Map<String, NDArray> second) {
        step = stepCount;
        copyInto(first, mean);
        copyInto(second, variance);
    }

    private void copyInto(Map<String, NDArray> from, Map<String, NDArray> to) {
        to.values().forEach(NDArray::close);
        to.clear();
        from.forEach((name, a) -> {
            NDArray copy = a.duplicate();
            copy.attach(stateManager);
            to.put(name, copy);
        });
    }
}
