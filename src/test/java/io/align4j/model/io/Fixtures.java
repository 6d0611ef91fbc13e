package io.align4j.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.ParameterLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Tiny models, seeded N(0, 0.02) parameters, and an independent reference for 16-bit rounding. */
public final class Fixtures {
    private Fixtures() {}

    /** Grouped-query attention (4 query heads, 2 kv heads) and an untied classifier. */
    public static final ModelConfig TINY_LLAMA = ModelConfig.llama(
            16, 40, 2, 4, 2, 37, 24, 1e-5, 10000.0, false, 1, 2);

    public static final ModelConfig TINY_GPT2 = ModelConfig.gpt2(12, 48, 2, 3, 29, 16, 1e-5, 28, 28);

    /** Every parameter of the layout drawn from N(0, 0.02) with one seeded generator, in layout order. */
    public static Map<String, NDArray> randomParameters(ModelConfig config, NDManager manager, long seed) {
        Random random = new Random(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> p : ParameterLayout.of(config).entrySet()) {
            float[] values = new float[Math.toIntExact(p.getValue().size())];
            for (int i = 0; i < values.length; i++) values[i] = (float) (0.02 * random.nextGaussian());
            params.put(p.getKey(), manager.create(values, p.getValue()));
        }
        return params;
    }

    /**
     * The float16 value nearest to {@code x}, ties to even: {@code rint(x / ulp) * ulp} with
     * {@code ulp = 2^(max(e, -14) - 10)}, overflowing to infinity beyond 65504. Done in double,
     * where the scaling by a power of two and {@code Math.rint} (ties to even) are exact.
     */
    public static float roundToHalf(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) return x;
        double ulp = Math.scalb(1.0, Math.max(Math.getExponent(x), -14) - 10);
        double r = Math.rint(x / ulp) * ulp;
        return Math.abs(r) > 65504 ? Math.copySign(Float.POSITIVE_INFINITY, x) : (float) r;
    }

    /** The bfloat16 value nearest to {@code x}, ties to even: 8 significant bits, float32's range. */
    public static float roundToBfloat16(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) return x;
        double ulp = Math.scalb(1.0, Math.max(Math.getExponent(x), -126) - 7);
        return (float) (Math.rint(x / ulp) * ulp);
    }
}
