package io.align4j.objective;

import io.align4j.util.UserError;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Pairwise objectives by name, as a trainer's config names them, with hyper-parameters that
 * override the defaults of each class. Keys: {@code beta}, {@code epsilon}, {@code gamma},
 * {@code gamma_margin}, {@code eta}, {@code margin}, {@code length_normalised},
 * {@code ratio_to_sampling}, {@code kl_as_shaping}, {@code desirable_weight},
 * {@code undesirable_weight}; values are numbers or booleans (as YAML gives them) or their text.
 * KTO, which trains on unpaired examples, is made by {@link #kto}.
 */
public final class Objectives {
    private Objectives() {}

    /** Every name {@link #create} accepts. */
    public static final List<String> NAMES =
            List.of("dpo", "cdpo", "robust", "hinge", "ipo", "simpo", "pmle", "mio", "pd", "rebel", "bt");

    public static PairwiseObjective create(String name, Map<String, ?> params) {
        Params p = new Params(name, params);
        PairwiseObjective objective = switch (name) {
            case "dpo" -> new Dpo(p.num("beta", new Dpo().beta()));
            case "cdpo" -> new CDpo(p.num("beta", new CDpo().beta()), p.num("epsilon", new CDpo().epsilon()));
            case "robust" -> {
                double eps = p.num("epsilon", new RobustDpo().epsilon());
                if (!(eps >= 0 && eps < 0.5)) throw new UserError("objective robust: epsilon must lie in [0, 0.5), got " + eps);
                yield new RobustDpo(p.num("beta", new RobustDpo().beta()), eps);
            }
            case "hinge" -> new Hinge(p.num("beta", new Hinge().beta()));
            case "ipo" -> new Ipo(p.num("beta", new Ipo().beta()), p.flag("length_normalised", new Ipo().lengthNormalised()));
            case "simpo" -> new SimPo(p.num("beta", new SimPo().beta()), p.num("gamma_margin", new SimPo().gammaMargin()));
            case "pmle" -> new Pmle(p.num("gamma", new Pmle().gamma()), p.num("beta", new Pmle().beta()));
            case "mio" -> new Mio(p.num("beta", new Mio().beta()));
            case "pd" -> {
                PreferenceDistillation d = new PreferenceDistillation();
                yield new PreferenceDistillation(p.num("gamma", d.gamma()), p.num("beta", d.beta()),
                        p.flag("ratio_to_sampling", d.ratioToSampling()), p.flag("kl_as_shaping", d.klAsShaping()));
            }
            case "rebel" -> new Rebel(p.num("eta", new Rebel().eta()));
            case "bt" -> new BradleyTerry(p.num("margin", new BradleyTerry().margin()));
            default -> throw new UserError("unknown objective '" + name + "' (known: " + String.join(", ", NAMES)
                    + "; on unpaired data: " + Kto.NAME + ")");
        };
        p.rejectUnused();
        return objective;
    }

    /** KTO with {@code beta}, {@code desirable_weight} and {@code undesirable_weight} overriding its defaults. */
    public static Kto kto(Map<String, ?> params) {
        Params p = new Params(Kto.NAME, params);
        Kto d = new Kto();
        Kto kto = new Kto(p.num("beta", d.beta()), p.num("desirable_weight", d.desirableWeight()),
                p.num("undesirable_weight", d.undesirableWeight()));
        p.rejectUnused();
        return kto;
    }

    /** Reads hyper-parameters and remembers which were used, so that a misspelt key is an error. */
    private static final class Params {
        private final String objective;
        private final Map<String, ?> values;
        private final Set<String> used = new TreeSet<>();

        Params(String objective, Map<String, ?> values) {
            this.objective = objective;
            this.values = values == null ? Map.of() : values;
        }

        double num(String key, double fallback) {
            used.add(key);
            Object v = values.get(key);
            if (v == null) return fallback;
            if (v instanceof Number n) return n.doubleValue();
            try {
                return Double.parseDouble(v.toString().trim());
            } catch (NumberFormatException e) {
                throw new UserError("objective " + objective + ": hyper-parameter '" + key + "' must be a number, got '" + v + "'");
            }
        }

        boolean flag(String key, boolean fallback) {
            used.add(key);
            Object v = values.get(key);
            if (v == null) return fallback;
            if (v instanceof Boolean b) return b;
            String s = v.toString().trim().toLowerCase();
            if (s.equals("true") || s.equals("false")) return Boolean.parseBoolean(s);
            throw new UserError("objective " + objective + ": hyper-parameter '" + key + "' must be true or false, got '" + v + "'");
        }

        void rejectUnused() {
            Set<String> unknown = new TreeSet<>(values.keySet());
            unknown.removeAll(used);
            if (!unknown.isEmpty()) {
                throw new UserError("objective " + objective + ": unknown hyper-parameter(s) " + unknown + " (known: " + used + ")");
            }
        }
    }
}
