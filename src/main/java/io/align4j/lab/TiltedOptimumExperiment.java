package io.align4j.lab;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.align4j.objective.ExactPolicyGradient;
import io.align4j.objective.ShapedReward;
import io.align4j.report.Plots;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * For fixed rewards on a table, plain gradient descent on the RLHF and the reverse-KL
 * objectives (the {@link ShapedReward} under the {@link ExactPolicyGradient}) reaches their
 * closed-form optima, RLHF's {@code π_0 exp(r/β)} and RKL's
 * {@code π_0^{β/(β+γ)} exp(r/(β+γ))}, normalised. The distance is the largest total variation
 * over prompts, recorded along the way.
 */
public final class TiltedOptimumExperiment {
    public record Config(int prompts, int responses, double beta, double gamma, double learningRate,
                         int maxSteps, int chunk, long seed) {
        public static Config defaults() { return new Config(5, 8, 0.5, 0.25, 2.0, 3000, 100, 20250602L); }

        public static Config quick() { return new Config(4, 8, 0.5, 0.25, 2.0, 2000, 100, 20250602L); }
    }

    /** Per method: steps taken and the TV distance to the closed form after each chunk. */
    public record Trace(String method, int[] steps, double[] tv) {
        public double finalTv() { return tv[tv.length - 1]; }
    }

    public record Result(Config config, List<Trace> traces) {
        public Trace trace(String method) {
            return traces.stream().filter(t -> t.method.equals(method)).findFirst().orElseThrow();
        }

        public String summary() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "tilted optimum, %d prompts x %d responses, beta = %.2f, gamma = %.2f (RKL):%n",
                    config.prompts, config.responses, config.beta, config.gamma));
            for (Trace t : traces) {
                sb.append(String.format(Locale.ROOT, "  %-5s max TV to the closed form %.2e after %d gradient steps%n",
                        t.method, t.finalTv(), t.steps[t.steps.length - 1]));
            }
            return sb.toString();
        }

        public void writeCsv(Path file) {
            List<String> lines = new ArrayList<>();
            for (Trace t : traces) {
                for (int i = 0; i < t.steps.length; i++) lines.add(String.format(Locale.ROOT, "%s,%d,%.6e", t.method, t.steps[i], t.tv[i]));
            }
            LabFiles.writeCsv(file, "method,step,max_tv", lines);
        }

        public void plot(Path png) {
            List<Plots.Series> series = new ArrayList<>();
            for (Trace t : traces) {
                double[] x = new double[t.steps.length];
                double[] y = new double[t.tv.length];
                for (int i = 0; i < x.length; i++) { x[i] = t.steps[i]; y[i] = Math.max(t.tv[i], 1e-16); }
                series.add(new Plots.Series(t.method, x, y));
            }
            Plots.save(png, 1, List.of(new Plots.Panel("gradient descent to the tilted optimum",
                    "gradient step", "max TV to the closed form", false, true, series)));
        }
    }

    private TiltedOptimumExperiment() {}

    public static Result run(NDManager manager, Config c) {
        SplittableRandom rng = new SplittableRandom(c.seed);
        int x = c.prompts, y = c.responses;
        List<Trace> traces = new ArrayList<>();
        try (NDManager m = manager.newSubManager()) {
            NDArray rewards = m.create(ConvergenceExperiment.gaussian(rng, x * y, 1.0)).reshape(1, x, y);
            NDArray lp0 = m.create(ConvergenceExperiment.gaussian(rng, x * y, 1.0)).reshape(1, x, y).logSoftmax(2);
            traces.add(descend(m, c, "RLHF", ShapedReward.rlhf(c.beta), rewards, lp0));
            traces.add(descend(m, c, "RKL", ShapedReward.reverseKl(c.beta, c.gamma), rewards, lp0));
        }
        return new Result(c, traces);
    }

    /** Plain gradient descent from π_0 with step {@code learningRate / (β + γ)}. */
    private static Trace descend(NDManager m, Config c, String name, ShapedReward shaped, NDArray rewards, NDArray lp0) {
        NDArray target = shaped.tabularOptimum(rewards, lp0, 2).exp();
        NDArray step = lp0.onesLike().mul((shaped.beta() + shaped.gamma()) / c.learningRate);
        List<Integer> steps = new ArrayList<>();
        List<Double> tv = new ArrayList<>();
        NDArray theta = lp0.duplicate();
        int done = 0;
        boolean converged = false;
        while (done < c.maxSteps && !converged) {
            TabularDescent.Result r = TabularDescent.preconditioned(m, theta, new NDList(rewards, lp0, step), t -> {
                NDArray lp = t.logSoftmax(2);
                return ExactPolicyGradient.loss(lp, shaped.apply(rewards, lp, lp0), 2).sum(new int[] {1});
            }, t -> step, 1e-12, c.chunk, Double.POSITIVE_INFINITY);
            theta.close();
            theta = r.logits();
            done += r.iterations();
            converged = r.converged()[0];
            steps.add(done);
            tv.add(theta.softmax(2).sub(target).abs().sum(new int[] {2}).mul(0.5).max().getDouble());
        }
        return new Trace(name, steps.stream().mapToInt(i -> i).toArray(), tv.stream().mapToDouble(d -> d).toArray());
    }
}
