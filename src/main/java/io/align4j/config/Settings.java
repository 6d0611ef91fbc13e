package io.align4j.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** The settings ({@link Setting} fields) of a config class, base class first, with their derived names. */
public final class Settings {
    private Settings() {}

    /** One setting: the field, its YAML key and its flag. */
    public record Entry(Field field, Setting setting) {
        public String key() { return snakeCase(field.getName()); }

        public String flag() { return "--" + key().replace('_', '-'); }

        public Object valueIn(Object config) {
            try {
                return field.get(config);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("setting " + field + " is not public", e);
            }
        }
    }

    /** Every setting of {@code type} and its superclasses, in declaration order from the base down. */
    public static List<Entry> of(Class<?> type) {
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) chain.add(c);
        Collections.reverse(chain);
        List<Entry> entries = new ArrayList<>();
        for (Class<?> c : chain)
            for (Field f : c.getDeclaredFields()) {
                Setting s = f.getAnnotation(Setting.class);
                if (s != null && !Modifier.isStatic(f.getModifiers())) entries.add(new Entry(f, s));
            }
        return entries;
    }

    /** A config of {@code type} at its defaults (every config class has a public no-argument constructor). */
    public static <T> T defaults(Class<T> type) {
        try {
            return type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + " has no public no-argument constructor", e);
        }
    }

    /** The setting of {@code type} whose field is named {@code fieldName}, if any. */
    public static java.util.Optional<Entry> find(Class<?> type, String fieldName) {
        return of(type).stream().filter(e -> e.field().getName().equals(fieldName)).findFirst();
    }

    /** {@code learningRate} → {@code learning_rate}. */
    public static String snakeCase(String camel) {
        StringBuilder b = new StringBuilder();
        for (char ch : camel.toCharArray()) {
            if (Character.isUpperCase(ch)) b.append('_').append(Character.toLowerCase(ch));
            else b.append(ch);
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }
}
