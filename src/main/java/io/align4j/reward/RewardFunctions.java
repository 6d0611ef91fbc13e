package io.align4j.reward;

import io.align4j.util.UserError;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds the {@link RewardFunction} that {@code --reward-class NAME} names. */
public final class RewardFunctions {
    private RewardFunctions() {}

    /**
     * The registered ({@link ServiceLoader}) reward whose {@link RewardFunction#name()}, class name or
     * simple class name is {@code name}; otherwise a new instance of the class {@code name} on the class path.
     */
    public static RewardFunction load(String name) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        List<String> known = new ArrayList<>();
        for (ServiceLoader.Provider<RewardFunction> p : ServiceLoader.load(RewardFunction.class, loader).stream().toList()) {
            if (p.type().getName().equals(name) || p.type().getSimpleName().equals(name)) return p.get();
            RewardFunction f = p.get();
            if (f.name().equals(name)) return f;
            known.add(f.name());
        }
        Class<?> type;
        try {
            type = Class.forName(name, true, loader);
        } catch (ClassNotFoundException e) {
            throw new UserError("--reward-class " + name + ": no registered reward of that name (registered: " + known
                    + ") and no class of that name on the class path");
        }
        if (!RewardFunction.class.isAssignableFrom(type))
            throw new UserError("--reward-class " + name + ": the class does not implement " + RewardFunction.class.getName());
        try {
            return (RewardFunction) type.getDeclaredConstructor().newInstance();
        } catch (NoSuchMethodException | IllegalAccessException | InstantiationException e) {
            throw new UserError("--reward-class " + name + ": needs a public no-argument constructor (" + e + ")");
        } catch (InvocationTargetException e) {
            throw new UserError("--reward-class " + name + ": its constructor threw " + e.getCause());
        }
    }
}
