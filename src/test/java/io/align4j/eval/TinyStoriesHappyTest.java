package io.align4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.data.DatasetRead;
import io.align4j.data.OnError;
import io.align4j.data.PreferenceDatasets;
import io.align4j.data.PreferenceExample;
import io.align4j.data.PreferenceFormat;
import io.align4j.model.io.ModelLoader;
import io.align4j.task.HappyTask;
import io.align4j.task.KnownTarget;
import io.align4j.task.TaskBuilder;
import io.align4j.task.TaskSettings;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance of the known-target task on stories260K at a small size (responses of 8 tokens,
 * 6 held-out prompts, 8 reference samples each): the build is reproducible and loads as
 * standard preference data; π_0 evaluated against itself has kl/ref 0, win rate 0.5 and target
 * KLs equal to their closed forms; the target evaluated against itself has both KLs near 0.
 */
class TinyStoriesHappyTest {
    private static final int PAIRS = 10;
    private static final TaskSettings SETTINGS = new TaskSettings(99, 5, 6, 8, 0.1, 0.1, 16, 16, 60, 8, 64);

    @TempDir static Path temp;
    private static NDManager manager;
    private static ModelLoader.LoadedModel lm;
    private static Path built;
    private static HappyTask task;
    private static ModelPolicy reference;

    @BeforeAll
    static void build() {
        Path bin = SharedData.require(DataPaths.STORIES260K_MODEL);
        manager = NDManager.newBaseManager();
        lm = ModelLoader.load(bin, null, manager);
        built = temp.resolve("a");
        TaskBuilder.build(lm.model(), lm.tokenizer(), DataPaths.STORIES260K_MODEL, SETTINGS, PAIRS, built);
        task = HappyTask.load(built);
        int[] suppress = {lm.tokenizer().bosId(), lm.tokenizer().eosId()};
        reference = new ModelPolicy("pi0", lm.model(), suppress, lm.tokenizer().padId(), 64);
    }

    @AfterAll
    static void close() {
        if (lm != null) lm.close();
        if (manager != null) manager.close();
    }

