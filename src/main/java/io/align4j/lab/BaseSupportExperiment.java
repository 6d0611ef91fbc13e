package io.align4j.lab;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.align4j.objective.Rloo;
import io.align4j.objective.ShapedReward;
import io.align4j.report.Plots;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * RLHF with on-policy samples reinforces only what the policy samples: one prompt, one correct
 * response (reward 1) among many wrong ones (reward 0), trained with the {@link ShapedReward}
 * (γ = 0) under the {@link Rloo} estimator on k fresh samples per step. When π_0 gives the
 * correct response 1e-6, a few thousand samples never contain it and there is no signal,
 * although the RLHF optimum {@code π_0 exp(r/β)} puts real mass on it; at 1e-2 it is sampled,
 * reinforced, and takes over.
 */
public final class BaseSupportExperiment {
    public record Config(double[] baseProbabilities, int responses, double beta, int samplesPerStep, int steps,
                         double learningRate, long seed) {
        public static Config defaults() { return new Config(new double[] {1e-6, 1e-4, 1e-2}, 100, 0.05, 32, 128, 0.1, 20250604L); }

        public static Config quick() { return new Config(new double[] {1e-6, 1e-2}, 100, 0.05, 32, 128, 0.1, 20250604L); }
    }

    /** π_θ(correct) after each step, how often it was sampled in all, and the exact RLHF optimum's value. */
    public record Trace(double baseProbability, double[] correctProbability, int correctSamples, double optimumProbability) {
        public double finalProbability() { return correctProbability[correctProbability.length - 1]; }
    }

    public record Result(Config config, List<Trace> traces) {
        public Trace trace(double baseProbability) {
            return traces.stream().filter(t -> t.baseProbability == baseProbability).findFirst().orElseThrow();
        }

        public String summary() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "base support, %d responses, beta = %.3f, RLOO with %d samples x %d steps (%d samples):%n",
                    config.responses, config.beta, config.samplesPerStep, config.steps, config.samplesPerStep * config.steps));
            for (Trace t : traces) {
                sb.append(String.format(Locale.ROOT,
                        "  pi_0(correct) = %.0e: sampled %d times, pi(correct) after training %.3e (RLHF optimum %.3f)%n",
                        t.baseProbability, t.correctSamples, t.finalProbability(), t.optimumProbability));
            }
            return sb.toString();
        }

        public void writeCsv(Path file) {
            List<String> lines = new ArrayList<>();
            for (Trace t : traces) {
                for (int i = 0; i < t.correctProbability.length; i++) {
                    lines.add(String.format(Locale.ROOT, "%.0e,%d,%.6e", t.baseProbability, i, t.correctProbability[i]));
                }
            }
            LabFiles.writeCsv(file, "base_probability,step,correct_probability", lines);
        }

        public void plot(Path png) {
            List<Plots.Series> series = new ArrayList<>();
            for (Trace t : traces) {
                double[] x = new double[t.correctProbability.length];
                for (int i = 0; i < x.length; i++) x[i] = i;
                series.add(new Plots.Series(String.format(Locale.ROOT, "pi_0(correct) = %.0e", t.baseProbability), x, t.correctProbability));
            }
            Plots.save(png, 1, List.of(new Plots.Panel("RLHF (RLOO) on policy samples", "step", "pi(correct)", false, true, series)));
        }
    }

    private BaseSupportExperiment() {}

    public static Result run(NDManager manager, Config c) {
        List<Trace> traces = new ArrayList<>();
        for (int i = 0; i < c.baseProbabilities.length; i++) {
            try (NDManager m = manager.newSubManager()) {
                traces.add(train(m, c, c.baseProbabilities[i], new SplittableRandom(c.seed + i)));
            }
        }
        return new Result(c, traces);
    }

    private static Trace train(NDManager m, Config c, double base, SplittableRandom rng) {
        int y = c.responses, k = c.samplesPerStep;
        double[] p0 = new double[y];
        p0[0] = base;
        for (int j = 1; j < y; j++) p0[j] = (1 - base) / (y - 1);
        double[] logP0 = new double[y];
        for (int j = 0; j < y; j++) logP0[j] = Math.log(p0[j]);
        NDArray lp0 = m.create(logP0).reshape(1, y);
        double[] reward = new double[y];
        reward[0] = 1;
        NDArray scores = m.create(reward).reshape(1, y);
        ShapedReward shaped = ShapedReward.rlhf(c.beta);
        double optimum = shaped.tabularOptimum(scores, lp0, 1).exp().getDouble(0, 0);

        double[] trace = new double[c.steps + 1];
        trace[0] = base;
        int[] correct = {0};
        NDArray logits = TabularDescent.adam(m, lp0, new NDList(lp0, scores), t -> {
            NDArray lp = t.logSoftmax(1);
            double[] probs = lp.stopGradient().exp().toDoubleArray();
            double[] oneHot = new double[k * y];
            for (int s = 0; s < k; s++) {
                int a = ConvergenceExperiment.sample(rng, logOf(probs), 0, y);
                if (a == 0) correct[0]++;
                oneHot[s * y + a] = 1;
            }
            NDArray pick = t.getManager().create(oneHot).reshape(k, y);
            NDArray sampleLp = pick.matMul(lp.reshape(y, 1)).reshape(1, k);
            NDArray sampleRef = pick.matMul(lp0.reshape(y, 1)).reshape(1, k);
            NDArray sampleScore = pick.matMul(scores.reshape(y, 1)).reshape(1, k);
            return Rloo.policyLoss(sampleLp, shaped.apply(sampleScore, sampleLp, sampleRef)).loss().reshape(1);
        }, c.learningRate, c.steps, (step, t) -> trace[step] = t.softmax(1).getDouble(0, 0));
        logits.close();
        return new Trace(base, trace, correct[0], optimum);
    }

    private static double[] logOf(double[] p) {
        double[] l = new double[p.length];
        for (int i = 0; i < p.length; i++) l[i] = Math.log(p[i]);
        return l;
    }
}
