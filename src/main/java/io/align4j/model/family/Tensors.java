package io.align4j.model.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.Linear;
import io.align4j.model.TransformerWeights;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a {@link Family#bind} takes its tensors from. The same binding code runs against a
 * {@link #recorder} (which only notes each name and shape: that is the parameter layout) and
 * against the loaded parameters ({@link #of}).
 */
public abstract class Tensors {

    /** The tensor {@code name} of shape {@code shape}. */
    public abstract NDArray get(String name, long... shape);

    /** A dense layer {@code module.weight} [out, in], with {@code module.bias} [out] when {@code bias}. */
    public Linear dense(String module, long out, long in, boolean bias) {
        return new Linear.Dense(module, get(module + ".weight", out, in), bias ? get(module + ".bias", out) : null,
                false, (int) in, (int) out);
    }

    /** GPT-2's {@code Conv1D}: {@code module.weight} stored [in, out] and {@code module.bias} [out]. */
    public Linear conv1d(String module, long in, long out) {
        return new Linear.Dense(module, get(module + ".weight", in, out), get(module + ".bias", out), true, (int) in, (int) out);
    }

    /**
     * The classifier {@code module} [vocab, dim]: the token embedding itself when the config ties
     * them (no tensor of its own), else {@code module.weight}.
     */
    public Linear classifier(io.align4j.model.ModelConfig c, NDArray embedding, String module) {
        return c.tiedEmbeddings() ? new Linear.Dense(module, embedding, null, false, c.dim(), c.vocabSize())
                : dense(module, c.vocabSize(), c.dim(), false);
    }

    /** A norm {@code module.weight} [n], with {@code module.bias} [n] when {@code bias}. */
    public TransformerWeights.Norm norm(String module, long n, boolean bias) {
        return new TransformerWeights.Norm(get(module + ".weight", n), bias ? get(module + ".bias", n) : null);
    }

    /** Notes names and shapes in order; every tensor it returns is null. */
    public static final class Recorder extends Tensors {
        private final Map<String, Shape> layout = new LinkedHashMap<>();

        @Override
        public NDArray get(String name, long... shape) {
            if (layout.put(name, new Shape(shape)) != null) throw new IllegalStateException("tensor " + name + " bound twice");
            return null;
        }

        public Map<String, Shape> layout() { return layout; }
    }

    public static Recorder recorder() { return new Recorder(); }

    /** Tensors from a map already checked against the layout. */
    public static Tensors of(Map<String, NDArray> params) {
        return new Tensors() {
            @Override
            public NDArray get(String name, long... shape) {
                NDArray a = params.get(name);
                if (a == null) throw new IllegalArgumentException("missing parameter " + name);
                return a;
            }
        };
    }
}
