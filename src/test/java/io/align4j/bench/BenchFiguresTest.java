package io.align4j.bench;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.model.io.Llama2cCheckpoint;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import org.junit.jupiter.api.Test;

/** The benchmark's model shapes and FLOP counts against llama2.c's published sizes and the reference script's formula. */
class BenchFiguresTest {

    @Test
    void parameterCountsAreThoseOfLlama2cModels() {
        assertEquals(260_032, DpoStepBench.parameterCount(BenchModels.byName("260K")));
        // 32000·288 + 6·(2·288 + 4·288² + 3·288·768) + 288
        assertEquals(15_191_712, DpoStepBench.parameterCount(BenchModels.byName("15M")));
        // 32000·768 + 12·(2·768 + 4·768² + 3·768·2048) + 768
        assertEquals(109_529_856, DpoStepBench.parameterCount(BenchModels.byName("110M")));
    }

    @Test
    void flopsPerTokenFollowTheReferenceFormula() {
        // 6·260032 + 12·5·128·64
        assertEquals(2_051_712, DpoStepBench.flopsPerToken(BenchModels.byName("260K"), 128));
        // 6·15191712 + 12·6·256·288
        assertEquals(96_458_688, DpoStepBench.flopsPerToken(BenchModels.byName("15M"), 256));
    }

    @Test
    void the260KShapeIsStories260K() {
        var bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        try (NDManager m = NDManager.newBaseManager(); CausalLM model = Llama2cCheckpoint.read(bin, m)) {
            var c = model.config();
            var b = BenchModels.byName("260K");
            assertEquals(java.util.List.of(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.vocabSize(), c.maxSeqLen()),
                    java.util.List.of(b.dim(), b.hiddenDim(), b.nLayers(), b.nHeads(), b.nKvHeads(), b.vocabSize(), b.maxSeqLen()));
        }
    }

    @Test
    void dpoStepLowersTheLossOnItsFixedBatch() {
        try (NDManager m = NDManager.newBaseManager();
             CausalLM model = Models.randomInit(BenchModels.byName("260K"), m, 3, ai.djl.ndarray.types.DataType.FLOAT32);
             DpoStepBench step = new DpoStepBench(model, 2, 16, 5)) {
            assertEquals(64, step.tokensPerStep());
            // 4 rows of a 4-token prompt: their 4·4 = 16 positions skip the classifier's 6·64·512 FLOPs each
            assertEquals(64 * DpoStepBench.flopsPerToken(BenchModels.byName("260K"), 16) - 16 * 6.0 * 64 * 512,
                    step.executedFlopsPerStep(), 1e-6);
            // Both sides start equal (same reference constant), so the first loss is softplus(0·β) = ln 2 up to the policy's margin.
            double first = step.step();
            assertEquals(Math.log(2), first, 0.05);
            double last = first;
            for (int i = 0; i < 30; i++) last = step.step();
            assertTrue(last < first, "30 AdamW steps at lr 1e-5 on one batch lower the DPO loss: " + first + " -> " + last);
        }
    }

    @Test
    void unknownConfigurationIsAUserError() {
        UserError e = assertThrows(UserError.class, () -> BenchModels.byName("7B"));
        assertTrue(e.getMessage().contains("--config"));
    }
}
