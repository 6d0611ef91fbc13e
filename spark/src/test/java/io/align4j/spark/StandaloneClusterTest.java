package io.align4j.spark;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import io.align4j.config.ConfigLoader;
import io.align4j.config.OfflineConfig;
import io.align4j.eval.ModelPolicy;
import io.align4j.eval.PassAtK;
import io.align4j.model.io.ModelLoader;
import io.align4j.train.OnlineTrainer;
import io.align4j.train.PreferenceTask;
import io.align4j.train.PreferenceTrainer;
import io.align4j.train.RewardSource;
import io.align4j.train.RewardSpec;
import io.align4j.util.DataPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval-pass-at-k} and reference precomputation on a real standalone cluster (a Master and
 * two Workers, separate JVMs on 127.0.0.1, whose executors are JVMs of their own) give the
 * single-process results byte for byte; and a job whose worker is killed mid-way still finishes,
 * with the same result. The cluster is stopped at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
    static final String PREFS = "prefs/openai-orca_dpo_pairs-validation.jsonl";
    @TempDir static Path dir;
    static StandaloneCluster cluster;
    /** One application for the three jobs, so its two executors start once (each loads libtorch). */
    static JavaSparkContext spark;
    static Path model, prompts;

    @BeforeAll
    static void startCluster() throws Exception {
        model = SparkOnlineTrainingTest.stories260K();
        prompts = SparkOnlineTrainingTest.writePrompts(dir, 16);
        cluster = new StandaloneCluster(dir, 2);
        cluster.configure();
        spark = SparkSessions.open(cluster.masterUrl, "align4j cluster test");
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (spark != null) spark.stop();
        } finally {
            if (cluster != null) cluster.close();
        }
    }

    @Test
    @Order(1)
    void passAtKOnTheClusterIsTheSingleProcessEval() throws Exception {
        List<String> common = List.of("--model", model.toString(), "--prompts", prompts.toString(), "--pass-at-k", "1,2",
                "--samples", "4", "--max-new-tokens", "10", "--reward-model", OnlineTrainer.GOLD, "--success-threshold", "0.3");
        Path here = dir.resolve("eval-here.json"), there = dir.resolve("eval-cluster.json");
        assertEquals(0, io.align4j.cli.Main.run(concat(List.of("eval"), common, List.of("--out", here.toString()))));
        int code = SparkMain.run(concat(List.of("eval-pass-at-k", "--spark-master", cluster.masterUrl, "--shards", "3"), common,
                List.of("--out", there.toString())));
        assertEquals(0, code, cluster.logTails());
        assertEquals(Files.readString(here), Files.readString(there));
    }

    @Test
    @Order(2)
    void referencePrecomputedOnTheClusterIsTheSingleProcessOne() throws Exception {
        Path data = DataPaths.root().resolve(PREFS);
        assumeTrue(Files.isRegularFile(data), "skipped: " + data + " is absent");
        Path local = dir.resolve("cache-here"), remote = dir.resolve("cache-cluster");
        Path yaml = Files.writeString(dir.resolve("dpo.yaml"), String.join("\n", "objective: dpo", "data: " + data,
                "model: " + model, "max_length: 64", "max_prompt_length: 32", "batch_size: 16", "eval_fraction: 0.1",
                "reference_cache: " + remote, "output: " + dir.resolve("unused"), ""));
        assertEquals(0, SparkMain.run("reference", "--spark-master", cluster.masterUrl, "--shards", "3", "--config", yaml.toString()),
                cluster.logTails());

        OfflineConfig c = ConfigLoader.resolve(new OfflineConfig(), yaml, Map.of("reference_cache", local.toString()));
        try (NDManager manager = NDManager.newBaseManager(); ModelLoader.LoadedModel ref = ModelLoader.load(model, null, manager)) {
            PreferenceTrainer.precomputeReference(c,
                    (pairs, padId, batch) -> PreferenceTask.referenceLogProbs(ref.model(), manager, pairs, padId, batch), s -> {});
        }
        List<Path> files = list(local);
        assertEquals(2, files.size(), "the training and the held-out pairs");
        assertEquals(files.stream().map(Path::getFileName).toList(), list(remote).stream().map(Path::getFileName).toList());
        for (Path f : files) assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(remote.resolve(f.getFileName())), f.toString());
    }

    /** Worker 0 (with its executor) is killed once both executors run tasks; Spark reruns the lost ones on worker 1. */
    @Test
    @Order(3)
    void aJobOutlivesAKilledWorkerWithTheSameResult() throws Exception {
        RewardSpec gold = new RewardSpec(OnlineTrainer.GOLD, null, null, null, null, 60);
        var job = new SparkPassAtK.Job(model.toAbsolutePath().toString(), null, gold, 4, 10, 7, 0.3);
        List<int[]> ids = new ArrayList<>();
        int[] expected;
        try (NDManager manager = NDManager.newBaseManager(); ModelLoader.LoadedModel m = ModelLoader.load(model, null, manager);
             RewardSource reward = gold.build(m.tokenizer(), manager)) {
            for (String line : Files.readAllLines(prompts)) ids.add(m.tokenizer().encode(line.replaceAll(".*\"prompt\": \"(.*)\"}", "$1"), true, false));
            var policy = new ModelPolicy("m", m.model(), new int[] {m.tokenizer().bosId(), m.tokenizer().eosId()}, m.tokenizer().padId(),
                    SparkPassAtK.SAMPLE_BATCH);
            expected = PassAtK.successes(policy, ids, job.samples(), job.length(), job.seed(), reward, job.threshold(), SparkPassAtK.REWARD_CHUNK);
        }
        AtomicInteger started = new AtomicInteger(), failed = new AtomicInteger();
        SparkListener counting = new SparkListener() {
            @Override public void onTaskStart(SparkListenerTaskStart e) { started.incrementAndGet(); }
            @Override public void onTaskEnd(SparkListenerTaskEnd e) { if (!e.taskInfo().successful()) failed.incrementAndGet(); }
        };
        spark.sc().addSparkListener(counting);
        try {
            CompletableFuture<int[]> result = CompletableFuture.supplyAsync(() -> SparkPassAtK.successes(spark, job, ids, 8));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (started.get() < 2 && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(started.get() >= 2, "both executors run a task\n" + cluster.logTails());
            cluster.killWorker(0);
            int[] got = result.get(240, TimeUnit.SECONDS);
            assertTrue(failed.get() >= 1, "a task was lost with the worker");
            assertArrayEquals(expected, got);
        } finally {
            spark.sc().removeSparkListener(counting);
        }
    }

    private static List<Path> list(Path folder) throws Exception {
        try (var files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    @SafeVarargs
    private static String[] concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) out.addAll(p);
        return out.toArray(String[]::new);
    }
}
