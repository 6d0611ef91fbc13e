package io.align4j.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.align4j.model.family.Models;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.LoadedWeights;
import io.align4j.testing.SharedData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Response log-probs through the LM head in chunks of positions give the unchunked path's log-probs and
 * gradients: the lean path pinned to the plain one. Chunks of 3 positions against 20-odd response tokens
 * put chunk boundaries inside rows and leave a short last chunk.
 */
class ChunkedLogProbsTest {
    private static final int SMALL_CHUNK = 3;

    @Test
    void logProbsAndGradientsEqualTheUnchunkedPathOnAnUntiedLlama() {
        ModelConfig config = ModelConfig.llama(32, 48, 2, 4, 2, 97, 64, 1e-5, 10000, false, 1, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(Models.randomInit(config, manager, 5, DataType.FLOAT64));
            assertChunkedEqualsUnchunked(model, model.parameters(), batch(config.vocabSize(), 11), 1e-12);
        }
    }

    /** Gemma 2 ties the head to the embedding and soft-caps the logits (at 0.5 in the fixture, so the cap's slope matters). */
    @Test
    void logProbsAndGradientsEqualTheUnchunkedPathOnTiedSoftCappedGemma2() {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(fixture("gemma2", manager));
            assertTrue(model.config().tiedEmbeddings());
            assertTrue(model.config().features().finalSoftcap() > 0);
            assertChunkedEqualsUnchunked(model, model.parameters(), batch(model.config().vocabSize(), 12), 1e-12);
        }
    }

    @Test
    void logProbsAndGradientsEqualTheUnchunkedPathOnTiedLlama() {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(fixture("llama-tied", manager));
            assertTrue(model.config().tiedEmbeddings());
            assertChunkedEqualsUnchunked(model, model.parameters(), batch(model.config().vocabSize(), 13), 1e-12);
        }
    }

    /** A frozen head (LoRA): only the hidden states' share of the backward is needed, and nothing is deferred. */
    @Test
    void gradientsOfLowRankAdaptersEqualTheUnchunkedPath() {
        ModelConfig config = ModelConfig.llama(32, 48, 2, 4, 2, 97, 64, 1e-5, 10000, true, 1, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM base = Models.randomInit(config, manager, 5, DataType.FLOAT64);
            var adapters = io.align4j.model.lora.LoraAdapters.init(base,
                    new io.align4j.model.lora.LoraConfig(4, 8, 0, List.of("q_proj", "v_proj", "down_proj")), 3, manager);
            // B starts at zero; move it so the adapters' A matrices get gradients too
            for (Map.Entry<String, NDArray> e : adapters.tensors().entrySet())
                if (e.getKey().contains("lora_B")) e.getValue().addi(0.01);
            for (NDArray t : adapters.tensors().values()) t.setRequiresGradient(true);
            assertChunkedEqualsUnchunked(adapters.applyTo(base), adapters.tensors(), batch(config.vocabSize(), 14), 1e-12);
        }
    }

    /** Without a deferred-pass scope nobody would run the head's backward, so a trained head falls back to full logits. */
    @Test
    void aTrainedHeadOutsideADeferredScopeStillGetsItsGradient() {
        ModelConfig config = ModelConfig.llama(32, 48, 2, 4, 2, 97, 64, 1e-5, 10000, true, 1, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = Models.trainable(Models.randomInit(config, manager, 5, DataType.FLOAT64));
            Batch b = batch(config.vocabSize(), 15);
            Map<String, double[]> expected = run(model, model.parameters(), b, 0, false).gradients;
            Map<String, double[]> actual;
            try (NDManager m = model.manager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector();
                 ChunkedLogProbs.Scope chunks = ChunkedLogProbs.scope(SMALL_CHUNK)) {
                gc.backward(weightedLoss(model, ResponseBatch.rightPadded(m, b.prompts, b.responses, 0)).loss);
                actual = gradients(model.parameters());
            }
            for (String name : expected.keySet()) assertArrayEquals(expected.get(name), actual.get(name), 1e-12, name);
        }
    }

    /** Scoring without gradients (reference log-probs, evaluation) goes through the chunks too. */
    @Test
    void logProbsWithoutGradientsEqualTheUnchunkedPath() {
        ModelConfig config = ModelConfig.llama(32, 48, 2, 4, 2, 97, 64, 1e-5, 10000, true, 1, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = Models.randomInit(config, manager, 5, DataType.FLOAT64);
            Batch b = batch(config.vocabSize(), 16);
            double[][] rows = new double[2][];
            for (int chunk : new int[] {0, SMALL_CHUNK})
                try (NDManager m = manager.newSubManager(); ChunkedLogProbs.Scope chunks = ChunkedLogProbs.scope(chunk)) {
                    rows[chunk == 0 ? 0 : 1] = SequenceScorer.sequenceLogProbs(model, ResponseBatch.rightPadded(m, b.prompts, b.responses, 0))
                            .toDoubleArray();
                }
            assertArrayEquals(rows[0], rows[1], 1e-12);
        }
    }

    private static CausalLM fixture(String family, NDManager manager) {
        LoadedWeights w = HfCheckpoint.read(SharedData.require("fixtures/architectures/" + family), manager, DataType.FLOAT64);
        return Models.create(w.config(), w.parameters(), manager);
    }

    private record Batch(List<int[]> prompts, List<int[]> responses) {}

    private static Batch batch(int vocab, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (int row = 0; row < 3; row++) {
            prompts.add(random.ints(2 + row, 0, vocab).toArray());
            responses.add(random.ints(5 + 2 * row, 0, vocab).toArray());
        }
        return new Batch(prompts, responses);
    }

    private record Outcome(double[] logProbs, Map<String, double[]> gradients) {}

    /**
     * Both paths, with and without checkpointed blocks, on a loss with unequal weights per row and a second
     * consumer of the hidden states (their squared norm), so that ∂L/∂ℓ differs between rows and the
     * trunk's gradient has two sources.
     */
    private static void assertChunkedEqualsUnchunked(CausalLM model, Map<String, NDArray> trained, Batch b, double tolerance) {
        for (boolean checkpoint : new boolean[] {false, true}) {
            Outcome plain = run(model, trained, b, 0, checkpoint);
            Outcome chunked = run(model, trained, b, SMALL_CHUNK, checkpoint);
            String where = model.config().family() + (checkpoint ? " checkpointed" : "");
            assertArrayEquals(plain.logProbs, chunked.logProbs, tolerance, where + " log-probs");
            assertEquals(plain.gradients.keySet(), chunked.gradients.keySet());
            for (String name : plain.gradients.keySet()) {
                double[] x = plain.gradients.get(name), y = chunked.gradients.get(name);
                double scale = 0;
                for (double v : x) scale = Math.max(scale, Math.abs(v));
                assertTrue(scale > 0, where + " " + name + " gets a gradient");
                for (int i = 0; i < x.length; i++)
                    assertEquals(x[i], y[i], tolerance * Math.max(1, scale), where + " " + name + "[" + i + "]");
            }
        }
    }

    private static Outcome run(CausalLM model, Map<String, NDArray> trained, Batch b, int chunk, boolean checkpoint) {
        try (NDManager m = model.manager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector();
             BlockCheckpointing.Scope scope = BlockCheckpointing.scope(checkpoint);
             ChunkedLogProbs.Scope chunks = ChunkedLogProbs.scope(chunk)) {
            Loss loss = weightedLoss(model, ResponseBatch.rightPadded(m, b.prompts, b.responses, 0));
            gc.backward(loss.loss);
            BlockCheckpointing.backward(gc);
            return new Outcome(loss.rows.toType(DataType.FLOAT64, false).toDoubleArray(), gradients(trained));
        }
    }

    private record Loss(NDArray loss, NDArray rows) {}

    private static Loss weightedLoss(CausalLM model, ResponseBatch batch) {
        NDArray hidden = model.hidden(batch.ids(), null, null, null);
        NDArray rows = SequenceScorer.sequenceLogProbs(model, hidden, batch);
        NDArray rowWeights = batch.ids().getManager().create(new double[] {1.0, -0.5, 2.0}).toType(rows.getDataType(), false);
        return new Loss(rows.mul(rowWeights).sum().add(ScalarOps.mul(hidden.square().sum(), 1e-3)), rows);
    }

    private static Map<String, double[]> gradients(Map<String, NDArray> trained) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : trained.entrySet())
            try (NDArray g = e.getValue().getGradient()) {
                out.put(e.getKey(), g.toType(DataType.FLOAT64, false).toDoubleArray());
            }
        for (NDArray p : trained.values()) ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p);
        return out;
    }
}
