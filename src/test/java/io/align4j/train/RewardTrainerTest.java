package io.align4j.train;

import io.align4j.config.RewardModelConfig;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.data.EvalSplit;
import io.align4j.data.OnError;
import io.align4j.data.PreferenceDatasets;
import io.align4j.data.PreferenceExample;
import io.align4j.data.PreferenceFormat;
import io.align4j.data.TokenizedPair;
import io.align4j.model.CausalLM;
import io.align4j.model.ModelConfig;
import io.align4j.model.family.Models;
import io.align4j.model.family.ParameterLayout;
import io.align4j.model.RewardModel;
import io.align4j.model.io.HfCheckpoint;
import io.align4j.model.io.RewardModelFolder;
import io.align4j.model.io.ModelLoader;
import io.align4j.safetensors.SafeTensors;
import io.align4j.objective.BradleyTerry;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Bradley–Terry reward model: head gradient, learning a sentiment preference, save and load. */
class RewardTrainerTest {
    @TempDir Path dir;

    static final ModelConfig TINY = ModelConfig.llama(16, 24, 2, 4, 2, 13, 32, 1e-5, 10000, false, 1, 2);
    static final List<TokenizedPair> PAIRS = List.of(
            new TokenizedPair(new int[] {1, 5, 7}, new int[] {8, 2}, new int[] {9, 4, 2}, false, false, "a"),
            new TokenizedPair(new int[] {1}, new int[] {3, 11, 12, 6, 2}, new int[] {10, 2}, false, false, "b"),
            new TokenizedPair(new int[] {1, 4, 4, 9}, new int[] {10, 2}, new int[] {6, 6, 5, 2}, false, false, "c"));