    @Test
    void sameSeedWritesIdenticalFiles() throws Exception {
        Path again = temp.resolve("b");
        TaskBuilder.build(lm.model(), lm.tokenizer(), DataPaths.STORIES260K_MODEL, SETTINGS, PAIRS, again);
        List<Path> files;
        try (Stream<Path> s = Files.list(built)) {
            files = s.sorted().toList();
        }
        assertEquals(5, files.size());
        for (Path f : files) assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(again.resolve(f.getFileName())), f.toString());
    }

    @Test
    void pairsLoadAsStandardPreferenceDataWithLabelInputsThatRescore() throws Exception {
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(built.resolve(TaskBuilder.PAIRS), PreferenceFormat.AUTO, OnError.FAIL);
        assertEquals("standard", read.format());
        assertEquals(PAIRS, read.examples().size());
        assertEquals(SETTINGS.evalPrompts(), task.evalPrompts().size());
        KnownTarget target = task.target(lm.tokenizer());
        List<String> lines = Files.readAllLines(built.resolve(TaskBuilder.PAIRS));
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode rec = json.readTree(lines.get(i));
            int[] prompt = lm.tokenizer().encode(rec.get("prompt").asText(), true, false);
            int[] chosen = json.treeToValue(rec.get("chosen_ids"), int[].class);
            int[] rejected = json.treeToValue(rec.get("rejected_ids"), int[].class);
            assertEquals(SETTINGS.responseTokens(), chosen.length);
            assertEquals(rec.get("chosen").asText(), lm.tokenizer().decode(chosen));
            assertEquals(read.examples().get(i).chosen(), rec.get("chosen").asText());
            double[] scored = reference.score(List.of(prompt, prompt), List.of(chosen, rejected)).logProbs();
            assertEquals(scored[0], rec.get("chosen_logp_ref").asDouble(), 1e-3);
            assertEquals(scored[1], rec.get("rejected_logp_ref").asDouble(), 1e-3);
            assertEquals(target.reward(chosen), rec.get("chosen_reward").asDouble(), 0);
            double p = target.preference(scored[0], target.reward(chosen), scored[1], target.reward(rejected));
            assertEquals(p, rec.get("p_chosen").asDouble(), 1e-4);
        }
    }

    @Test
    void referenceAgainstItselfHasZeroKlHalfWinRateAndClosedFormTargetKls() {
        TaskEvaluation.Result r = TaskEvaluation.evaluate(reference, reference, task, lm.tokenizer(), TaskEvaluation.Settings.defaults());
        Estimate klRef = r.metrics().get("kl/ref");
        assertTrue(klRef.covers(0, 1), "kl/ref " + klRef);
        Estimate win = r.metrics().get("gold/win_rate");
        assertTrue(win.covers(0.5, 2), "win rate " + win);
        TaskEvaluation.Details d = r.details();
        double tau = SETTINGS.tau(), reverse = 0, forward = 0;
        double[] logZ = d.toTarget().logZ();
        int prompts = logZ.length;
        for (int p = 0; p < prompts; p++) {
            // π̂ = π_0: the pooled samples all come from π_0, so ln Ẑ is their log-mean of e^{r/τ}
            double[] pooledRewards = d.pooled().rewards()[p], scaled = new double[pooledRewards.length];
            for (int j = 0; j < scaled.length; j++) scaled[j] = pooledRewards[j] / tau;
            assertEquals(TargetEstimators.logMeanExp(scaled), logZ[p], 1e-9);
            double meanReward = 0, targetReward = 0;
            for (double x : d.sampleRewards()[p]) meanReward += x / d.sampleRewards()[p].length;
            for (int j = 0; j < pooledRewards.length; j++) targetReward += d.toTarget().weights()[p][j] * pooledRewards[j];
            reverse += (logZ[p] - meanReward / tau) / prompts;
            forward += (targetReward / tau - logZ[p]) / prompts;
        }
        assertEquals(reverse, r.metrics().get("kl/target_reverse").mean(), 1e-9);
        assertEquals(forward, r.metrics().get("kl/target_forward").mean(), 1e-9);
        assertTrue(reverse > 0 && forward > 0, "π_0 differs from π*");
        assertEquals(SETTINGS.responseTokens(), r.metrics().get("length").mean(), 0);
        double entropy = r.metrics().get("entropy").mean();
        assertTrue(entropy > 0.5 && entropy < Math.log(512), "entropy " + entropy);
    }

    /**
     * The tempered proposal: at temperature 1 it samples what {@link ModelPolicy#sample} does, and
     * its log-probs at T = 0.5 are Σ_t log_softmax(z_t / T)[a_t] of the full forward's logits.
     */
    @Test
    void temperedReferenceSamplesAndScoresAsTheLogitsDividedByTheTemperature() {
        List<int[]> prompts = List.of(lm.tokenizer().encode(task.evalPrompts().get(0), true, false),
                lm.tokenizer().encode(task.evalPrompts().get(1), true, false));
        List<int[]> plain = reference.sample(prompts, 3, 8, 5), atOne = reference.sampleAtTemperature(prompts, 3, 8, 5, 1.0);
        for (int i = 0; i < plain.size(); i++) assertArrayEquals(plain.get(i), atOne.get(i), "row " + i);
        double temperature = 0.5;
        List<int[]> responses = reference.sampleAtTemperature(prompts, 3, 8, 6, temperature);
        List<int[]> rowsPrompts = new java.util.ArrayList<>();
        for (int[] p : prompts) for (int j = 0; j < 3; j++) rowsPrompts.add(p);
        double[] scored = reference.logProbsAtTemperature(rowsPrompts, responses, temperature);
        for (int i = 0; i < responses.size(); i++) {
            int[] p = rowsPrompts.get(i), a = responses.get(i), seq = new int[p.length + a.length];
            System.arraycopy(p, 0, seq, 0, p.length);
            System.arraycopy(a, 0, seq, p.length, a.length);
            try (NDManager m = manager.newSubManager()) {
                float[] logits = lm.model().forward(m.create(seq, new ai.djl.ndarray.types.Shape(1, seq.length)), null, null, null)
                        .toFloatArray();
                int vocab = lm.model().config().vocabSize();
                double expected = 0;
                for (int t = 0; t < a.length; t++) {
                    int at = (p.length - 1 + t) * vocab;
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int v = 0; v < vocab; v++) max = Math.max(max, logits[at + v] / temperature);
                    for (int v = 0; v < vocab; v++) sum += Math.exp(logits[at + v] / temperature - max);
                    expected += logits[at + a[t]] / temperature - max - Math.log(sum);
                }
                assertEquals(expected, scored[i], 1e-3, "row " + i);
            }
        }
    }

    /** A tilt that is π_0 itself (a = 1, b = 0): π_0's distance to it is zero both ways, exactly. */
    @Test
    void referenceIsAtZeroDistanceFromTheTiltThatIsItself() {
        Tilt itself = new Tilt("optimum", 1, 0, "π_0");
        TaskEvaluation.Result r = TaskEvaluation.evaluate(reference, reference, task, lm.tokenizer(), TaskEvaluation.Settings.defaults(), itself);
        assertEquals(0, r.metrics().get("kl/optimum_forward").mean(), 1e-9);
        assertEquals(0, r.metrics().get("kl/optimum_reverse").mean(), 1e-9);
        int pooled = SETTINGS.referenceSamples() + TaskEvaluation.Settings.defaults().samplesPerPrompt();
        assertEquals(pooled, r.metrics().get("ess/optimum").mean(), 1e-6, "equal weights: every pooled sample counts");
    }

    @Test
    void targetAgainstItselfHasTargetKlsNearZero() {
        TargetPolicy target = new TargetPolicy(reference, task.target(lm.tokenizer()), SETTINGS.referenceSamples(), 7);
        TaskEvaluation.Result r = TaskEvaluation.evaluate(target, reference, task, lm.tokenizer(), TaskEvaluation.Settings.defaults(),
                Tilt.target(SETTINGS.tau()));
        Estimate reverse = r.metrics().get("kl/target_reverse"), forward = r.metrics().get("kl/target_forward");
        assertEquals(forward, r.metrics().get("kl/optimum_forward"), "π* given as an optimum is measured as the target");
        assertEquals(reverse, r.metrics().get("kl/optimum_reverse"));
        assertTrue(reverse.covers(0, 2), "reverse " + reverse);
        assertTrue(forward.covers(0, 2), "forward " + forward);
        assertTrue(reverse.stderr() > 0, "the target's own ln Ẑ is estimated from its own pool, not the evaluation's");
        assertTrue(Double.isNaN(r.metrics().get("entropy").mean()));
    }
}
