package io.align4j.objective;

import io.align4j.config.Setting;
import io.align4j.config.Settings;
import io.align4j.util.UserError;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Every method a run can train, by the name a config gives it: the one list the trainers, the
 * CLI's help and the config classes read. An objective's hyper-parameters are the components of
 * its record (e.g. {@link Dpo}'s {@code beta}); a run sets them through the config setting of
 * the same name ({@link Setting#hyperParameter}), unset ones keep the record's defaults, and a
 * set one the objective does not take is an error.
 */
public final class Objectives {
    private Objectives() {}

    /** What a method trains on, which picks its trainer and config class. */
    public enum Kind {
        /** Next-token cross-entropy on demonstrations. */
        SFT("supervised fine-tuning"),
        /** A scalar reward model on preference pairs. */
        REWARD_MODEL("a reward model"),
        /** A policy on a fixed file of preference pairs. */
        OFFLINE_PAIRWISE("an offline pairwise objective"),
        /** A policy on unpaired examples labelled desirable or undesirable. */
        UNPAIRED("an unpaired objective"),
        /** A policy on its own samples, scored each step by the run's rewards. */
        ONLINE("an online method");

        private final String description;

        Kind(String description) { this.description = description; }
    }

    /**
     * One method.
     *
     * @param parameters the record whose components are its hyper-parameters (null: none)
     * @param defaults   the record at its defaults, for methods {@link #create} builds (null: built by their trainer)
     */
    public record Method(String name, Kind kind, String summary, Class<? extends Record> parameters,
                         Supplier<? extends Record> defaults) {
        /** Its hyper-parameters' config keys. */
        public List<String> hyperParameterKeys() {
            return parameters == null ? List.of()
                    : Arrays.stream(parameters.getRecordComponents()).map(c -> Settings.snakeCase(c.getName())).toList();
        }
    }

    /** A pairwise objective's entry, named as its record names itself. */
    private static <T extends Record & PairwiseObjective> Method pairwise(Kind kind, String summary, Class<T> type, Supplier<T> defaults) {
        return new Method(defaults.get().name(), kind, summary, type, defaults);
    }

    /** Every method, in the order help texts list them. */
    public static final List<Method> ALL = List.of(
            new Method(io.align4j.config.SftConfig.OBJECTIVE, Kind.SFT, "supervised fine-tuning", null, null),
            pairwise(Kind.REWARD_MODEL, "Bradley–Terry reward model", BradleyTerry.class, BradleyTerry::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "DPO", Dpo.class, Dpo::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "conservative DPO: label smoothing", CDpo.class, CDpo::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "robust DPO: label noise", RobustDpo.class, RobustDpo::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "SLiC hinge", Hinge.class, Hinge::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "IPO", Ipo.class, Ipo::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "SimPO, reference-free", SimPo.class, SimPo::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "preference maximum likelihood", Pmle.class, Pmle::new),
            pairwise(Kind.OFFLINE_PAIRWISE, "mutual-information optimisation, Jensen–Shannon", Mio.class, Mio::new),
            new Method(Kto.NAME, Kind.UNPAIRED, "KTO", Kto.class, Kto::new),
            pairwise(Kind.ONLINE, "preference distillation", PreferenceDistillation.class, PreferenceDistillation::new),
            pairwise(Kind.ONLINE, "REBEL", Rebel.class, Rebel::new),
            new Method("rlhf", Kind.ONLINE, "RLHF with PPO or RLOO", ShapedReward.class, null),
            new Method("rkl", Kind.ONLINE, "reverse-KL minimisation with PPO or RLOO", ShapedReward.class, null),
            new Method("grpo", Kind.ONLINE, "GRPO, Dr. GRPO, DAPO", Grpo.class, null));

    /** The method named {@code name}, if registered. */
    public static Optional<Method> find(String name) {
        return ALL.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** The method named {@code name}; an unknown name is a user error listing the known ones. */
    public static Method method(String name) {
        return find(name).orElseThrow(() -> new UserError("unknown objective '" + name + "' (known: " + names(null) + ")"));
    }

    /** The method named {@code name}, which must be of {@code kind} (its trainer's); otherwise a user error naming those that are. */
    public static Method method(String name, Kind kind) {
        Method method = method(name);
        if (method.kind() != kind)
            throw new UserError("objective " + name + " is not " + kind.description + " (those are: " + names(kind) + ")");
        return method;
    }

    /** The names of the methods of {@code kind} (null: all), comma-separated. */
    public static String names(Kind kind) {
        return ALL.stream().filter(m -> kind == null || m.kind() == kind).map(Method::name).collect(Collectors.joining(", "));
    }

    /** The methods of {@code kind}, each as "name (summary)", comma-separated: for help texts. */
    public static String describe(Kind kind) {
        return ALL.stream().filter(m -> m.kind() == kind).map(m -> m.name() + " (" + m.summary() + ")").collect(Collectors.joining(", "));
    }

    /**
     * Fails when {@code config} sets a hyper-parameter ({@link Setting#hyperParameter}) that
     * {@code name}'s objective does not take, naming those it does.
     */
    public static void checkHyperParameters(String name, Object config) {
        Method method = method(name);
        List<String> taken = method.hyperParameterKeys();
        List<Settings.Entry> hyperParameters = Settings.of(config.getClass()).stream().filter(e -> e.setting().hyperParameter()).toList();
        for (Settings.Entry e : hyperParameters)
            if (e.valueIn(config) != null && !taken.contains(e.key())) {
                List<String> known = hyperParameters.stream().map(Settings.Entry::key).filter(taken::contains).toList();
                throw new UserError("objective " + name + " does not take " + e.key() + " (its hyper-parameters: "
                        + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
            }
    }

    /**
     * The objective {@code name} with the hyper-parameters {@code config} sets (the settings named
     * as the record's components), the rest at their defaults.
     */
    public static Record create(String name, Object config) {
        Method method = method(name);
        if (method.defaults() == null)
            throw new IllegalArgumentException("objective " + name + " is built by its trainer, not by Objectives.create");
        checkHyperParameters(name, config);
        Record defaults = method.defaults().get();
        RecordComponent[] components = method.parameters().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent component = components[i];
            types[i] = component.getType();
            Object given = Settings.find(config.getClass(), component.getName()).map(e -> e.valueIn(config)).orElse(null);
            values[i] = given != null ? given : read(component, defaults);
        }
        try {
            Constructor<? extends Record> canonical = method.parameters().getDeclaredConstructor(types);
            return canonical.newInstance(values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException bad) throw new UserError("objective " + name + ": " + bad.getMessage(), bad);
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("objective " + name + ": no canonical constructor", e);
        }
    }

    /** {@link #create} for a pairwise objective (offline, or PD and REBEL online). */
    public static PairwiseObjective pairwise(String name, Object config) {
        if (create(name, config) instanceof PairwiseObjective p) return p;
        throw new UserError("objective " + name + " is not a pairwise objective");
    }

    private static Object read(RecordComponent component, Record from) {
        try {
            return component.getAccessor().invoke(from);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
