package io.align4j.lab;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.objective.BradleyTerry;
import io.align4j.objective.Dpo;
import io.align4j.objective.ExactPolicyGradient;
import io.align4j.objective.PairLogProbs;
import io.align4j.objective.Pmle;
import io.align4j.objective.PreferenceDistillation;
import io.align4j.objective.ShapedReward;
import io.align4j.report.Plots;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The distribution-learning source's toy: does each method's estimate π̂ converge to the π*
 * the preferences came from, and how fast, in {@code E_x KL(π* ‖ π̂)}?
 *
 * <p>Per seed, logits of π* and π_0 are drawn i.i.d. N(0, σ²) on a prompts × responses table;
 * n triples are drawn as {@code x} uniform, {@code a, b ~ μ = π_0(x)}, label
 * {@code P(a ≻ b) = σ(γ [ln π*(a) − ln π*(b)])}, and aggregated into win counts
 * {@code W[x, a, b]} (nested: the first n of a larger sample). Every (seed, n) is one fit of
 * a batch, so a method costs the same at any n. Methods, each trained through its objective
 * class with autograd:
 * <ul>
 *   <li>PMLE: {@link Pmle} on the counts (closed form: {@code log_softmax(R̂/γ)}).
 *   <li>PD: {@link PreferenceDistillation} with R̂ the tabular {@link BradleyTerry} fit on the
 *       same counts, in exact expectation over pairs from μ (same closed form).
 *   <li>RKL: the {@link ShapedReward} with β = 0 under the {@link ExactPolicyGradient}
 *       (closed form {@code log_softmax(R̂/γ)}).
 *   <li>RLHF: the same with γ = 0 and β tuned for each n against the truth (the β of a grid
 *       with the smallest median error): optimum {@code π_0 exp(R̂/β)}, biased by π_0.
 *   <li>DPO at a fixed β on the counts (closed form {@code log_softmax(ln π_0 + R̂/β)}).
 * </ul>
 * The pairwise fits use gradient descent preconditioned by the pairs' weight on each response,
 * the expectation fits natural-gradient steps; each is checked against its closed form.
 */
public final class ConvergenceExperiment {
    public static final List<String> METHODS = List.of("PMLE", "PD", "RKL", "RLHF", "DPO");

    public record Config(double[] sigmas, int seeds, int log2MinN, int log2MaxN, int prompts, int responses,
                         double gamma, double dpoBeta, double[] rlhfBetas, long seed, int maxIterations) {
        /** Both σ, 16 seeds, n = 2^5 … 2^18. */
        public static Config defaults() {
            return new Config(new double[] {0.1, 1.0}, 16, 5, 18, 10, 10, 0.5, 0.1, betaGrid(), 20250601L, 100);
        }

        /** σ = 1.0 only, 8 seeds, n = 2^8 … 2^16: what the acceptance test runs. */
        public static Config quick() {
            return new Config(new double[] {1.0}, 8, 8, 16, 10, 10, 0.5, 0.1, betaGrid(), 20250601L, 100);
        }

        long[] sizes() {
            long[] n = new long[log2MaxN - log2MinN + 1];
            for (int i = 0; i < n.length; i++) n[i] = 1L << (log2MinN + i);
            return n;
        }

        /** β = 2^(k/2) / 64 for k = 0 … 26: 0.016 to 128. */
        private static double[] betaGrid() {
            double[] g = new double[27];
            for (int k = 0; k < g.length; k++) g[k] = Math.pow(2, k / 2.0) / 64;
            return g;
        }
    }

    /** One fit's error; {@code beta} is the RLHF β chosen for that n (NaN for the others). */
    public record Row(double sigma, String method, long n, int seed, double klError, double beta) {}

    /**
     * @param closedFormGap largest total-variation distance, over prompts and converged fits,
     *                      between an autograd fit and its method's closed form
     * @param unconverged   fits that hit the iteration cap (small n, where the maximum-likelihood
     *                      estimate runs off to infinity)
     * @param largestUnconvergedN the largest n at which some fit hit the cap (0 if none)
     */
    public record Result(Config config, List<Row> rows, double closedFormGap, int unconverged, long largestUnconvergedN) {
        public double[] errors(double sigma, String method, long n) {
            return rows.stream().filter(r -> r.sigma == sigma && r.method.equals(method) && r.n == n)
                    .mapToDouble(Row::klError).toArray();
        }

