package io.align4j.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.align4j.model.family.Models;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Checkpointed blocks give the gradients of the plain forward: the fast (lean) path pinned to the plain one. */
class BlockCheckpointingTest {
    @Test
    void checkpointedGradientsEqualThePlainForwardsOnLlamaAndGpt2() {
        for (ModelConfig config : List.of(ModelConfig.llama(32, 48, 3, 4, 2, 97, 64, 1e-5, 10000, true, 1, 2),
                ModelConfig.gpt2(24, 48, 3, 3, 89, 32, 1e-5, 0, 0))) {
            try (NDManager manager = NDManager.newBaseManager()) {
                CausalLM model = Models.trainable(Models.randomInit(config, manager, 5, DataType.FLOAT64));
                SplittableRandom random = new SplittableRandom(11);
                List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
                for (int row = 0; row < 3; row++) {
                    prompts.add(random.ints(2 + row, 0, config.vocabSize()).toArray());
                    responses.add(random.ints(5 + 2 * row, 0, config.vocabSize()).toArray());
                }
                Map<String, double[]> plain = gradients(model, prompts, responses, false);
                Map<String, double[]> checkpointed = gradients(model, prompts, responses, true);
                assertEquals(plain.keySet(), checkpointed.keySet());
                for (String name : plain.keySet()) {
                    double[] a = plain.get(name), b = checkpointed.get(name);
                    double scale = 0;
                    for (double v : a) scale = Math.max(scale, Math.abs(v));
                    assertTrue(scale > 0, config.family() + " " + name + " gets a gradient");
                    for (int i = 0; i < a.length; i++)
                        assertEquals(a[i], b[i], 1e-12 * Math.max(1, scale), config.family() + " " + name + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void checkpointingWorksWhenOnlyLowRankAdaptersTrain() {
        ModelConfig config = ModelConfig.llama(32, 48, 2, 4, 2, 97, 64, 1e-5, 10000, true, 1, 2);
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM base = Models.randomInit(config, manager, 5, DataType.FLOAT64);
            var adapters = io.align4j.model.lora.LoraAdapters.init(base,
                    new io.align4j.model.lora.LoraConfig(4, 8, 0, List.of("q_proj", "v_proj")), 3, manager);
            // B starts at zero; move it so the adapters' A matrices get gradients too
            for (Map.Entry<String, NDArray> e : adapters.tensors().entrySet())
                if (e.getKey().contains("lora_B")) e.getValue().addi(0.01);
            CausalLM model = adapters.applyTo(base);
            for (NDArray t : adapters.tensors().values()) t.setRequiresGradient(true);
            List<int[]> prompts = List.of(new int[] {1, 5, 9}, new int[] {1, 7}), responses = List.of(new int[] {4, 8, 15, 16}, new int[] {23, 42, 3});
            Map<String, double[]> plain = gradients(model, adapters.tensors(), prompts, responses, false);
            Map<String, double[]> checkpointed = gradients(model, adapters.tensors(), prompts, responses, true);
            for (String name : plain.keySet())
                assertArrayEquals(plain.get(name), checkpointed.get(name), 1e-12, name);
        }
    }

    private static Map<String, double[]> gradients(CausalLM model, List<int[]> prompts, List<int[]> responses, boolean checkpoint) {
        return gradients(model, model.parameters(), prompts, responses, checkpoint);
    }

    /** ∇ of Σ_rows ln π(response | prompt) (with a second consumer of the hidden state: its squared norm), by parameter. */
    private static Map<String, double[]> gradients(CausalLM model, Map<String, NDArray> trained, List<int[]> prompts,
                                                   List<int[]> responses, boolean checkpoint) {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (NDManager m = model.manager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector();
             BlockCheckpointing.Scope scope = BlockCheckpointing.scope(checkpoint)) {
            ResponseBatch batch = ResponseBatch.rightPadded(m, prompts, responses, 0);
            NDArray hidden = model.hidden(batch.ids(), null, null, null);
            NDArray loss = SequenceScorer.sequenceLogProbs(model, hidden, batch).sum().add(hidden.square().sum().mul(1e-3));
            gc.backward(loss);
            BlockCheckpointing.backward(gc);
            for (Map.Entry<String, NDArray> e : trained.entrySet()) {
                try (NDArray g = e.getValue().getGradient()) {
                    out.put(e.getKey(), g.toType(DataType.FLOAT64, false).toDoubleArray());
                }
            }
            for (NDArray p : trained.values()) ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p);
        }
        return out;
    }
}
