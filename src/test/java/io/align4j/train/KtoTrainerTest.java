package io.align4j.train;

import io.align4j.config.OfflineConfig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.data.ChatTemplate;
import io.align4j.data.PairTokenizer;
import io.align4j.data.SftExample;
import io.align4j.data.TokenLimits;
import io.align4j.data.TokenizedPair;
import io.align4j.data.UnpairedExample;
import io.align4j.data.UnpairedDatasets;
import io.align4j.data.OnError;
import io.align4j.testing.SharedData;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.tokenizer.Tokenizers;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KTO's mismatched pairs, and a short run on stories260K from an unpaired file. */
class KtoTrainerTest {
    @TempDir Path dir;

    @Test
    void eachExampleIsPairedWithThePreviousCompletionOfItsGroup() {
        assertArrayEquals(new int[] {1, 0, 3, 2, 4}, KtoTrainer.mismatchedPartners(5, 2));
        assertArrayEquals(new int[] {2, 0, 1}, KtoTrainer.mismatchedPartners(3, 8));
        assertArrayEquals(new int[] {0}, KtoTrainer.mismatchedPartners(1, 4));
    }

    @Test
    void theMismatchedCompletionFollowsTheExamplesOwnPrompt() {
        TextTokenizer tok = Tokenizers.load(SharedData.require(DataPaths.STORIES260K_TOKENIZER));
        List<UnpairedExample> examples = List.of(
                new UnpairedExample(SftExample.text("Tom had a ball.", " He was happy.", "a line 1"), true),
                new UnpairedExample(SftExample.text("Mia saw a cat.", " It ran away.", "a line 2"), false));
        PairTokenizer pairs = new PairTokenizer(tok, ChatTemplate.PLAIN, TokenLimits.NONE);
        KtoTrainer.Tokenized t = KtoTrainer.tokenize(examples, 2, ChatTemplate.PLAIN, pairs);
        assertArrayEquals(new boolean[] {true, false}, t.desirable());
        TokenizedPair first = t.sequences().get(0);
        assertEquals("Tom had a ball. He was happy.", tok.decode(concat(first.promptIds(), first.chosenIds())).strip());
        assertEquals("Tom had a ball. It ran away.", tok.decode(concat(first.promptIds(), first.rejectedIds())).strip());
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aShortRunSeparatesDesirableFromUndesirableRewards() throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        Path data = dir.resolve("kto.jsonl");
        UnpairedDatasets.write(UnpairedDatasets.read(StoryPairs.write(dir), OnError.FAIL, false).examples(), data);
        OfflineConfig c = new OfflineConfig();
        c.objective = "kto";
        c.data = data.toString();
        c.output = dir.resolve("run").toString();
        c.referenceCache = dir.resolve("refcache").toString();
        c.maxSteps = 12;
        c.batchSize = 8;
        c.learningRate = 1e-3;
        c.logEvery = 1;
        c.evalFraction = 0.2;
        c.undesirableWeight = 1.2;
        TrainingLoop.Result result = KtoTrainer.run(c, s -> {});
        assertEquals(12, result.steps());
        Map<String, Double> last = result.lastMetrics();
        assertTrue(last.get("loss") > 0 && last.get("loss") < 1.2, last.toString());
        assertTrue(last.get("kl") >= 0, last.toString());
        assertTrue(last.get("rewards/margins") > 0, "desirable rewards rise above undesirable ones: " + last);
        assertTrue(result.evalMetrics().containsKey("eval/rewards/margins"), result.evalMetrics().toString());
    }
}