        public double median(double sigma, String method, long n) { return LabStats.median(errors(sigma, method, n)); }

        /** Slope of ln(median error) against ln n over the sizes in [minN, maxN]. */
        public double slope(double sigma, String method, long minN, long maxN) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (long n : config.sizes()) {
                if (n >= minN && n <= maxN) { x.add((double) n); y.add(median(sigma, method, n)); }
            }
            return LabStats.logLogSlope(x.stream().mapToDouble(d -> d).toArray(), y.stream().mapToDouble(d -> d).toArray());
        }

        public String summary() {
            StringBuilder sb = new StringBuilder();
            long[] sizes = config.sizes();
            long max = sizes[sizes.length - 1];
            for (double sigma : config.sigmas) {
                sb.append(String.format(Locale.ROOT, "convergence, sigma = %.1f: median E_x KL(pi* || pi_hat) [q1, q3] over %d seeds%n",
                        sigma, config.seeds));
                sb.append(String.format(Locale.ROOT, "%8s", "n"));
                for (String m : METHODS) sb.append(String.format(Locale.ROOT, "%30s", m));
                sb.append('\n');
                for (long n : sizes) {
                    sb.append(String.format(Locale.ROOT, "%8d", n));
                    for (String m : METHODS) {
                        double[] e = errors(sigma, m, n);
                        sb.append(String.format(Locale.ROOT, "%10.3g [%8.3g,%8.3g]", LabStats.median(e),
                                LabStats.quantile(e, 0.25), LabStats.quantile(e, 0.75)));
                    }
                    sb.append('\n');
                }
                long from = Math.min(1L << 12, max / 4);
                sb.append(String.format(Locale.ROOT, "slopes over n >= %d:", from));
                for (String m : METHODS) sb.append(String.format(Locale.ROOT, " %s %.2f", m, slope(sigma, m, from, max)));
                sb.append(String.format(Locale.ROOT, "; RLHF over the last three n %.2f", slope(sigma, "RLHF", max / 4, max)));
                long ref = Math.min(1L << 16, max);
                sb.append(String.format(Locale.ROOT, "; RLHF/RKL error at n = %d: %.1f%n", ref,
                        median(sigma, "RLHF", ref) / median(sigma, "RKL", ref)));
            }
            sb.append(String.format(Locale.ROOT,
                    "autograd fits vs closed forms: max TV %.2e; fits at the iteration cap: %d, none above n = %d%n",
                    closedFormGap, unconverged, largestUnconvergedN));
            return sb.toString();
        }

        public void writeCsv(Path file) {
            List<String> lines = new ArrayList<>();
            for (Row r : rows) {
                lines.add(String.format(Locale.ROOT, "%s,%s,%d,%d,%.9g,%s", r.sigma, r.method, r.n, r.seed, r.klError,
                        Double.isNaN(r.beta) ? "" : String.format(Locale.ROOT, "%.6g", r.beta)));
            }
            LabFiles.writeCsv(file, "sigma,method,n,seed,kl_error,rlhf_beta", lines);
        }

