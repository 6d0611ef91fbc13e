package io.align4j.cli;

import io.align4j.config.RunConfig;
import io.align4j.config.Settings;
import java.lang.reflect.ParameterizedType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The flags of a training command, derived from the settings of its config classes: one option
 * per {@link io.align4j.config.Setting}, named as its key in kebab-case (plus its aliases),
 * described by the setting's text and the default of the first class that declares it. A
 * setting is thus spelled once, in its config class, for YAML, flags and help alike.
 */
final class ConfigFlags {
    private ConfigFlags() {}

    /** Adds the flags of {@code configs}' settings to {@code spec} (a setting shared by several classes once). */
    @SafeVarargs
    static CommandSpec addTo(CommandSpec spec, Class<? extends RunConfig>... configs) {
        Map<String, Settings.Entry> byKey = new LinkedHashMap<>();
        Map<String, Object> defaults = new LinkedHashMap<>();
        for (Class<? extends RunConfig> type : configs) {
            RunConfig instance = Settings.defaults(type);
            for (Settings.Entry e : Settings.of(type))
                if (byKey.putIfAbsent(e.key(), e) == null) defaults.put(e.key(), e.valueIn(instance));
        }
        for (Settings.Entry e : byKey.values()) spec.addOption(option(e, defaults.get(e.key())));
        return spec;
    }

    /** The settings given on the command line, by key; flags not given are absent. */
    static Map<String, Object> given(CommandSpec spec) {
        Map<String, Object> values = new LinkedHashMap<>();
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        for (OptionSpec o : spec.options()) {
            Object key = o.userObject();
            if (key instanceof SettingKey k && parsed.hasMatchedOption(o)) values.put(k.key(), o.getValue());
        }
        return values;
    }

    /** Marks an option as a setting's flag, carrying its config key. */
    private record SettingKey(String key) {}

    private static OptionSpec option(Settings.Entry e, Object defaultValue) {
        List<String> names = new ArrayList<>();
        names.add(e.flag());
        names.addAll(List.of(e.setting().aliases()));
        Class<?> type = e.field().getType();
        String description = e.setting().value() + (defaultValue == null ? "" : " Default: " + defaultValue + ".");
        OptionSpec.Builder b = OptionSpec.builder(names.toArray(String[]::new)).description(description)
                .userObject(new SettingKey(e.key()));
        if (List.class.isAssignableFrom(type)) {
            Class<?> element = (Class<?>) ((ParameterizedType) e.field().getGenericType()).getActualTypeArguments()[0];
            b.type(List.class).auxiliaryTypes(element).paramLabel(element == Double.class ? "X" : "TEXT");
            if (Number.class.isAssignableFrom(element)) b.splitRegex(",");
        } else if (type == boolean.class || type == Boolean.class) {
            b.type(Boolean.class).arity("0..1").paramLabel("BOOL");
        } else {
            b.type(type).paramLabel(type == String.class ? "TEXT" : type == int.class || type == long.class || type == Integer.class
                    || type == Long.class ? "N" : "X");
        }
        return b.build();
    }
}
