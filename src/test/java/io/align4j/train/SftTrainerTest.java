package io.align4j.train;

import io.align4j.config.SftConfig;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.align4j.data.TokenizedSequence;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Models;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.ModelLoader;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFT of a tiny random Llama on a slice of tinyshakespeare, tokenized by the stories260K vocabulary. */
class SftTrainerTest {
    static final ModelConfig TINY = ModelConfig.llama(32, 64, 2, 4, 2, 512, 256, 1e-5, 10000, true, 1, 2);

    @TempDir Path dir;
    Path model, data;

    @BeforeEach
    void writeModelAndData() throws IOException {
        Path corpus = SharedData.require(DataPaths.TINYSHAKESPEARE);
        Path tokenizer = SharedData.require(DataPaths.STORIES260K_TOKENIZER);
        data = dir.resolve("shakespeare.txt");
        Files.writeString(data, Files.readString(corpus, StandardCharsets.UTF_8).substring(0, 20_000), StandardCharsets.UTF_8);
        model = dir.resolve("tiny");
        try (NDManager m = NDManager.newBaseManager(); CausalLM lm = Models.randomInit(TINY, m, 7, DataType.FLOAT32)) {
            HfCheckpoint.write(model, TINY, lm.parameters(), DataType.FLOAT32, tokenizer);
        }
    }

    SftConfig config(String output) {
        SftConfig c = new SftConfig();
        c.model = model.toString();
        c.data = data.toString();
        c.output = dir.resolve(output).toString();
        c.maxLength = 64;
        c.batchSize = 8;
        c.learningRate = 3e-3;
        c.schedule = "constant";
        c.evalFraction = 0.15;
        c.logEvery = 1;
        return c;
    }

    @Test
    void heldOutLossFallsByAFifth() throws IOException {
        SftConfig c = config("sft");
        c.maxSteps = 40;
        double before = heldOutLossOfStartingModel(c);
        assertEquals(Math.log(512), before, 0.05, "a fresh model is near uniform over the 512 tokens");
        TrainingLoop.Result r = SftTrainer.run(c, s -> {});
        double after = r.evalMetrics().get("eval/loss");
        assertTrue(after <= 0.8 * before, "held-out loss " + before + " -> " + after);
        assertEquals(Math.exp(after), r.evalMetrics().get("eval/ppl"), 1e-9 * Math.exp(after));
        List<Map<String, Object>> rows = MetricsLog.read(dir.resolve("sft/metrics.jsonl"));
        double loss = ((Number) rows.get(0).get("loss")).doubleValue(), ppl = ((Number) rows.get(0).get("ppl")).doubleValue();
        assertEquals(Math.exp(loss), ppl, 1e-4 * ppl);
    }

    @Test
    void resumeIsBitwiseExact() throws IOException {
        SftConfig straight = config("straight");
        straight.maxSteps = 20;
        SftTrainer.run(straight, s -> {});

        SftConfig halves = config("halves");
        halves.maxSteps = 20;
        halves.stopAfterSteps = 10;
        assertEquals(10, SftTrainer.run(halves, s -> {}).steps());
        halves.stopAfterSteps = 0;
        halves.resume = true;
        assertEquals(20, SftTrainer.run(halves, s -> {}).steps());

        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> x = HfCheckpoint.read(dir.resolve("straight/checkpoint-20"), m, DataType.FLOAT32).parameters();
            Map<String, NDArray> y = HfCheckpoint.read(dir.resolve("halves/checkpoint-20"), m, DataType.FLOAT32).parameters();
            assertEquals(x.keySet(), y.keySet());
            for (String k : x.keySet()) assertArrayEquals(x.get(k).toFloatArray(), y.get(k).toFloatArray(), 0f, k);
        }
        assertEquals(MetricsLog.read(dir.resolve("straight/metrics.jsonl")), MetricsLog.read(dir.resolve("halves/metrics.jsonl")));
    }

    @Test
    void plainTextBlocksOverlapByOneSoEveryTokenButTheFirstIsATargetOnce() {
        int[] ids = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
        List<TokenizedSequence> blocks = SftTrainer.blocks(ids, 4, "t");
        assertEquals(3, blocks.size());
        assertArrayEquals(new int[] {10}, blocks.get(0).promptIds());
        assertArrayEquals(new int[] {11, 12, 13}, blocks.get(0).completionIds());
        assertArrayEquals(new int[] {13}, blocks.get(1).promptIds());
        assertArrayEquals(new int[] {14, 15, 16}, blocks.get(1).completionIds());
        assertArrayEquals(new int[] {16}, blocks.get(2).promptIds());
        assertArrayEquals(new int[] {17, 18, 19}, blocks.get(2).completionIds());
        assertEquals(List.of(true, true, false), blocks.stream().map(TokenizedSequence::truncated).toList());
        assertEquals(1, SftTrainer.blocks(new int[] {1, 2}, 4, "t").size());
        assertEquals(0, SftTrainer.blocks(new int[] {1}, 4, "t").size());
    }

    @Test
    void pairwiseObjectiveIsRefused() {
        SftConfig c = config("wrong");
        c.objective = "dpo";
        assertThrows(io.align4j.util.UserError.class, () -> SftTrainer.run(c, s -> {}));
    }

    /** Token-weighted held-out loss of the untrained model, through the task's own evaluation. */
    private double heldOutLossOfStartingModel(SftConfig c) {
        try (NDManager m = NDManager.newBaseManager(); ModelLoader.LoadedModel start = ModelLoader.load(model, null, m)) {
            List<TokenizedSequence> train = new ArrayList<>(), eval = new ArrayList<>();
            SftTrainer.tokenizeSplit(c, start.tokenizer(), train, eval, s -> {});
            assertTrue(eval.size() >= 10 && train.size() >= 100, train.size() + " train, " + eval.size() + " eval");
            return new SftTask(start.model(), train, eval, start.tokenizer().padId(), c.batchSize).evaluate(m).get("loss");
        }
    }
}