        public void plot(Path png) {
            List<Plots.Panel> panels = new ArrayList<>();
            long[] sizes = config.sizes();
            double[] x = new double[sizes.length];
            for (int i = 0; i < x.length; i++) x[i] = sizes[i];
            for (double sigma : config.sigmas) {
                List<Plots.Series> series = new ArrayList<>();
                for (String m : METHODS) {
                    double[] med = new double[x.length], lo = new double[x.length], hi = new double[x.length];
                    for (int i = 0; i < x.length; i++) {
                        double[] e = errors(sigma, m, sizes[i]);
                        med[i] = LabStats.median(e);
                        lo[i] = LabStats.quantile(e, 0.25);
                        hi[i] = LabStats.quantile(e, 0.75);
                    }
                    series.add(new Plots.Series(m, x, med, lo, hi));
                }
                panels.add(new Plots.Panel(String.format(Locale.ROOT, "sigma = %.1f (median, quartiles)", sigma),
                        "n preference triples", "E_x KL(pi* || pi_hat)", true, true, series));
            }
            Plots.save(png, 2, panels);
        }
    }

    private ConvergenceExperiment() {}

    public static Result run(NDManager manager, Config c) {
        List<Row> rows = new ArrayList<>();
        double gap = 0;
        int unconverged = 0;
        long largest = 0;
        for (int si = 0; si < c.sigmas.length; si++) {
            try (NDManager m = manager.newSubManager()) {
                Fits f = fitAll(m, c, c.sigmas[si], si);
                rows.addAll(f.rows);
                gap = Math.max(gap, f.gap);
                unconverged += f.unconverged;
                largest = Math.max(largest, f.largestUnconvergedN);
            }
        }
        return new Result(c, rows, gap, unconverged, largest);
    }

    private record Fits(List<Row> rows, double gap, int unconverged, long largestUnconvergedN) {}

    private static Fits fitAll(NDManager m, Config c, double sigma, int sigmaIndex) {
        int x = c.prompts, y = c.responses, s = c.seeds;
        long[] sizes = c.sizes();
        int b = s * sizes.length;
        double[] star = new double[b * x * y], base = new double[b * x * y], counts = new double[b * x * y * y];
        double[] n = new double[b];
        for (int seed = 0; seed < s; seed++) {
            SplittableRandom rng = new SplittableRandom(c.seed + 1_000_003L * sigmaIndex + 7919L * seed);
            double[] lpStar = logSoftmaxRows(gaussian(rng, x * y, sigma), x, y);
            double[] lpBase = logSoftmaxRows(gaussian(rng, x * y, sigma), x, y);
            double[] wins = new double[x * y * y];
            long drawn = 0;
            for (int k = 0; k < sizes.length; k++) {
                for (; drawn < sizes[k]; drawn++) {
                    int p = rng.nextInt(x);
                    int a = sample(rng, lpBase, p, y), o = sample(rng, lpBase, p, y);
                    double pa = 1 / (1 + Math.exp(-c.gamma * (lpStar[p * y + a] - lpStar[p * y + o])));
                    if (rng.nextDouble() < pa) wins[(p * y + a) * y + o]++; else wins[(p * y + o) * y + a]++;
                }
                int fit = seed * sizes.length + k;
                System.arraycopy(lpStar, 0, star, fit * x * y, x * y);
                System.arraycopy(lpBase, 0, base, fit * x * y, x * y);
                System.arraycopy(wins, 0, counts, fit * x * y * y, x * y * y);
                n[fit] = sizes[k];
            }
        }
        NDArray lpStar = m.create(star).reshape(b, x, y);
        NDArray lp0 = m.create(base).reshape(b, x, y);
        NDArray w = m.create(counts).reshape(b, x, y, y).div(m.create(n).reshape(b, 1, 1, 1));
        NDArray mu = lp0.exp();
        NDArray muPairs = mu.expandDims(3).mul(mu.expandDims(2)).div(x);
        NDArray zeros = lp0.zerosLike();
        double g = c.gamma;
        int cap = c.maxIterations;
        double tol = 1e-9;

        // R̂: the tabular Bradley–Terry reward fitted on the counts.
        BradleyTerry bt = new BradleyTerry(0);
        TabularDescent.Result rewardFit = TabularDescent.preconditioned(m, zeros, new NDList(w), r ->
                weighted(bt.losses(PairLogProbs.ofScores(r.expandDims(3), r.expandDims(2))), w),
                r -> pairHessian(r, w, 1), tol, cap, MAX_STEP);
        NDArray reward = rewardFit.logits();
        boolean[] ok = rewardFit.converged().clone();

        Pmle pmle = new Pmle(g, 0);
        TabularDescent.Result pmleFit = TabularDescent.preconditioned(m, zeros, new NDList(w), t -> {
            NDArray lp = t.logSoftmax(2);
            return weighted(pmle.losses(PairLogProbs.of(lp.expandDims(3), lp.expandDims(2))), w);
        }, t -> pairHessian(t, w, g), tol, cap, MAX_STEP);

        PreferenceDistillation pd = new PreferenceDistillation(g, 0, false, false);
        NDArray scoresChosen = reward.expandDims(3), scoresRejected = reward.expandDims(2);
        TabularDescent.Result pdFit = TabularDescent.preconditioned(m, zeros, new NDList(muPairs, scoresChosen, scoresRejected), t -> {
            NDArray lp = t.logSoftmax(2);
            return weighted(pd.losses(PairLogProbs.of(lp.expandDims(3), lp.expandDims(2))
                    .withScores(scoresChosen, scoresRejected)), muPairs);
        }, t -> pairHessian(t, muPairs, g), tol, cap, MAX_STEP);

        TabularDescent.Result rklFit = expectationFit(m, ShapedReward.reverseKl(0, g), reward, lp0, x, tol);

        Dpo dpo = new Dpo(c.dpoBeta);
        NDArray ref3 = lp0.expandDims(3), ref2 = lp0.expandDims(2);
        TabularDescent.Result dpoFit = TabularDescent.preconditioned(m, lp0, new NDList(w, ref3, ref2, lp0), t -> {
            NDArray lp = t.logSoftmax(2);
            return weighted(dpo.losses(PairLogProbs.of(lp.expandDims(3), lp.expandDims(2), ref3, ref2)), w);
        }, t -> pairHessian(t.sub(lp0), w, c.dpoBeta), tol, cap, MAX_STEP);

        for (TabularDescent.Result r : List.of(rewardFit, pmleFit, pdFit, rklFit, dpoFit)) {
            for (int i = 0; i < b; i++) ok[i] &= r.converged()[i];
        }
        NDArray targetOfDistribution = reward.div(g).logSoftmax(2);
        double gap = 0;
        gap = Math.max(gap, maxTv(pmleFit.logits(), targetOfDistribution, ok));
        gap = Math.max(gap, maxTv(pdFit.logits(), targetOfDistribution, ok));
        gap = Math.max(gap, maxTv(rklFit.logits(), targetOfDistribution, ok));
        gap = Math.max(gap, maxTv(dpoFit.logits(), lp0.add(reward.div(c.dpoBeta)), ok));

        List<Row> rows = new ArrayList<>();
        addRows(rows, sigma, "PMLE", sizes, s, klError(lpStar, pmleFit.logits()), null);
        addRows(rows, sigma, "PD", sizes, s, klError(lpStar, pdFit.logits()), null);
        addRows(rows, sigma, "RKL", sizes, s, klError(lpStar, rklFit.logits()), null);
        addRows(rows, sigma, "DPO", sizes, s, klError(lpStar, dpoFit.logits()), null);

        // RLHF: every β of the grid, then for each n the β with the smallest median error over seeds.
        double[][] rlhfErrors = new double[c.rlhfBetas.length][];
        for (int k = 0; k < c.rlhfBetas.length; k++) {
            TabularDescent.Result fit = expectationFit(m, ShapedReward.rlhf(c.rlhfBetas[k]), reward, lp0, x, tol);
            for (int i = 0; i < b; i++) ok[i] &= fit.converged()[i];
            gap = Math.max(gap, maxTv(fit.logits(), lp0.add(reward.div(c.rlhfBetas[k])), ok));
            rlhfErrors[k] = klError(lpStar, fit.logits());
            fit.logits().close();
        }
        double[] best = new double[b], bestBeta = new double[b];
        for (int k = 0; k < sizes.length; k++) {
            int chosen = 0;
            double bestMedian = Double.POSITIVE_INFINITY;
            for (int j = 0; j < c.rlhfBetas.length; j++) {
                double[] e = new double[s];
                for (int seed = 0; seed < s; seed++) e[seed] = rlhfErrors[j][seed * sizes.length + k];
                double med = LabStats.median(e);
                if (med < bestMedian) { bestMedian = med; chosen = j; }
            }
            for (int seed = 0; seed < s; seed++) {
                best[seed * sizes.length + k] = rlhfErrors[chosen][seed * sizes.length + k];
                bestBeta[seed * sizes.length + k] = c.rlhfBetas[chosen];
            }
        }
        addRows(rows, sigma, "RLHF", sizes, s, best, bestBeta);
        int unconverged = 0;
        long largest = 0;
        for (int i = 0; i < b; i++) {
            if (!ok[i]) { unconverged++; largest = Math.max(largest, (long) n[i]); }
        }
        return new Fits(rows, gap, unconverged, largest);
    }

    /**
     * Maximises {@code E_π[shaped reward]} exactly on the table by natural-gradient steps
     * {@code θ ← θ − g ⊘ ((β+γ) π_θ / prompts)}, which reach the tabular optimum in one step.
     */
    private static TabularDescent.Result expectationFit(NDManager m, ShapedReward shaped, NDArray reward, NDArray lp0,
                                                        int prompts, double tol) {
        double scale = (shaped.beta() + shaped.gamma()) / prompts;
        return TabularDescent.preconditioned(m, lp0, new NDList(reward, lp0), t -> {
            NDArray lp = t.logSoftmax(2);
            return ExactPolicyGradient.loss(lp, shaped.apply(reward, lp, lp0), 2).mean(new int[] {1});
        }, t -> t.logSoftmax(2).exp().mul(scale).add(Double.MIN_NORMAL), tol, 20, Double.POSITIVE_INFINITY);
    }

    /** Largest change of a logit in one step: Newton from far away can overshoot. */
    private static final double MAX_STEP = 4;

    /**
     * The Hessian of a pairwise logistic loss {@code Σ_{a,b} w_ab ℓ(c (d_a − d_b))} in d, per
     * fit and prompt: {@code c² (diag(S 1) − S)} with {@code S_ab = (w_ab + w_ba) p_ab (1 − p_ab)},
     * {@code p_ab = σ(c (d_a − d_b))}. It is the Hessian of PMLE, DPO, the Bradley–Terry loss
     * and PD's cross-entropy alike, because all are Bernoulli likelihoods with the canonical
     * link; softmax adds nothing, since pair losses see only differences of log-probs.
     */
    private static NDArray pairHessian(NDArray d, NDArray w, double c) {
        NDArray z = d.expandDims(3).sub(d.expandDims(2)).mul(c);
        NDArray p = z.getNDArrayInternal().sigmoid();
        NDArray s = w.add(w.transpose(0, 1, 3, 2)).mul(p.mul(p.neg().add(1)));
        long y = d.getShape().get(2);
        NDArray eye = d.getManager().eye((int) y).toType(d.getDataType(), false);
        return s.sum(new int[] {3}).expandDims(3).mul(eye).sub(s).mul(c * c);
    }

    /** Per fit: {@code Σ_{x,a,b} weight · loss}, the losses being [B, X, Y, Y]. */
    private static NDArray weighted(NDArray losses, NDArray weights) {
        return losses.mul(weights).sum(new int[] {1, 2, 3});
    }

    /** Per fit: {@code mean_x KL(π*(·|x) ‖ π̂(·|x))}. */
    private static double[] klError(NDArray lpStar, NDArray logits) {
        NDArray lp = logits.logSoftmax(2);
        return lpStar.exp().mul(lpStar.sub(lp)).sum(new int[] {2}).mean(new int[] {1})
                .toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Largest total variation over prompts of the fits flagged {@code ok}. */
    private static double maxTv(NDArray logitsA, NDArray logitsB, boolean[] ok) {
        double[] tv = logitsA.softmax(2).sub(logitsB.softmax(2)).abs().sum(new int[] {2}).mul(0.5)
                .max(new int[] {1}).toDoubleArray();
        double max = 0;
        for (int i = 0; i < tv.length; i++) if (ok[i]) max = Math.max(max, tv[i]);
        return max;
    }

    private static void addRows(List<Row> rows, double sigma, String method, long[] sizes, int seeds, double[] err, double[] beta) {
        for (int seed = 0; seed < seeds; seed++) {
            for (int k = 0; k < sizes.length; k++) {
                int i = seed * sizes.length + k;
                rows.add(new Row(sigma, method, sizes[k], seed, err[i], beta == null ? Double.NaN : beta[i]));
            }
        }
    }

    static double[] gaussian(SplittableRandom rng, int count, double sigma) {
        double[] v = new double[count];
        for (int i = 0; i < count; i++) v[i] = sigma * rng.nextGaussian();
        return v;
    }

    static double[] logSoftmaxRows(double[] logits, int rows, int cols) {
        double[] out = new double[logits.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, logits[r * cols + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.exp(logits[r * cols + j] - max);
            double lse = max + Math.log(sum);
            for (int j = 0; j < cols; j++) out[r * cols + j] = logits[r * cols + j] - lse;
        }
        return out;
    }

    /** One draw from row {@code row} of a table of log-probs. */
    static int sample(SplittableRandom rng, double[] logProbs, int row, int cols) {
        double u = rng.nextDouble(), acc = 0;
        for (int j = 0; j < cols; j++) {
            acc += Math.exp(logProbs[row * cols + j]);
            if (u < acc) return j;
        }
        return cols - 1;
    }

}
