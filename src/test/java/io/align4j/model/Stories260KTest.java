package io.align4j.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import io.align4j.generate.Generation;
import io.align4j.generate.SamplingConfig;
import io.align4j.generate.Sampler;
import io.align4j.model.io.Llama2cCheckpoint;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine Llama on stories260K against the plain-Java transcription of llama2.c's run.c. */
class Stories260KTest {
    private static NDManager manager;
    private static CausalLM model;
    private static Path bin;

    @BeforeAll
    static void load() {
        bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        manager = NDManager.newBaseManager();
        model = Llama2cCheckpoint.read(bin, manager);
    }

    @AfterAll
    static void close() {
        if (manager != null) manager.close();
    }

    @Test
    void readsTheHeader() {
        ModelConfig c = model.config();
        assertEquals(List.of(64, 172, 5, 8, 4, 512, 512), List.of(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(),
                c.nKvHeads(), c.vocabSize(), c.maxSeqLen()));
        assertTrue(c.tiedEmbeddings());
        assertFalse(model.parameters().containsKey("lm_head.weight"));
    }

    @Test
    void greedyFromBosEqualsRunC() throws Exception {
        Llama2cReference reference = new Llama2cReference(bin);
        int[] expected = reference.greedyFromBos(200);
        Generation g = Sampler.generate(model, List.of(new int[] {1}), SamplingConfig.greedy(200)).get(0);
        assertArrayEquals(expected, g.tokens());

        int storyEnd = 0;
        while (storyEnd < expected.length && expected[storyEnd] != 1) storyEnd++;
        String text = new Tok512Decoder(SharedData.require(DataPaths.STORIES260K_TOKENIZER), 512)
                .decodeAfterBos(java.util.Arrays.copyOf(expected, storyEnd));
        assertTrue(text.startsWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park."), text);

        Llama2cReference fresh = new Llama2cReference(bin);
        int token = 1;
        for (int t = 0; t < 20; t++) {
            assertEquals(Llama2cReference.logProb(fresh.forward(token, t), expected[t]), g.logProbs()[t], 1e-4, "log-prob of token " + t);
            token = expected[t];
        }
    }

    @Test
    void sequenceLogProbsOfTwentySequencesMatchTheReference() throws Exception {
        Llama2cReference reference = new Llama2cReference(bin);
        Random random = new Random(20240611);
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        double[] expected = new double[20], expectedEntropy = new double[20];
        for (int s = 0; s < 20; s++) {
            int length = 6 + random.nextInt(35);
            int split = 1 + random.nextInt(length - 2);
            int[] seq = new int[length];
            seq[0] = 1;
            for (int pos = 0; pos + 1 < length; pos++) {
                float[] logits = reference.forward(seq[pos], pos);
                seq[pos + 1] = pos % 5 == 4 ? random.nextInt(512) : sample(logits, random);
                if (pos + 1 >= split) {
                    expected[s] += Llama2cReference.logProb(logits, seq[pos + 1]);
                    expectedEntropy[s] += Llama2cReference.entropy(logits) / (length - split);
                }
            }
            prompts.add(java.util.Arrays.copyOf(seq, split));
            responses.add(java.util.Arrays.copyOfRange(seq, split, length));
        }
        try (NDManager m = manager.newSubManager()) {
            SequenceScorer.Scores scores = SequenceScorer.score(model, ResponseBatch.rightPadded(m, prompts, responses, 0));
            double[] actual = scores.sequenceLogProbs().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            double[] entropy = scores.meanEntropy().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
            float[] counts = scores.tokenCounts().toFloatArray();
            for (int s = 0; s < 20; s++) {
                assertEquals(expected[s], actual[s], 1e-4, "sequence " + s);
                assertEquals(expectedEntropy[s], entropy[s], 1e-4, "entropy of sequence " + s);
                assertEquals(responses.get(s).length, counts[s]);
            }
        }
    }

    private static int sample(float[] logits, Random random) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        for (float l : logits) sum += Math.exp(l - max);
        double u = random.nextDouble() * sum, c = 0;
        for (int i = 0; i < logits.length; i++) {
            c += Math.exp(logits[i] - max);
            if (u < c) return i;
        }
        return logits.length - 1;
    }

    @Test
    void truncatedAndMalformedFilesNameTheFileAndTensor(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        byte[] all = java.nio.file.Files.readAllBytes(bin);
        Path truncated = dir.resolve("truncated.bin");
        java.nio.file.Files.write(truncated, java.util.Arrays.copyOf(all, 28 + 4 * (512 * 64 + 5 * 64 + 100)));
        var e = assertThrows(io.align4j.util.UserError.class, () -> Llama2cCheckpoint.read(truncated, manager));
        assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("tensor wq"), e.getMessage());

        Path badHeader = dir.resolve("bad.bin");
        java.nio.file.Files.write(badHeader, new byte[] {1, 0, 0, 0, 7, 0, 0});
        e = assertThrows(io.align4j.util.UserError.class, () -> Llama2cCheckpoint.read(badHeader, manager));
        assertTrue(e.getMessage().contains("bad.bin") && e.getMessage().contains("header"), e.getMessage());

        e = assertThrows(io.align4j.util.UserError.class, () -> Llama2cCheckpoint.read(dir.resolve("missing.bin"), manager));
        assertTrue(e.getMessage().contains("missing.bin"), e.getMessage());
    }
}
