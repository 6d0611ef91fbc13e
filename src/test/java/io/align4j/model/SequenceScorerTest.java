package io.align4j.model;

import io.align4j.model.family.ParameterLayout;
import io.align4j.model.family.Models;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.align4j.testing.CentralDifference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The scorer's response-position paths ({@link SequenceScorer#sequenceLogProbs(CausalLM, ResponseBatch)}
 * and {@link SequenceScorer#score}: classifier on the response positions only, in chunks) against the
 * plain full-logits computation written out here (log_softmax over every position, gather, mask), on
 * rows of different prompt and response lengths so that padding and prompt positions are both skipped.
 */
class SequenceScorerTest {
    /** Tied classifier, grouped keys/values, a vocabulary large enough that the log-normaliser is a long sum. */
    private static final ModelConfig TIED = ModelConfig.llama(32, 48, 2, 4, 2, 512, 64, 1e-5, 10000, true, 1, 2);
    private static final List<int[]> PROMPTS = List.of(new int[] {1, 5, 7}, new int[] {1}, new int[] {1, 4, 4, 9, 3, 2, 8, 8, 300});
    private static final List<int[]> RESPONSES = List.of(new int[] {8, 2, 511, 17}, new int[] {3, 11, 12, 6, 5, 499, 2, 64, 7, 7, 1}, new int[] {10});

    @Test
    void responseRowsEqualTheFullLogitsPathInFloat32AndFloat64() {
        for (DataType dtype : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
            for (ModelConfig config : List.of(TIED, GradientAndTrainingTest.TINY_LLAMA, GradientAndTrainingTest.TINY_GPT2)) {
                try (NDManager m = NDManager.newBaseManager()) {
                    CausalLM model = Models.randomInit(config, m, 11, dtype);
                    List<int[]> responses = config.vocabSize() < 512 ? GradientAndTrainingTest.RESPONSES : RESPONSES;
                    List<int[]> prompts = config.vocabSize() < 512 ? GradientAndTrainingTest.PROMPTS : PROMPTS;
                    ResponseBatch batch = ResponseBatch.rightPadded(m, prompts, responses, 0);
                    NDArray rows = SequenceScorer.sequenceLogProbs(model, batch);
                    assertEquals(dtype, rows.getDataType());
                    double[] fast = rows.toType(DataType.FLOAT64, false).toDoubleArray();
                    double[] full = Plain.of(model, batch).tokenLogProbs.sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
                    assertEquals(prompts.size(), fast.length);
                    // the same terms summed in a different order: float32 round-off of a sum of at most a dozen terms
                    double tolerance = dtype == DataType.FLOAT32 ? 1e-6 : 1e-13;
                    for (int b = 0; b < fast.length; b++) {
                        assertTrue(fast[b] < 0, "a log-probability: " + fast[b]);
                        assertEquals(full[b], fast[b], tolerance * Math.max(1, Math.abs(full[b])),
                                config.family() + " " + dtype + " row " + b);
                    }
                }
            }
        }
    }

    /**
     * Every [B, T−1] entry of {@link SequenceScorer#score} (token log-probs, entropy, mask) against the
     * plain path, with chunks of 3 positions so that chunk edges fall inside rows, and the gradient of a
     * weighted sum of its token log-probs against the plain path's.
     */
    @Test
    void scoreEqualsThePlainFullLogitsPathEntryByEntryAndInItsGradient() {
        try (NDManager m = NDManager.newBaseManager(); ChunkedLogProbs.Scope chunks = ChunkedLogProbs.scope(3)) {
            CausalLM model = Models.trainable(Models.randomInit(TIED, m, 5, DataType.FLOAT64));
            ResponseBatch batch = ResponseBatch.rightPadded(m, PROMPTS, RESPONSES, 0);
            NDArray weights = m.randomNormal(0, 1, new ai.djl.ndarray.types.Shape(PROMPTS.size(), batch.ids().getShape().get(1) - 1),
                    DataType.FLOAT64);
            double[] plainGradient, scoreGradient;
            Plain plain;
            SequenceScorer.Scores scores;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                 BlockCheckpointing.Scope deferred = BlockCheckpointing.scope(false)) {
                plain = Plain.of(model, batch);
                gc.backward(plain.tokenLogProbs.mul(weights).sum());
                BlockCheckpointing.backward(gc);
            }
            plainGradient = model.parameters().get("model.embed_tokens.weight").getGradient().toDoubleArray();
            model.parameters().values().forEach(p -> p.getGradient().subi(p.getGradient()));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                 BlockCheckpointing.Scope deferred = BlockCheckpointing.scope(false)) {
                scores = SequenceScorer.score(model, batch);
                gc.backward(scores.tokenLogProbs().mul(weights).sum());
                BlockCheckpointing.backward(gc);
            }
            scoreGradient = model.parameters().get("model.embed_tokens.weight").getGradient().toDoubleArray();
            assertArrayEquals(plain.tokenLogProbs.toDoubleArray(), scores.tokenLogProbs().toDoubleArray(), 1e-12);
            assertArrayEquals(plain.entropy.toDoubleArray(), scores.tokenEntropy().toDoubleArray(), 1e-12);
            assertArrayEquals(plain.mask.toDoubleArray(), scores.responseMask().toDoubleArray(), 0);
            assertArrayEquals(plain.tokenLogProbs.sum(new int[] {1}).toDoubleArray(), scores.sequenceLogProbs().toDoubleArray(), 1e-12);
            double largest = java.util.Arrays.stream(plainGradient).map(Math::abs).max().orElse(0);
            assertTrue(largest > 1e-3, "the weighted sum reaches the tied embedding: " + largest);
            assertArrayEquals(plainGradient, scoreGradient, 1e-12 * largest);
            double entropySum = scores.tokenEntropy().sum().getDouble();
            assertTrue(entropySum > 0 && entropySum <= Math.log(TIED.vocabSize()) * scores.tokenCounts().sum().getDouble(),
                    "entropy between 0 and ln V per response token: " + entropySum);
        }
    }

    /** The full-logits computation the scorer's paths must equal: every position through the classifier. */
    private record Plain(NDArray tokenLogProbs, NDArray entropy, NDArray mask) {
        static Plain of(CausalLM model, ResponseBatch batch) {
            long width = batch.ids().getShape().get(1);
            NDArray logProbs = model.forward(batch.ids(), null, null, null).get(new ai.djl.ndarray.index.NDIndex(":, :{}", width - 1))
                    .logSoftmax(-1);
            NDArray mask = batch.responseMask().toType(logProbs.getDataType(), false);
            NDArray targets = batch.ids().get(new ai.djl.ndarray.index.NDIndex(":, 1:")).toType(DataType.INT64, false).expandDims(-1);
            NDArray tokenLogProbs = logProbs.gather(targets, -1).squeeze(-1).mul(mask);
            NDArray entropy = logProbs.exp().mul(logProbs).sum(new int[] {-1}).neg().mul(mask);
            return new Plain(tokenLogProbs, entropy, mask);
        }
    }

    @Test
    void gradientOfTheResponseRowsPathMatchesFiniteDifferences() {
        Map<String, double[]> values = new LinkedHashMap<>();
        Random random = new Random(23);
        ParameterLayout.of(TIED).forEach((name, shape) -> {
            double[] v = new double[(int) shape.size()];
            for (int i = 0; i < v.length; i++) v[i] = shape.dimension() > 1 ? 0.3 * random.nextGaussian() : 1 + 0.1 * random.nextGaussian();
            values.put(name, v);
        });
        // rows weighted differently, so that a token credited to the wrong row changes the gradient
        double[] rowWeights = {1.0, -0.5, 2.0};
        List<String> names = List.of("model.embed_tokens.weight", "model.norm.weight", "model.layers.1.mlp.up_proj.weight",
                "model.layers.0.self_attn.k_proj.weight");
        try (NDManager m = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(build(values, m));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(weighted(model, m, rowWeights));
            }
            double h = 1e-5;
            int checked = 0;
            for (String name : names) {
                double[] grad = model.parameters().get(name).getGradient().toDoubleArray();
                double[] v = values.get(name);
                // the embedding rows of a target token (8), a prompt-only token (5) and an unused token (400)
                int[] entries = name.contains("embed") ? new int[] {8 * TIED.dim(), 5 * TIED.dim() + 3, 400 * TIED.dim() + 1}
                        : new int[] {0, v.length / 3, v.length - 1};
                for (int i : entries) {
                    double numeric = CentralDifference.at(v, i, h, () -> evaluate(values, rowWeights));
                    assertEquals(numeric, grad[i], 1e-6 * Math.max(1, Math.abs(numeric)), name + "[" + i + "]");
                    if (Math.abs(numeric) > 1e-4) checked++;
                }
            }
            assertTrue(checked >= 9, "most checked entries should have a non-vanishing gradient: " + checked);
        }
    }

    private static NDArray weighted(CausalLM model, NDManager m, double[] rowWeights) {
        NDArray rows = SequenceScorer.sequenceLogProbs(model, ResponseBatch.rightPadded(m, PROMPTS, RESPONSES, 0));
        return rows.mul(m.create(rowWeights)).sum();
    }

    private static double evaluate(Map<String, double[]> values, double[] rowWeights) {
        try (NDManager m = NDManager.newBaseManager()) {
            return weighted(build(values, m), m, rowWeights).getDouble();
        }
    }

    private static CausalLM build(Map<String, double[]> values, NDManager m) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        values.forEach((name, v) -> params.put(name, m.create(v, ParameterLayout.of(TIED).get(name))));
        return Models.create(TIED, params, m);
    }
}