    /**
     * d loss / d head and d loss / d final-norm weight by autograd against central differences
     * (float64), through the training loss: margin 0.5 and centring 0.1 included.
     */
    @Test
    void headAndBackboneGradientsMatchFiniteDifferences() {
        Random random = new Random(11);
        Map<String, double[]> base = new LinkedHashMap<>();
        ParameterLayout.of(TINY).forEach((name, shape) -> {
            double[] v = new double[(int) shape.size()];
            for (int i = 0; i < v.length; i++) v[i] = shape.dimension() > 1 ? 0.3 * random.nextGaussian() : 1 + 0.1 * random.nextGaussian();
            base.put(name, v);
        });
        double[] head = new double[TINY.dim()], norm = base.get("model.norm.weight").clone();
        for (int i = 0; i < head.length; i++) head[i] = 0.5 * random.nextGaussian();

        try (NDManager root = NDManager.newBaseManager()) {
            double[][] grads = new double[2][];
            try (NDManager m = root.newSubManager()) {
                RewardModel rm = build(m, base, head, norm);
                NDArray w = rm.scoreWeight(), g = rm.backbone().parameters().get("model.norm.weight");
                w.setRequiresGradient(true);
                g.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(loss(m, rm));
                }
                grads[0] = w.getGradient().toDoubleArray();
                grads[1] = g.getGradient().toDoubleArray();
            }
            double h = 1e-5;
            for (int which = 0; which < 2; which++) {
                for (int j = 0; j < TINY.dim(); j++) {
                    double[] hp = head.clone(), hm = head.clone(), np = norm.clone(), nm = norm.clone();
                    if (which == 0) { hp[j] += h; hm[j] -= h; } else { np[j] += h; nm[j] -= h; }
                    double fd = (lossValue(root, base, hp, np) - lossValue(root, base, hm, nm)) / (2 * h);
                    assertEquals(fd, grads[which][j], 1e-7 * Math.max(1, Math.abs(fd)), (which == 0 ? "score.weight" : "model.norm.weight") + "[" + j + "]");
                }
            }
            assertTrue(java.util.Arrays.stream(grads[0]).map(Math::abs).max().orElse(0) > 1e-3, "the head gradient is not trivially zero");
        }
    }

    private static RewardModel build(NDManager m, Map<String, double[]> base, double[] head, double[] norm) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        Map<String, Shape> layout = ParameterLayout.of(TINY);
        base.forEach((name, v) -> params.put(name, m.create(name.equals("model.norm.weight") ? norm : v, layout.get(name))));
        CausalLM lm = Models.create(TINY, params, m);
        return new RewardModel(lm, m.create(head, new Shape(1, head.length)), null, null);
    }

    private static NDArray loss(NDManager m, RewardModel rm) {
        RewardTask task = new RewardTask(rm, new BradleyTerry(0.5), 0.1, PAIRS, List.of(), 0, 3);
        return task.loss(m, new int[] {0, 1, 2}, 0).loss();
    }

    private static double lossValue(NDManager root, Map<String, double[]> base, double[] head, double[] norm) {
        try (NDManager m = root.newSubManager()) {
            return loss(m, build(m, base, head, norm)).getDouble();
        }
    }

    /** Happy endings preferred over sad ones: the held-out accuracy, and the saved model scores the same. */
    @Test
    void learnsAHappyOverSadPreferenceAndTheSavedModelScoresTheHeldOutPairsAlike() throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        Path data = sentimentPairs(dir.resolve("pairs.jsonl"), 80);
        RewardModelConfig c = new RewardModelConfig();
        c.data = data.toString();
        c.output = dir.resolve("rm").toString();
        c.evalFraction = 0.25;
        c.maxSteps = 10;
        c.batchSize = 8;
        c.learningRate = 2e-3;
        c.logEvery = 5;
        c.centerRewardsCoefficient = 0.01;
        TrainingLoop.Result r = RewardTrainer.run(c, s -> {});
        double accuracy = r.evalMetrics().get("eval/accuracy");
        assertTrue(accuracy >= 0.9, "held-out accuracy " + accuracy);
        assertTrue(r.evalMetrics().get("eval/rewards/margins") > 0);

        List<PreferenceExample> heldOut = PreferenceDatasets.read(data, PreferenceFormat.AUTO, OnError.FAIL).examples().stream()
                .filter(e -> EvalSplit.isEval(e, c.evalFraction)).toList();
        try (NDManager m = NDManager.newBaseManager(); RewardModel rm = RewardModelFolder.load(r.output(), m)) {
            List<String> prompts = heldOut.stream().map(PreferenceExample::prompt).toList();
            double[] chosen = RewardModelTexts.score(rm, prompts, heldOut.stream().map(PreferenceExample::chosen).toList());
            double[] rejected = RewardModelTexts.score(rm, prompts, heldOut.stream().map(PreferenceExample::rejected).toList());
            int wins = 0;
            double margin = 0;
            for (int i = 0; i < chosen.length; i++) {
                if (chosen[i] > rejected[i]) wins++;
                margin += chosen[i] - rejected[i];
            }
            assertEquals(accuracy, (double) wins / chosen.length, 1e-12, "the loaded model ranks the held-out pairs as training measured");
            assertEquals(r.evalMetrics().get("eval/rewards/margins"), margin / chosen.length, 1e-4);
        }
    }

    @Test
    void saveThenLoadGivesIdenticalScoresInTheSequenceClassificationLayout() throws IOException {
        Path bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        Path tok = SharedData.require(DataPaths.STORIES260K_TOKENIZER);
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        randomPairs(new Random(5), 20, 12, 20, prompts, responses);
        Path folder = dir.resolve("rm");
        double[] before, alone = new double[prompts.size()];
        try (NDManager m = NDManager.newBaseManager(); ModelLoader.LoadedModel lm = ModelLoader.load(bin, tok, m)) {
            RewardModel rm = RewardModel.initialise(lm.model(), lm.tokenizer(), 3, false);
            before = rm.score(prompts, responses);
            for (int i = 0; i < prompts.size(); i++) alone[i] = rm.score(List.of(prompts.get(i)), List.of(responses.get(i)))[0];
            RewardModelFolder.save(rm, folder, tok);
        }
        // right padding never reaches the head: a row scores the same alone and in a padded batch
        assertArrayEquals(alone, before, 1e-5);
        try (NDManager m = NDManager.newBaseManager(); RewardModel loaded = RewardModelFolder.load(folder, m)) {
            assertArrayEquals(before, loaded.score(prompts, responses), 0.0);
            assertEquals(new Shape(1, 64), loaded.scoreWeight().getShape());
        }
        JsonNode config = new ObjectMapper().readTree(folder.resolve(HfCheckpoint.CONFIG).toFile());
        assertEquals("LlamaForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(1, config.get("num_labels").asInt());
        try (SafeTensors st = SafeTensors.open(folder.resolve(HfCheckpoint.WEIGHTS))) {
            assertEquals(new Shape(1, 64), st.tensors().get(RewardModel.SCORE_HEAD).shape());
        }
        // the backbone alone still opens as a causal LM
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(ParameterLayout.of(HfCheckpoint.readConfig(folder)).keySet(),
                    HfCheckpoint.read(folder, m, DataType.FLOAT32).parameters().keySet());
        }
    }

    /**
     * With the likelihood term, R = w·h_L + α·ln π_φ(a|x): the score equals the head's score plus
     * α times the backbone's own sequence log-prob, and α survives a save and load.
     */
    @Test
    void likelihoodTermAddsAlphaTimesTheBackbonesLogLikelihood() throws IOException {
        Path bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        Path tok = SharedData.require(DataPaths.STORIES260K_TOKENIZER);
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        randomPairs(new Random(8), 6, 10, 12, prompts, responses);
        Path folder = dir.resolve("rm-likelihood");
        double[] withTerm, headOnly, logLikelihood;
        try (NDManager m = NDManager.newBaseManager(); ModelLoader.LoadedModel lm = ModelLoader.load(bin, tok, m)) {
            RewardModel rm = RewardModel.initialise(lm.model(), lm.tokenizer(), 3, true);
            headOnly = rm.score(prompts, responses); // α starts at 0
            rm.likelihoodWeight().orElseThrow().set(new float[] {0.25f});
            withTerm = rm.score(prompts, responses);
            try (NDManager s = m.newSubManager()) {
                logLikelihood = io.align4j.model.SequenceScorer.sequenceLogProbs(lm.model(),
                        io.align4j.model.ResponseBatch.rightPadded(s, prompts, responses, 0)).toType(DataType.FLOAT64, false).toDoubleArray();
            }
            RewardModelFolder.save(rm, folder, tok);
        }
        for (int i = 0; i < prompts.size(); i++)
            assertEquals(headOnly[i] + 0.25 * logLikelihood[i], withTerm[i], 1e-4, "row " + i);
        assertTrue(java.util.Arrays.stream(logLikelihood).allMatch(v -> v < -1), "log-likelihoods are real sums over tokens");
        try (NDManager m = NDManager.newBaseManager(); RewardModel loaded = RewardModelFolder.load(folder, m)) {
            assertEquals(0.25, loaded.likelihoodWeight().orElseThrow().getFloat(), 0);
            assertArrayEquals(withTerm, loaded.score(prompts, responses), 0.0);
        }
    }

    /** Labels drawn from σ(α*·d) give back α* from the likelihood-weight fit, within 3 standard errors. */
    @Test
    void likelihoodWeightFitRecoversTheLabellersWeight() {
        Random random = new Random(11);
        int n = 20_000;
        double trueAlpha = 0.1;
        double[] chosen = new double[n], rejected = new double[n];
        double fisher = 0;
        for (int i = 0; i < n; i++) {
            double a = -80 + 17 * random.nextGaussian(), b = -80 + 17 * random.nextGaussian();
            double p = 1 / (1 + Math.exp(-trueAlpha * (a - b)));
            boolean aWins = random.nextDouble() < p;
            chosen[i] = aWins ? a : b;
            rejected[i] = aWins ? b : a;
            fisher += (a - b) * (a - b) * p * (1 - p);
        }
        double se = 1 / Math.sqrt(fisher);
        assertEquals(trueAlpha, RewardTrainer.likelihoodWeightFit(chosen, rejected), 3 * se);
        assertEquals(10, RewardTrainer.likelihoodWeightFit(new double[] {-1, -2}, new double[] {-3, -5}), 0, "separable pairs hit the cap");
    }

    /** {@code count} random token-id prompts and responses of 1..maxPrompt and 1..maxResponse tokens. */
    private static void randomPairs(Random random, int count, int maxPrompt, int maxResponse, List<int[]> prompts, List<int[]> responses) {
        for (int i = 0; i < count; i++) {
            prompts.add(ids(random, 1 + random.nextInt(maxPrompt)));
            responses.add(ids(random, 1 + random.nextInt(maxResponse)));
        }
    }

    private static int[] ids(Random random, int length) {
        int[] out = new int[length];
        for (int i = 0; i < length; i++) out[i] = 3 + random.nextInt(509);
        return out;
    }

    /** Story openings with a happy (chosen) and a sad (rejected) continuation, words drawn at random. */
    static Path sentimentPairs(Path file, int count) throws IOException {
        Random r = new Random(3);
        String[] names = {"Tom", "Lily", "Sam", "Mia", "Ben", "Sue", "Max", "Anna"};
        String[] things = {"ball", "kite", "cat", "tree", "cake", "boat", "dog", "toy"};
        String[] happy = {"happy", "glad", "excited", "proud", "joyful"}, good = {"smiled", "laughed", "played", "danced", "hugged a friend"};
        String[] sad = {"sad", "scared", "angry", "upset", "lonely"}, bad = {"cried", "shouted", "hid", "ran away", "felt hurt"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String n = names[r.nextInt(names.length)], t = things[r.nextInt(things.length)];
            String chosen = String.format(" %s was %s and %s with the %s.", n, happy[r.nextInt(happy.length)], good[r.nextInt(good.length)], t);
            String rejected = String.format(" %s was %s and %s near the %s.", n, sad[r.nextInt(sad.length)], bad[r.nextInt(bad.length)], t);
            lines.add(String.format("{\"prompt\": \"Once upon a time, %s found a %s. Day %d.\", \"chosen\": \"%s\", \"rejected\": \"%s\"}",
                    n, t, i, chosen, rejected));
        }
        Files.write(file, lines);
        return file;
    }
}
