package io.align4j.lab;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.function.Function;

/**
 * Gradient descent on a batch of independent tabular policies, logits [B, prompts, responses],
 * through autograd. The loss function returns one loss per fit ([B]); their sum is
 * differentiated, so every fit gets exactly its own gradient and B fits cost one engine call
 * per operation instead of B.
 *
 * <p>Each iteration runs in its own sub-manager to which the logits and the data are
 * temporarily attached, so nothing accumulates in the caller's manager.
 */
final class TabularDescent {
    private TabularDescent() {}

    /** The fitted logits (in the caller's manager), the iterations run, and which fits converged. */
    record Result(NDArray logits, int iterations, boolean[] converged) {
        int unconverged() {
            int n = 0;
            for (boolean c : converged) if (!c) n++;
            return n;
        }
    }

    /** Called after each step with the step number and the current logits (inside the step's manager). */
    interface Observer {
        void step(int step, NDArray logits);
    }

    /**
     * Preconditioned descent {@code θ ← θ − C(θ)⁻¹ g}, stopped when every fit's largest logit
     * change is below {@code tolerance} or after {@code maxIterations}. The curvature C is
     * either diagonal, [B, X, Y], or a full matrix per prompt, [B, X, Y, Y]. Softmax and pair
     * losses are invariant to adding a constant to a prompt's row, so C is singular along the
     * all-ones direction (and on responses no pair touches); the full solve adds the all-ones
     * projector and a tiny ridge, which leaves the step in the directions that matter unchanged.
     * Each coordinate's step is clipped to {@code ±maxStep}.
     *
     * <p>With C the Hessian of a pairwise logistic loss (its Fisher information, for the
     * canonical link) this is Newton's method; with the diagonal {@code C = (β+γ) π_θ} it is
     * the natural-gradient (mirror-descent) step of the entropy-regularised objectives, which
     * lands on their tabular optimum.
     */
    static Result preconditioned(NDManager manager, NDArray init, NDList data, Function<NDArray, NDArray> lossPerFit,
                                 Function<NDArray, NDArray> preconditioner, double tolerance, int maxIterations,
                                 double maxStep) {
        NDArray theta = init.duplicate();
        theta.attach(manager);
        boolean[] converged = new boolean[(int) init.getShape().get(0)];
        int it = 0;
        while (it < maxIterations && !all(converged)) {
            it++;
            NDArray previous = theta;
            try (NDManager step = manager.newSubManager()) {
                step.tempAttachAll(data);
                step.tempAttachAll(theta);
                NDArray g = gradient(theta, lossPerFit);
                NDArray delta = solve(preconditioner.apply(theta.stopGradient()), g).clip(-maxStep, maxStep);
                NDArray next = theta.stopGradient().sub(delta);
                double[] change = delta.abs().max(new int[] {2}).max(new int[] {1}).toDoubleArray();
                for (int b = 0; b < change.length; b++) converged[b] = change[b] < tolerance;
                next.attach(manager);
                theta = next;
            }
            previous.close();
        }
        return new Result(theta, it, converged);
    }

    /** Adam (β1 0.9, β2 0.999, ε 1e-8) for a fixed number of steps. */
    static NDArray adam(NDManager manager, NDArray init, NDList data, Function<NDArray, NDArray> lossPerFit,
                        double learningRate, int steps, Observer observer) {
        NDArray theta = init.duplicate();
        theta.attach(manager);
        NDArray m = init.zerosLike();
        NDArray v = init.zerosLike();
        for (int t = 1; t <= steps; t++) {
            NDArray[] previous = {theta, m, v};
            try (NDManager step = manager.newSubManager()) {
                step.tempAttachAll(data);
                step.tempAttachAll(theta, m, v);
                NDArray g = gradient(theta, lossPerFit);
                NDArray m1 = m.mul(0.9).add(g.mul(0.1));
                NDArray v1 = v.mul(0.999).add(g.square().mul(0.001));
                NDArray update = m1.div(1 - Math.pow(0.9, t))
                        .div(v1.div(1 - Math.pow(0.999, t)).sqrt().add(1e-8)).mul(learningRate);
                NDArray next = theta.stopGradient().sub(update);
                if (observer != null) observer.step(t, next);
                for (NDArray a : new NDArray[] {next, m1, v1}) a.attach(manager);
                theta = next;
                m = m1;
                v = v1;
            }
            for (NDArray a : previous) a.close();
        }
        m.close();
        v.close();
        return theta;
    }

    private static NDArray solve(NDArray curvature, NDArray g) {
        if (curvature.getShape().dimension() == g.getShape().dimension()) return g.div(curvature);
        long y = g.getShape().get(2);
        NDArray eye = curvature.getManager().eye((int) y).toType(curvature.getDataType(), false);
        // The mean diagonal entry sets the scale of the all-ones term and of the ridge.
        NDArray scale = curvature.mul(eye).sum(new int[] {2, 3}).div(y).add(1e-12).expandDims(2).expandDims(3);
        NDArray ones = curvature.onesLike().mul(scale).div(y);
        NDArray ridge = eye.mul(scale).mul(1e-9);
        NDArray system = curvature.add(ones).add(ridge);
        return system.inverse().matMul(g.expandDims(3)).squeeze(3);
    }

    private static NDArray gradient(NDArray theta, Function<NDArray, NDArray> lossPerFit) {
        theta.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(lossPerFit.apply(theta).sum());
        }
        return theta.getGradient();
    }

    private static boolean all(boolean[] flags) {
        for (boolean f : flags) if (!f) return false;
        return true;
    }
}
