package io.align4j.model;

import io.align4j.model.family.ParameterLayout;
import io.align4j.model.family.Models;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.align4j.generate.Generation;
import io.align4j.generate.SamplingConfig;
import io.align4j.generate.Sampler;
import io.align4j.testing.CentralDifference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Autograd through both families against central finite differences (float64), and a few AdamW steps. */
class GradientAndTrainingTest {
    /** Grouped-query attention (4 query heads over 2 key/value heads) and an untied classifier. */
    static final ModelConfig TINY_LLAMA = ModelConfig.llama(16, 24, 2, 4, 2, 13, 32, 1e-5, 10000, false, 1, 2);
    static final ModelConfig TINY_GPT2 = ModelConfig.gpt2(16, 64, 2, 4, 13, 32, 1e-5, -1, -1);

    static final List<int[]> PROMPTS = List.of(new int[] {1, 5, 7}, new int[] {1}, new int[] {1, 4, 4, 9, 3, 2});
    static final List<int[]> RESPONSES = List.of(new int[] {8, 2}, new int[] {3, 11, 12, 6, 5}, new int[] {10});

    @Test
    void llamaGradientsMatchFiniteDifferences() {
        checkGradients(TINY_LLAMA, List.of("model.embed_tokens.weight", "model.layers.0.input_layernorm.weight",
                "model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                "model.layers.1.self_attn.v_proj.weight", "model.layers.1.mlp.down_proj.weight", "lm_head.weight"));
    }

    @Test
    void gpt2GradientsMatchFiniteDifferences() {
        checkGradients(TINY_GPT2, List.of("transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight",
                "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias", "transformer.h.1.mlp.c_fc.weight",
                "transformer.h.1.mlp.c_proj.bias", "transformer.ln_f.bias"));
    }

    /** Random float64 parameters with O(1) activations: matrices N(0, 0.3²), norm weights 1 + N(0, 0.1²). */
    private static Map<String, double[]> parameters(ModelConfig config, long seed) {
        java.util.Random random = new java.util.Random(seed);
        Map<String, double[]> values = new LinkedHashMap<>();
        ParameterLayout.of(config).forEach((name, shape) -> {
            double[] v = new double[(int) shape.size()];
            for (int i = 0; i < v.length; i++) v[i] = shape.dimension() > 1 ? 0.3 * random.nextGaussian() : (name.endsWith(".bias") ? 0 : 1) + 0.1 * random.nextGaussian();
            values.put(name, v);
        });
        return values;
    }

    private static CausalLM build(ModelConfig config, Map<String, double[]> values, NDManager m) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        Map<String, ai.djl.ndarray.types.Shape> layout = ParameterLayout.of(config);
        values.forEach((name, v) -> params.put(name, m.create(v, layout.get(name))));
        return Models.create(config, params, m);
    }

    private static double summedResponseLogProb(CausalLM model, NDManager m) {
        return SequenceScorer.score(model, ResponseBatch.rightPadded(m, PROMPTS, RESPONSES, 0)).sequenceLogProbs().sum().toType(DataType.FLOAT64, false).getDouble();
    }

    private static void checkGradients(ModelConfig config, List<String> names) {
        checkGradients(config, names, 3);
    }

    /**
     * Autograd of the summed response log-prob against central differences at {@code entries}
     * positions (first, a third in, last, ...) of each named parameter; most must have a
     * non-vanishing gradient (a key bias, for one, has none: softmax ignores a shift shared by all keys).
     */
    static void checkGradients(ModelConfig config, List<String> names, int entries) {
        Map<String, double[]> values = parameters(config, 17);
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(build(config, values, m));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = SequenceScorer.score(model, ResponseBatch.rightPadded(m, PROMPTS, RESPONSES, 0)).sequenceLogProbs().sum();
                assertEquals(DataType.FLOAT64, loss.getDataType());
                gc.backward(loss);
            }
            double h = 1e-5;
            int checked = 0;
            for (String name : names) {
                double[] grad = model.parameters().get(name).getGradient().toDoubleArray();
                double[] v = values.get(name);
                int[] at = entries >= 3 ? new int[] {0, v.length / 3, v.length - 1} : new int[] {v.length / 3, v.length - 1};
                for (int i : at) {
                    double numeric = CentralDifference.at(v, i, h, () -> evaluate(config, values));
                    double scale = Math.max(Math.abs(numeric), Math.abs(grad[i]));
                    if (scale < 1e-7) continue;
                    assertEquals(0, Math.abs(numeric - grad[i]) / scale, 1e-3,
                            name + "[" + i + "]: autograd " + grad[i] + ", finite difference " + numeric);
                    checked++;
                }
            }
            assertTrue(checked >= (entries >= 3 ? 2 : 1) * names.size(), config.family() + ": most checked entries should have a non-vanishing gradient: " + checked);
        }
    }

    private static double evaluate(ModelConfig config, Map<String, double[]> values) {
        try (NDManager m = NDManager.newBaseManager()) {
            return summedResponseLogProb(build(config, values, m), m);
        }
    }

    @Test
    void adamWStepsLowerTheLossAndTheFrozenReferenceHoldsNoGradients() {
        for (ModelConfig config : List.of(TINY_LLAMA, TINY_GPT2)) {
            try (NDManager m = NDManager.newBaseManager()) {
                CausalLM policy = Models.randomInit(config, m, 3, DataType.FLOAT32);
                CausalLM reference = Models.frozenCopy(policy, m);
                Models.trainable(policy);
                double initial = -summedResponseLogProb(policy, m);
                Optimizer adamW = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.01f)).build();
                double loss = initial;
                for (int step = 0; step < 8; step++) {
                    try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray l = SequenceScorer.score(policy, ResponseBatch.rightPadded(s, PROMPTS, RESPONSES, 0))
                                .sequenceLogProbs().sum().neg();
                        gc.backward(l);
                        loss = l.toType(DataType.FLOAT64, false).getDouble();
                    }
                    for (Map.Entry<String, NDArray> p : policy.parameters().entrySet())
                        adamW.update(p.getKey(), p.getValue(), p.getValue().getGradient());
                }
                double after = -summedResponseLogProb(policy, m);
                assertTrue(after < initial - 1, config.family() + ": loss " + initial + " -> " + after + " (last step " + loss + ")");
                for (NDArray p : reference.parameters().values()) assertFalse(p.hasGradient());
                assertEquals(initial, -summedResponseLogProb(reference, m), 1e-5, "the frozen copy kept the initial weights");
            }
        }
    }

    @Test
    void gpt2BatchedGreedyEqualsEachAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLM model = build(TINY_GPT2, parameters(TINY_GPT2, 5), m);
            List<Generation> batched = Sampler.generate(model, PROMPTS, SamplingConfig.greedy(12));
            for (int i = 0; i < PROMPTS.size(); i++) {
                Generation alone = Sampler.generate(model, List.of(PROMPTS.get(i)), SamplingConfig.greedy(12)).get(0);
                assertArrayEquals(alone.tokens(), batched.get(i).tokens());
                assertArrayEquals(alone.logProbs(), batched.get(i).logProbs(), 1e-9);
            }
        }
    }
}
