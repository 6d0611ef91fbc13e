package io.align4j.testing;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;

/**
 * How many arrays a manager holds, its sub-managers' included. An array attached to a long-lived
 * manager (a model's) lives until that manager closes, so a per-step computation that attaches one
 * there is a leak of native memory that no JVM figure shows; DJL keeps the list in a protected field.
 */
public final class ManagedArrays {
    private ManagedArrays() {}

    public static int count(NDManager manager) {
        try {
            Field resources = BaseNDManager.class.getDeclaredField("resources");
            resources.setAccessible(true);
            int n = 0;
            for (Object r : ((java.util.Map<?, ?>) resources.get(manager)).values()) {
                if (r instanceof NDArray) n++;
                else if (r instanceof NDManager child) n += count(child);
            }
            return n;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's BaseNDManager no longer has the field 'resources'", e);
        }
    }
}
