package io.align4j.generate;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import io.align4j.model.CausalLM;
import io.align4j.model.ResponseBatch;
import io.align4j.model.SequenceScorer;
import io.align4j.model.io.Llama2cCheckpoint;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static NDManager manager;
    private static CausalLM model;

    @BeforeAll
    static void load() {
        var bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        manager = NDManager.newBaseManager();
        model = Llama2cCheckpoint.read(bin, manager);
    }

    @AfterAll
    static void close() {
        if (manager != null) manager.close();
    }

    /** Eight prompts of lengths 1, 4, 7, ..., 22: BOS then random tokens. */
    private static List<int[]> prompts(long seed) {
        Random random = new Random(seed);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] p = new int[1 + 3 * i];
            p[0] = 1;
            for (int t = 1; t < p.length; t++) p[t] = 3 + random.nextInt(509);
            prompts.add(p);
        }
        return prompts;
    }

    @Test
    void batchedGreedyOfEightPromptsEqualsEachAlone() {
        List<int[]> prompts = prompts(7);
        // Stop also on the 10th token prompt 0 produces alone, so rows finish at different steps.
        int stop = Sampler.generate(model, List.of(prompts.get(0)), SamplingConfig.greedy(10)).get(0).tokens()[9];
        SamplingConfig greedy = SamplingConfig.greedy(60, 1, 2, stop);
        List<Generation> batched = Sampler.generate(model, prompts, greedy);
        for (int i = 0; i < prompts.size(); i++) {
            Generation alone = Sampler.generate(model, List.of(prompts.get(i)), greedy).get(0);
            assertArrayEquals(alone.tokens(), batched.get(i).tokens(), "prompt " + i);
            assertArrayEquals(alone.logProbs(), batched.get(i).logProbs(), 1e-4, "prompt " + i);
            assertEquals(alone.finish(), batched.get(i).finish());
        }
        assertTrue(batched.stream().anyMatch(g -> g.finish() == Generation.Finish.STOP), "some row should stop early");
    }

    @Test
    void reportedLogProbsEqualTheScoringForward() {
        List<int[]> prompts = prompts(11);
        List<Generation> out = Sampler.generate(model, prompts,
                SamplingConfig.sampling(1.0, 30, 5).withTopK(40).withTopP(0.9).withSuppressIds(1, 2));
        List<int[]> responses = out.stream().map(Generation::tokens).toList();
        try (NDManager m = manager.newSubManager()) {
            double[] scored = SequenceScorer.score(model, ResponseBatch.rightPadded(m, prompts, responses, 0))
                    .sequenceLogProbs().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < out.size(); i++) {
                assertEquals(30, out.get(i).tokens().length, "suppressing the stop ids gives full-length responses");
                for (int t : out.get(i).tokens()) assertTrue(t != 1 && t != 2);
                assertEquals(scored[i], out.get(i).sequenceLogProb(), 1e-3, "row " + i);
            }
        }
    }

    @Test
    void seededSamplesAreReproducibleAndIndependentOfOtherRows() {
        List<int[]> prompts = prompts(3);
        SamplingConfig config = SamplingConfig.sampling(1.0, 25, 42, 1, 2).withTopP(0.95);
        List<Generation> first = Sampler.generate(model, prompts, config);
        List<Generation> again = Sampler.generate(model, prompts, config);
        List<int[]> changed = new ArrayList<>(prompts);
        changed.set(1, new int[] {1, 300, 301});
        changed.set(5, new int[] {1});
        List<Generation> mixed = Sampler.generate(model, changed, config);
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(first.get(i).tokens(), again.get(i).tokens(), "same seed, row " + i);
            if (i != 1 && i != 5) assertArrayEquals(first.get(i).tokens(), mixed.get(i).tokens(), "other rows changed, row " + i);
        }
        List<Generation> otherSeed = Sampler.generate(model, prompts, config.withSeed(43));
        assertTrue(java.util.stream.IntStream.range(0, 8)
                .anyMatch(i -> !java.util.Arrays.equals(first.get(i).tokens(), otherSeed.get(i).tokens())));
    }

    @Test
    void topKOfOneIsGreedy() {
        List<int[]> prompts = prompts(9);
        List<Generation> greedy = Sampler.generate(model, prompts, SamplingConfig.greedy(20));
        List<Generation> topOne = Sampler.generate(model, prompts, SamplingConfig.sampling(0.7, 20, 1).withTopK(1));
        for (int i = 0; i < prompts.size(); i++) assertArrayEquals(greedy.get(i).tokens(), topOne.get(i).tokens());
    }

    /** Measures decode speed (printed, not asserted) and checks that 16 identical rows decode identically. */
    @Test
    void greedyDecodeThroughputAtBatchOneAndSixteen() {
        SamplingConfig greedy = SamplingConfig.greedy(200);
        Sampler.generate(model, List.of(new int[] {1}), SamplingConfig.greedy(20));
        long start = System.nanoTime();
        Generation single = Sampler.generate(model, List.of(new int[] {1}), greedy).get(0);
        double singleSeconds = (System.nanoTime() - start) / 1e9;
        List<int[]> sixteen = new ArrayList<>();
        for (int i = 0; i < 16; i++) sixteen.add(new int[] {1});
        start = System.nanoTime();
        List<Generation> batch = Sampler.generate(model, sixteen, greedy);
        double batchSeconds = (System.nanoTime() - start) / 1e9;
        for (Generation g : batch) assertArrayEquals(single.tokens(), g.tokens());
        System.out.printf("stories260K greedy decode: batch 1 %.0f tokens/s, batch 16 %.0f tokens/s%n",
                200 / singleSeconds, 16 * 200 / batchSeconds);
    }
}
