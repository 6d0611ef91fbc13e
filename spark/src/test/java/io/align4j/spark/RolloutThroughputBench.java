package io.align4j.spark;

import ai.djl.ndarray.NDManager;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.io.ModelLoader;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.train.LocalRollouts;
import io.align4j.train.OnlineTrainer;
import io.align4j.train.RewardSource;
import io.align4j.train.RewardSpec;
import io.align4j.train.Rollout;
import io.align4j.train.RolloutRequest;
import io.align4j.train.RolloutSource;
import io.align4j.train.RolloutWorkerSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollout throughput of stories260K in one process, on Spark local[2], and on a standalone
 * cluster of two one-core workers, with the bytes each rollout moves. Not part of the suite (the
 * name is not a test's); run with
 * {@code mvn -B -o -f reactor.xml test -pl spark -Dtest=RolloutThroughputBench -Dsurefire.failIfNoSpecifiedTests=false}.
 * Settings: {@code -Dbench.prompts=16 -Dbench.samples=4 -Dbench.tokens=48 -Dbench.shards=2 -Dbench.repeats=3}.
 */
class RolloutThroughputBench {
    @TempDir Path dir;

    @Test
    void rolloutThroughput() throws Exception {
        Path model = SparkOnlineTrainingTest.stories260K();
        int prompts = Integer.getInteger("bench.prompts", 16), k = Integer.getInteger("bench.samples", 4);
        int tokens = Integer.getInteger("bench.tokens", 48), shards = Integer.getInteger("bench.shards", 2);
        int repeats = Integer.getInteger("bench.repeats", 3);
        RewardSpec gold = new RewardSpec(OnlineTrainer.GOLD, null, null, null, null, 60);
        var spec = new RolloutWorkerSpec(model.toAbsolutePath().toString(), null, null, "cpu", "float32", true, gold);
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(model, null, manager);
             RewardSource reward = gold.build(start.tokenizer(), manager)) {
            TextTokenizer tok = start.tokenizer();
            List<int[]> groups = new ArrayList<>();
            for (int i = 0; i < prompts; i++)
                groups.add(tok.encode(SparkOnlineTrainingTest.OPENINGS[i % SparkOnlineTrainingTest.OPENINGS.length], true, false));
            SamplingConfig sampling = new SamplingConfig(1, 0, 1, tokens, new int[0], new int[] {tok.bosId(), tok.eosId()}, 1);
            List<RolloutRequest> requests = new RolloutRequest(groups, k, sampling, 0, false).shards(shards);
            long weights = start.model().parameters().values().stream().mapToLong(p -> p.getShape().size() * 4).sum();
            System.out.printf(Locale.ROOT, "workload: %d prompts x %d samples x %d tokens = %d rows, %d shards; weights %d bytes%n",
                    prompts, k, tokens, prompts * k, requests.size(), weights);
            measure("one process", new LocalRollouts(start.model(), reward, tok.padId()), start, requests, repeats, tokens);
            try (SparkRollouts local = new SparkRollouts(SparkSessions.open("local[2]", "bench"), spec, s -> {})) {
                measure("spark local[2]", local, start, requests, repeats, tokens);
            }
            try (StandaloneCluster cluster = new StandaloneCluster(dir, 2)) {
                cluster.configure();
                try (SparkRollouts remote = new SparkRollouts(SparkSessions.open(cluster.masterUrl, "bench"), spec, s -> {})) {
                    measure("standalone 2 workers x 1 core", remote, start, requests, repeats, tokens);
                }
            }
        }
    }

    private static void measure(String name, RolloutSource source, ModelLoader.LoadedModel start, List<RolloutRequest> requests,
                                int repeats, int tokens) throws IOException {
        List<Rollout> out = source.rollouts(start.model(), requests); // warm-up: executors load the model, the JIT compiles
        long gathered = 0;
        for (Rollout r : out) gathered += serializedBytes(r);
        double best = Double.MAX_VALUE, total = 0;
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            source.rollouts(start.model(), requests);
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.min(best, s);
            total += s;
        }
        int rows = requests.stream().mapToInt(RolloutRequest::rows).sum();
        System.out.printf(Locale.ROOT, "%-32s mean %.3f s/rollout (best %.3f): %.0f rows/s, %.0f tokens/s; gathered %d bytes (%d a row)%n",
                name, total / repeats, best, rows * repeats / total, (double) rows * tokens * repeats / total, gathered, gathered / rows);
    }

    static long serializedBytes(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.size();
    }
}
