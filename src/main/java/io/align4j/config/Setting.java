package io.align4j.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a field of a run configuration as a setting: its YAML key is the field name in
 * snake_case, its flag the same in kebab-case, and {@link #value} is the description both show
 * (with the unit, where there is one). The default is the field's initial value. A setting is
 * therefore spelled once, here; {@link Settings} derives everything else from it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Setting {
    /** What the setting means, with its unit; one or two sentences. */
    String value();

    /** Extra flag names, e.g. TRL's spelling of the same setting ({@code --num-generations}). */
    String[] aliases() default {};

    /**
     * An objective hyper-parameter: null means the objective's own default, and a value the
     * objective does not take is an error (see {@link io.align4j.objective.Objectives}).
     */
    boolean hyperParameter() default false;
}
