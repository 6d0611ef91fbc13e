package io.align4j.quickstart;

import io.align4j.config.ConfigLoader;
import io.align4j.config.OnlineConfig;
import io.align4j.config.PolicyConfig;
import io.align4j.config.RunConfig;
import io.align4j.eval.Tilt;
import io.align4j.objective.Dpo;
import io.align4j.objective.Objectives;
import io.align4j.objective.Pmle;
import io.align4j.objective.PreferenceDistillation;
import io.align4j.objective.ShapedReward;
import io.align4j.train.OnlineTrainer;
import io.align4j.train.Training;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The distribution a method converges to with unlimited data and optimisation, on a task whose
 * labels are {@code P(a ≻ b) = σ(γ[ln π*(a) − ln π*(b)])} with {@code π* ∝ π_0·e^{r/τ}} (the
 * distribution-learning source, "Alignment as Distribution Learning", Yun et al. 2025, §3–4, and
 * {@code OBJECTIVES.md} §1). A Bradley–Terry reward model at its optimum is
 * {@code R̂ = γ ln π* + c(x)}. Every closed form below is {@code π_0^c · π*^d} normalised, a
 * {@link Tilt} with {@code a = c + d}, {@code b = d/τ}:
 * <pre>
 *   DPO (β), RLHF (KL β)                       π_0 · π*^{γ/β}                    (c = 1, d = γ/β)
 *   RKL (KL β, entropy γ_e)                    π_0^{β/(β+γ_e)} · π*^{γ/(β+γ_e)}   (RKL at β = 0, γ_e = γ: π*)
 *   PMLE (γ_m, β = 0)                          π*^{γ/γ_m}                        (γ_m = γ: π*)
 *   PD (γ_m, β = 0, z on ln π_θ)               π*^{γ/γ_m}
 *   PD (β as shaping, z on ln π_θ)             π_0^{β/(γ_m+β)} · π*^{γ/(γ_m+β)}
 *   PD (β as shaping, z on ln π_θ − ln π_t)    π_0 · π*^{γ/β}                    (its fixed point π_t = π_θ)
 * </pre>
 * Methods without one (MIO, REBEL, whose every rollout tilts the last policy again, PMLE and PD
 * with an explicit KL term, whose optimum mixes the two losses) give none.
 */
public final class PredictedOptimum {
    private PredictedOptimum() {}

    /**
     * @param config     the method's run settings (its objective and hyper-parameters)
     * @param labelGamma γ of the task's labeller
     * @param tau        τ of the task's target
     */
    public static Optional<Tilt> of(PolicyConfig config, double labelGamma, double tau) {
        String name = config.objective;
        switch (name) {
            case "dpo" -> {
                Dpo dpo = (Dpo) Objectives.create(name, config);
                return Optional.of(tilt(1, labelGamma / dpo.beta(), tau));
            }
            case "pmle" -> {
                Pmle pmle = (Pmle) Objectives.create(name, config);
                return pmle.beta() == 0 ? Optional.of(tilt(0, labelGamma / pmle.gamma(), tau)) : Optional.empty();
            }
            case "pd" -> {
                PreferenceDistillation pd = (PreferenceDistillation) Objectives.create(name, config);
                double g = pd.gamma(), beta = pd.beta();
                if (beta == 0 && !pd.ratioToSampling()) return Optional.of(tilt(0, labelGamma / g, tau));
                if (beta > 0 && pd.klAsShaping() && pd.ratioToSampling()) return Optional.of(tilt(1, labelGamma / beta, tau));
                if (beta > 0 && pd.klAsShaping()) return Optional.of(tilt(beta / (g + beta), labelGamma / (g + beta), tau));
                return Optional.empty();
            }
            case "rlhf", "rkl" -> {
                if (!(config instanceof OnlineConfig online)) return Optional.empty();
                ShapedReward s = OnlineTrainer.shaping(online);
                double temperature = s.beta() + s.gamma();
                return temperature > 0 ? Optional.of(tilt(s.beta() / temperature, labelGamma / temperature, tau)) : Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    /**
     * The predicted optimum of the run that wrote {@code model}: its {@code config.yaml} is found in
     * the model's folder or the two above it (a run's output, or one of its checkpoints). Empty when
     * there is none, or when the run's method has no closed-form optimum.
     */
    public static Optional<Tilt> ofRun(Path model, double labelGamma, double tau) {
        Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
        for (int up = 0; dir != null && up < 3; up++, dir = dir.getParent()) {
            Path yaml = dir.resolve("config.yaml");
            if (!Files.isRegularFile(yaml)) continue;
            String objective = ConfigLoader.peek(yaml, "objective");
            if (objective == null) return Optional.empty();
            RunConfig config;
            try {
                config = ConfigLoader.read(yaml, Training.newConfig(objective).getClass());
            } catch (IOException e) {
                throw new UserError(yaml + ": cannot read the run's settings to find its predicted optimum: " + e.getMessage(), e);
            }
            return config instanceof PolicyConfig p ? of(p, labelGamma, tau) : Optional.empty();
        }
        return Optional.empty();
    }

    /** π_0^c · π*^d for explicit c and d. */
    public static Tilt of(double c, double d, double tau) {
        return tilt(c, d, tau);
    }

    /** π_0^c · π*^d as a tilt of π_0: a = c + d, b = d/τ. */
    static Tilt tilt(double c, double d, double tau) {
        return new Tilt("optimum", c + d, d / tau, describe(c, d));
    }

    static String describe(double c, double d) {
        String star = close(d, 1) ? "π*" : "π*^" + number(d);
        if (close(c, 0)) return star;
        return (close(c, 1) ? "π_0" : "π_0^" + number(c)) + "·" + star;
    }

    private static boolean close(double x, double y) {
        return Math.abs(x - y) < 1e-9;
    }

    private static String number(double x) {
        return String.format(Locale.ROOT, "%.3g", x).replaceAll("\\.?0+$", "");
    }
}
