package io.align4j.objective;

import io.align4j.model.ScalarOps;

import ai.djl.ndarray.NDArray;
import io.align4j.util.UserError;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Group Relative Policy Optimisation and its two refinements, as TRL's {@code GRPOTrainer}
 * (1.13, {@code _compute_loss} and {@code _generate_and_score_completions}) defines them, on
 * token-level arrays [B, T] whose {@code mask} is 1 on response tokens.
 *
 * <p><b>Advantages</b> ({@link #advantages}): the k completions of a prompt form a group; with
 * r_i the (weighted) reward of completion i, {@code A_i = r_i − mean_group(r)}, divided by
 * {@code std_group(r) + 1e-4} (Bessel-corrected standard deviation) when the loss type scales
 * rewards. A group whose rewards are all equal has std 0 and advantage 0: it teaches nothing.
 *
 * <p><b>Per-token loss</b>, with {@code ρ_t = exp(ln π_θ(a_t) − ln π_old(a_t))} and the
 * sequence's advantage A broadcast over its tokens:
 * <pre>
 *   ℓ_t = −min(ρ_t A, clip(ρ_t, 1 − ε_low, 1 + ε_high) A) + β · k3_t
 *   k3_t = exp(ln π_0(a_t) − ln π_θ(a_t)) − (ln π_0(a_t) − ln π_θ(a_t)) − 1     (only when β > 0)
 * </pre>
 * <b>Aggregation</b> by loss type:
 * <ul>
 *   <li>{@code grpo} (Shao et al. 2024, DeepSeekMath): mean over each sequence's tokens, then
 *       mean over sequences; rewards scaled by the group std.</li>
 *   <li>{@code dr_grpo} (Liu et al. 2025, "Understanding R1-Zero-Like Training", Dr. GRPO):
 *       {@code Σ_{b,t} ℓ_t / (B · L_max)}, a constant normaliser (L_max = the completion
 *       length limit) so long answers are not favoured; rewards not scaled by the std
 *       (the paper's second fix; TRL's {@code scale_rewards="none"}).</li>
 *   <li>{@code dapo} (Yu et al. 2025, DAPO): token-level mean,
 *       {@code Σ_{b,t} ℓ_t / N} with N the number of response tokens per update over the whole
 *       rollout (TRL: {@code num_items_in_batch} of the generation batch divided by the updates it
 *       is cut into), asymmetric clipping ε_high ≥ ε_low (the paper recommends 0.2 / 0.28;
 *       TRL's default leaves ε_high = ε_low); rewards scaled by the group std. DAPO's dynamic
 *       sampling lives in the trainer ({@code GrpoTask}), not in the loss.</li>
 * </ul>
 * Metrics (TRL's names): {@code clip_ratio/low_mean} (share of tokens with ρ < 1 − ε_low and A < 0),
 * {@code clip_ratio/high_mean} (ρ > 1 + ε_high and A > 0), {@code clip_ratio/region_mean}
 * (either), and {@code kl} (mean k3 over response tokens) when β > 0.
 *
 * @param maxCompletionLength L_max of {@code dr_grpo}
 */
public record Grpo(LossType lossType, double epsilonLow, double epsilonHigh, double beta, int maxCompletionLength) {

    /** How per-token losses become one number, and whether advantages are scaled by the group std. */
    public enum LossType {
        GRPO(true), DR_GRPO(false), DAPO(true);

        private final boolean scaleRewards;

        LossType(boolean scaleRewards) { this.scaleRewards = scaleRewards; }

        /** Whether advantages are divided by the group's standard deviation. */
        public boolean scaleRewards() { return scaleRewards; }

        /** {@code grpo}, {@code dr_grpo} or {@code dapo}; anything else is a user error. */
        public static LossType parse(String name) {
            return switch (name == null ? "dapo" : name.toLowerCase(Locale.ROOT)) {
                case "grpo" -> GRPO;
                case "dr_grpo" -> DR_GRPO;
                case "dapo" -> DAPO;
                default -> throw new UserError("loss_type '" + name + "': expected grpo, dr_grpo or dapo");
            };
        }
    }

    public Grpo {
        if (!(epsilonLow >= 0 && epsilonLow < 1) || !(epsilonHigh >= 0))
            throw new UserError("GRPO clipping: need 0 <= epsilon_low < 1 and epsilon_high >= 0, got " + epsilonLow + ", " + epsilonHigh);
        if (!(beta >= 0)) throw new UserError("GRPO: beta must be >= 0, was " + beta);
        if (maxCompletionLength < 1) throw new UserError("GRPO: the completion length limit must be >= 1, was " + maxCompletionLength);
    }

    /**
     * Group-relative advantages of {@code rewards}, laid out group after group ({@code k} each).
     *
     * @param advantages [row] A_i
     * @param zeroStd    [group] whether the group's rewards are all equal (std 0), TRL's {@code is_std_zero}
     */
    public record GroupAdvantages(double[] advantages, boolean[] zeroStd) {
        /** Share of groups whose rewards are all equal: TRL's {@code frac_reward_zero_std}. */
        public double fractionZeroStd() {
            int n = 0;
            for (boolean z : zeroStd) if (z) n++;
            return zeroStd.length == 0 ? 0 : (double) n / zeroStd.length;
        }
    }

    /** {@code (r − mean_group) / (std_group + 1e-4)}, or without the division when {@code scale} is false. */
    public static GroupAdvantages advantages(double[] rewards, int k, boolean scale) {
        if (k < 2) throw new IllegalArgumentException("a group needs at least 2 completions, got " + k);
        if (rewards.length % k != 0) throw new IllegalArgumentException(rewards.length + " rewards do not form groups of " + k);
        int groups = rewards.length / k;
        double[] a = new double[rewards.length];
        boolean[] zero = new boolean[groups];
        for (int g = 0; g < groups; g++) {
            double mean = 0, squares = 0;
            for (int j = 0; j < k; j++) mean += rewards[g * k + j] / k;
            for (int j = 0; j < k; j++) squares += (rewards[g * k + j] - mean) * (rewards[g * k + j] - mean);
            double std = Math.sqrt(squares / (k - 1));
            // torch.isclose(std, 0): |std| <= 1e-8 (its default atol)
            zero[g] = std <= 1e-8;
            for (int j = 0; j < k; j++) a[g * k + j] = scale ? (rewards[g * k + j] - mean) / (std + 1e-4) : rewards[g * k + j] - mean;
        }
        return new GroupAdvantages(a, zero);
    }

    /**
     * @param logProbs       [B, T] ln π_θ of each response token (differentiable), zero off the mask
     * @param oldLogProbs    [B, T] ln π_old, the sampling policy's
     * @param refLogProbs    [B, T] ln π_0; may be null when β = 0
     * @param advantages     [B] the sequences' advantages
     * @param mask           [B, T] 1 on response tokens
     * @param dapoNormaliser N of {@code dapo}: response tokens per update over the rollout; unused by the other types
     */
    public ObjectiveOutput loss(NDArray logProbs, NDArray oldLogProbs, NDArray refLogProbs, NDArray advantages,
                                NDArray mask, double dapoNormaliser) {
        NDArray a = advantages.stopGradient().reshape(-1, 1);
        NDArray logRatio = logProbs.sub(oldLogProbs.stopGradient());
        NDArray ratio = logRatio.exp();
        NDArray clipped = ScalarOps.minimum(ScalarOps.maximum(ratio, 1 - epsilonLow), 1 + epsilonHigh);
        NDArray perToken = ratio.mul(a).minimum(clipped.mul(a)).neg();
        NDArray kl = null;
        if (beta > 0) {
            if (refLogProbs == null) throw new IllegalArgumentException("beta > 0 needs the reference log-probs");
            NDArray d = refLogProbs.stopGradient().sub(logProbs);
            kl = d.exp().sub(d).sub(ScalarOps.constant(d, 1));
            perToken = perToken.add(ScalarOps.mul(kl, beta));
        }
        long rows = logProbs.getShape().get(0);
        NDArray loss = switch (lossType) {
            case GRPO -> MaskedMean.perRow(perToken, mask).mean();
            case DR_GRPO -> ScalarOps.div(perToken.mul(mask).sum(), (double) rows * maxCompletionLength);
            case DAPO -> ScalarOps.div(perToken.mul(mask).sum(), Math.max(dapoNormaliser, 1));
        };

        NDArray r = ratio.stopGradient(), aFull = a.broadcast(r.getShape());
        NDArray low = r.lt(ScalarOps.constant(r, 1 - epsilonLow)).logicalAnd(aFull.lt(ScalarOps.constant(aFull, 0)));
        NDArray high = r.gt(ScalarOps.constant(r, 1 + epsilonHigh)).logicalAnd(aFull.gt(ScalarOps.constant(aFull, 0)));
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put("clip_ratio/low_mean", share(low, mask));
        m.put("clip_ratio/high_mean", share(high, mask));
        m.put("clip_ratio/region_mean", share(low.logicalOr(high), mask));
        if (kl != null) m.put("kl", MaskedMean.of(kl.stopGradient(), mask));
        return new ObjectiveOutput(loss, m);
    }

    private static NDArray share(NDArray flags, NDArray mask) {
        return MaskedMean.of(flags.toType(mask.getDataType(), false), mask);
    }
}
