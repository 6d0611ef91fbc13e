package io.align4j.cli;

import static io.align4j.testing.CliRun.run;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import io.align4j.generate.Generation;
import io.align4j.generate.SamplingConfig;
import io.align4j.generate.Sampler;
import io.align4j.model.io.Llama2cCheckpoint;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateScoreCommandTest {

    @Test
    void greedyGenerateFromBosPrintsTheSamplerTokens() {
        Path bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        int[] expected;
        try (NDManager m = NDManager.newBaseManager()) {
            Generation g = Sampler.generate(Llama2cCheckpoint.read(bin, m), List.of(new int[] {1}), SamplingConfig.greedy(30, 2, 1)).get(0);
            expected = g.tokens();
        }
        String[] r = run("generate", "--model", bin.toString(), "--temperature", "0", "--max-new-tokens", "30", "--ids");
        assertEquals("0", r[0], r[2]);
        assertEquals(IntStream.of(expected).mapToObj(Integer::toString).collect(Collectors.joining(" ")), r[1].trim());
    }

    /** The README's main job: the default model, greedy, text on stdout as llama2.c's run.c prints it. */
    @Test
    void defaultModelGreedyTextMatchesRunC() {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        String[] r = run("generate", "--temperature", "0", "--max-new-tokens", "200");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].startsWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park."), r[1]);
        assertEquals("", r[2].replaceAll("(?m)^.*WARN ai.djl.util.cuda.*$\\R?", ""), "nothing but engine warnings on stderr");
    }

    @Test
    void textPromptIsContinued() {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        String[] r = run("generate", "--prompt", "Once upon a time, there was a dog", "--temperature", "0", "--max-new-tokens", "20");
        assertEquals("0", r[0], r[2]);
        assertFalse(r[1].isBlank());
        assertFalse(r[1].startsWith("Once upon"), "only the continuation is printed: " + r[1]);
    }

    @Test
    void missingModelIsOneLine(@TempDir Path dir) {
        String[] r = run("generate", "--model", dir.resolve("nope.bin").toString());
        assertEquals("2", r[0]);
        assertEquals(1, r[2].trim().lines().count(), r[2]);
        assertTrue(r[2].contains("nope.bin") && r[2].contains("does not exist"), r[2]);
    }

    /** On a machine without the shared data, both commands say which files are missing, in one line. */
    @Test
    void withoutSharedDataTheDefaultModelIsNamed(@TempDir Path empty) throws Exception {
        String saved = System.getProperty(DataPaths.PROPERTY);
        System.setProperty(DataPaths.PROPERTY, empty.toString());
        try {
            Path data = empty.resolve("pairs.jsonl");
            Files.writeString(data, "{\"prompt\":\"a\",\"response\":\"b\"}\n");
            for (String[] args : new String[][] {{"generate"}, {"score", "--data", data.toString()}}) {
                String[] r = run(args);
                assertEquals("2", r[0], args[0]);
                String err = r[2].replaceAll("(?m)^.*WARN ai.djl.util.cuda.*$\\R?", "").trim();
                assertEquals(1, err.lines().count(), err);
                assertTrue(err.contains("stories260K.bin") && err.contains("does not exist") && err.contains("ALIGN4J_DATA"), err);
            }
        } finally {
            if (saved == null) System.clearProperty(DataPaths.PROPERTY);
            else System.setProperty(DataPaths.PROPERTY, saved);
        }
    }

    @Test
    void scoreTextRecordsEqualTheirTokenIds(@TempDir Path dir) throws Exception {
        Path bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        var tok = io.align4j.tokenizer.Llama2cTokenizer.load(SharedData.require(DataPaths.STORIES260K_TOKENIZER));
        var split = io.align4j.data.BoundarySplit.of(tok, true, "Once upon a time", " there was a cat.");
        String ids = "{\"prompt\":" + java.util.Arrays.toString(split.promptIds()) + ",\"response\":"
                + java.util.Arrays.toString(split.responseIds()[0]) + "}";
        Path data = dir.resolve("mixed.jsonl");
        Files.writeString(data, "{\"prompt\":\"Once upon a time\",\"response\":\" there was a cat.\"}\n" + ids + "\n");
        String[] r = run("score", "--model", bin.toString(), "--data", data.toString());
        assertEquals("0", r[0], r[2]);
        List<String> lines = r[1].trim().lines().toList();
        assertEquals(2, lines.size());
        assertEquals(lines.get(1), lines.get(0));
    }

    @Test
    void scorePrintsLogProbTokensAndEntropyPerLine(@TempDir Path dir) throws Exception {
        Path bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        Path data = dir.resolve("pairs.jsonl");
        Files.writeString(data, "{\"prompt\":[1,403],\"response\":[407,261,378]}\n{\"prompt\":[1],\"response\":[403]}\n");
        String[] r = run("score", "--model", bin.toString(), "--data", data.toString());
        assertEquals("0", r[0], r[2]);
        List<String> lines = r[1].trim().lines().toList();
        assertEquals(2, lines.size());
        String[] first = lines.get(0).split("\t"), second = lines.get(1).split("\t");
        assertEquals("3", first[1]);
        assertEquals("1", second[1]);
        try (NDManager m = NDManager.newBaseManager()) {
            var scores = io.align4j.model.SequenceScorer.score(Llama2cCheckpoint.read(bin, m), io.align4j.model.ResponseBatch.rightPadded(m,
                    List.of(new int[] {1, 403}, new int[] {1}), List.of(new int[] {407, 261, 378}, new int[] {403}), 0));
            float[] logProbs = scores.sequenceLogProbs().toFloatArray(), entropy = scores.meanEntropy().toFloatArray();
            assertEquals(logProbs[0], Double.parseDouble(first[0]), 1e-5);
            assertEquals(logProbs[1], Double.parseDouble(second[0]), 1e-5);
            assertEquals(entropy[0], Double.parseDouble(first[2]), 1e-5);
            assertEquals(entropy[1], Double.parseDouble(second[2]), 1e-5);
        }

        Files.writeString(data, "{\"prompt\":[1],\"response\":\"text\"}\n");
        r = run("score", "--model", bin.toString(), "--data", data.toString());
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("line 1") && r[2].contains("\"response\""), r[2]);
    }
}
