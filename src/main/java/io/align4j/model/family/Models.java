package io.align4j.model.family;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.align4j.model.BlockFeatures;
import io.align4j.model.CausalLM;
import io.align4j.model.Linear;
import io.align4j.model.ModelConfig;
import io.align4j.model.Transformer;
import io.align4j.util.UserError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Builds models from named parameters, fresh random ones, and trainable or frozen copies. */
public final class Models {
    private Models() {}

    /**
     * The model of {@code config.family()} over {@code params}, whose names and shapes must be
     * exactly those of {@link ParameterLayout}. The model takes a sub-manager of {@code manager}
     * and moves the parameters into it; closing the model frees them.
     *
     * @throws UserError naming the parameter that is missing, unexpected or of the wrong shape
     *                   or dtype (parameters usually come from a checkpoint file)
     */
    public static CausalLM create(ModelConfig config, Map<String, NDArray> params, NDManager manager) {
        Map<String, Shape> layout = ParameterLayout.of(config);
        DataType dtype = params.isEmpty() ? null : params.values().iterator().next().getDataType();
        for (String name : params.keySet())
            if (!layout.containsKey(name)) throw new UserError("unexpected parameter " + name + " for a " + config.family() + " model");
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        NDManager owner = manager.newSubManager();
        for (Map.Entry<String, Shape> e : layout.entrySet()) {
            NDArray p = params.get(e.getKey());
            if (p == null) throw new UserError("missing parameter " + e.getKey() + " of shape " + e.getValue());
            if (!p.getShape().equals(e.getValue()))
                throw new UserError("parameter " + e.getKey() + " has shape " + p.getShape() + ", expected " + e.getValue());
            if (p.getDataType() != dtype)
                throw new UserError("parameter " + e.getKey() + " is " + p.getDataType() + ", others are " + dtype);
            if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64)
                throw new UserError("parameter " + e.getKey() + " is " + dtype + "; models compute in float32 or float64");
            p.attach(owner);
            ordered.put(e.getKey(), p);
        }
        return new Transformer(config, ordered, Families.of(config).bind(config, Tensors.of(ordered)), owner);
    }

    /**
     * A freshly initialised model in the style of GPT-2: every matrix and embedding drawn from
     * N(0, 0.02²), norm weights the identity (1, or 0 where the norm scales by 1 + w), biases 0. The draws come from a Java generator seeded with
     * {@code seed}, so the same seed gives the same model on every engine and thread count.
     */
    public static CausalLM randomInit(ModelConfig config, NDManager manager, long seed, DataType dtype) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        // the stored weight of a norm that scales by 1 + w (Gemma) is 0 for the identity
        double unitNorm = config.features().norm() == BlockFeatures.Norm.RMS_UNIT_OFFSET ? 0 : 1;
        for (Map.Entry<String, Shape> e : ParameterLayout.of(config).entrySet()) {
            String name = e.getKey();
            double[] values = new double[Math.toIntExact(e.getValue().size())];
            boolean matrix = e.getValue().dimension() > 1;
            boolean normWeight = !matrix && !name.endsWith(".bias");
            for (int i = 0; i < values.length; i++) values[i] = matrix ? 0.02 * gaussian(random) : normWeight ? unitNorm : 0;
            NDArray drawn = manager.create(values, e.getValue());
            NDArray typed = drawn.toType(dtype, false);
            if (typed != drawn) drawn.close(); // the float64 draws would otherwise stay in the model's manager beside its weights
            params.put(name, typed);
        }
        return create(config, params, manager);
    }

    /** Marks every parameter as trained: each gets a gradient array that autograd fills. */
    public static CausalLM trainable(CausalLM model) {
        for (NDArray p : model.parameters().values()) p.setRequiresGradient(true);
        return model;
    }

    /**
     * A frozen copy (for example the reference policy of DPO or PPO): duplicated parameters,
     * none requiring a gradient, so it holds no gradient memory and autograd records nothing
     * through it.
     */
    public static CausalLM frozenCopy(CausalLM model, NDManager manager) {
        Map<String, NDArray> copy = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            NDArray detached = e.getValue().stopGradient();
            NDArray copied = detached.duplicate();
            copied.attach(manager);
            detached.close();
            copy.put(e.getKey(), copied);
        }
        return create(model.config(), copy, manager);
    }

    /**
     * A model over {@code base}'s parameters (shared, not copied) whose block linear layers are
     * {@code f} of the base's: the seam low-rank adapters use. The view owns a sub-manager of the
     * base's for its own short-lived arrays; closing it leaves the base and its arrays open.
     */
    public static CausalLM withLinears(CausalLM base, java.util.function.UnaryOperator<Linear> f) {
        Transformer t = (Transformer) base;
        return new Transformer(base.config(), base.parameters(), t.weights().mapLinears(f), base.manager().newSubManager());
    }

    /** Standard normal draw (Box–Muller) from a {@link SplittableRandom}, which lacks one. */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
