package io.align4j.lab;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.align4j.objective.Dpo;
import io.align4j.objective.Mio;
import io.align4j.objective.PairLogProbs;
import io.align4j.objective.PairwiseObjective;
import io.align4j.report.Plots;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * DPO against MIO on fixed, noisy preference data whose responses recur across pairs: one
 * prompt, a few responses, pairs labelled by a Bradley–Terry draw on hidden rewards. Both
 * start from π_0 (uniform) with the same β and optimiser. DPO constrains only the margin, so
 * once the policy concentrates the mean chosen reward {@code β (ln π_θ(a+) − ln π_0(a+))}
 * falls; MIO anchors it near ln 2 per pair, so it plateaus while the margin stays positive.
 */
public final class ChosenRewardExperiment {
    public record Config(int responses, int pairs, double beta, double learningRate, int steps, int every, long seed) {
        public static Config defaults() { return new Config(20, 400, 0.1, 0.05, 4000, 10, 20250603L); }

        public static Config quick() { return new Config(20, 400, 0.1, 0.05, 2000, 50, 20250603L); }
    }

    /** Metrics of one method every {@code every} steps (step 0 is the start). */
    public record Trace(String method, int[] steps, double[] chosen, double[] rejected, double[] margin) {
        public double finalChosen() { return chosen[chosen.length - 1]; }

        public double maxChosen() {
            double m = Double.NEGATIVE_INFINITY;
            for (double v : chosen) m = Math.max(m, v);
            return m;
        }

        public double minMarginAfterStart() {
            double m = Double.POSITIVE_INFINITY;
            for (int i = 1; i < margin.length; i++) m = Math.min(m, margin[i]);
            return m;
        }
    }

    public record Result(Config config, Trace dpo, Trace mio) {
        public String summary() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "chosen reward, 1 prompt x %d responses, %d noisy pairs, beta = %.2f, %d Adam steps:%n",
                    config.responses, config.pairs, config.beta, config.steps));
            for (Trace t : List.of(dpo, mio)) {
                sb.append(String.format(Locale.ROOT,
                        "  %-4s chosen reward max %.3f final %.3f (decline %.3f); final rejected %.3f, margin %.3f (min %.3f)%n",
                        t.method, t.maxChosen(), t.finalChosen(), t.maxChosen() - t.finalChosen(),
                        t.rejected[t.rejected.length - 1], t.margin[t.margin.length - 1], t.minMarginAfterStart()));
            }
            return sb.toString();
        }

        public void writeCsv(Path file) {
            List<String> lines = new ArrayList<>();
            for (Trace t : List.of(dpo, mio)) {
                for (int i = 0; i < t.steps.length; i++) {
                    lines.add(String.format(Locale.ROOT, "%s,%d,%.6f,%.6f,%.6f", t.method, t.steps[i], t.chosen[i], t.rejected[i], t.margin[i]));
                }
            }
            LabFiles.writeCsv(file, "method,step,rewards_chosen,rewards_rejected,rewards_margins", lines);
        }

        public void plot(Path png) {
            List<Plots.Panel> panels = new ArrayList<>();
            for (Trace t : List.of(dpo, mio)) {
                double[] x = new double[t.steps.length];
                for (int i = 0; i < x.length; i++) x[i] = t.steps[i];
                panels.add(new Plots.Panel(t.method + String.format(Locale.ROOT, " (beta = %.2f)", config.beta), "step", "reward", false, false,
                        List.of(new Plots.Series("rewards/chosen", x, t.chosen), new Plots.Series("rewards/rejected", x, t.rejected),
                                new Plots.Series("rewards/margins", x, t.margin))));
            }
            Plots.save(png, 2, panels);
        }
    }

    private ChosenRewardExperiment() {}

    public static Result run(NDManager manager, Config c) {
        SplittableRandom rng = new SplittableRandom(c.seed);
        double[] hidden = ConvergenceExperiment.gaussian(rng, c.responses, 1.0);
        double[] chosenOneHot = new double[c.pairs * c.responses], rejectedOneHot = new double[c.pairs * c.responses];
        for (int i = 0; i < c.pairs; i++) {
            int a = rng.nextInt(c.responses), b = rng.nextInt(c.responses - 1);
            if (b >= a) b++;
            boolean aWins = rng.nextDouble() < 1 / (1 + Math.exp(-(hidden[a] - hidden[b])));
            chosenOneHot[i * c.responses + (aWins ? a : b)] = 1;
            rejectedOneHot[i * c.responses + (aWins ? b : a)] = 1;
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray chosen = m.create(chosenOneHot).reshape(c.pairs, c.responses);
            NDArray rejected = m.create(rejectedOneHot).reshape(c.pairs, c.responses);
            NDArray lp0 = m.zeros(new ai.djl.ndarray.types.Shape(1, c.responses), ai.djl.ndarray.types.DataType.FLOAT64).logSoftmax(1);
            return new Result(c, train(m, c, new Dpo(c.beta), chosen, rejected, lp0),
                    train(m, c, new Mio(c.beta), chosen, rejected, lp0));
        }
    }

    /** The pairs' sequence log-probs of a one-prompt table: one-hot rows times the log-softmax. */
    private static PairLogProbs pairs(NDArray logits, NDArray chosen, NDArray rejected, NDArray lp0) {
        NDArray lp = logits.logSoftmax(1).reshape(-1, 1);
        NDArray ref = lp0.reshape(-1, 1);
        return PairLogProbs.of(chosen.matMul(lp).reshape(-1), rejected.matMul(lp).reshape(-1),
                chosen.matMul(ref).reshape(-1), rejected.matMul(ref).reshape(-1));
    }

    private static Trace train(NDManager m, Config c, PairwiseObjective objective, NDArray chosen, NDArray rejected, NDArray lp0) {
        int records = c.steps / c.every + 1;
        int[] steps = new int[records];
        double[] ch = new double[records], rj = new double[records], mg = new double[records];
        record(objective.loss(pairs(lp0, chosen, rejected, lp0)).values(), 0, 0, steps, ch, rj, mg);
        NDArray logits = TabularDescent.adam(m, lp0, new NDList(chosen, rejected, lp0),
                t -> objective.loss(pairs(t, chosen, rejected, lp0)).loss().reshape(1), c.learningRate, c.steps, (step, t) -> {
                    if (step % c.every == 0) {
                        record(objective.loss(pairs(t, chosen, rejected, lp0)).values(), step / c.every, step, steps, ch, rj, mg);
                    }
                });
        logits.close();
        return new Trace(objective.name().toUpperCase(Locale.ROOT), steps, ch, rj, mg);
    }

    private static void record(Map<String, Double> v, int i, int step, int[] steps, double[] ch, double[] rj, double[] mg) {
        steps[i] = step;
        ch[i] = v.get("rewards/chosen");
        rj[i] = v.get("rewards/rejected");
        mg[i] = v.get("rewards/margins");
    }
}
