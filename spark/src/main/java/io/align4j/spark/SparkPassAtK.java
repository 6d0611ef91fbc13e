package io.align4j.spark;

import ai.djl.ndarray.NDManager;
import io.align4j.generate.BatchSampling;
import io.align4j.generate.Generation;
import io.align4j.model.io.ModelLoader;
import io.align4j.train.RewardSource;
import io.align4j.train.RewardSpec;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;

/**
 * {@code eval --pass-at-k} over a large prompt set on Spark executors: the prompts are cut into
 * shards, each a task that samples its prompts' n rows and scores them there. Row g of the whole
 * set (prompt g / n) draws what the single-process evaluation draws for it, as sampling is a
 * function of the global row ({@link BatchSampling#sample(io.align4j.model.CausalLM, List, int, int[], long, int, long)}),
 * and the rewards are scored in the same global chunks; so the success counts are the
 * single-process ones for any shard count (a reward model's batched forward equals its
 * single-process bits when the shards are whole chunks of {@value #REWARD_CHUNK} rows).
 */
public final class SparkPassAtK {
    /** Rows per sampler call, as {@code align4j eval --pass-at-k} samples. */
    public static final int SAMPLE_BATCH = 256;
    /** Rows per reward call, as {@code align4j eval --pass-at-k} scores. */
    public static final int REWARD_CHUNK = 4096;

    private SparkPassAtK() {}

    /**
     * What every task needs: the model and tokenizer paths (readable on the executors), the
     * rewards, and the evaluation's settings.
     */
    public record Job(String model, String tokenizer, RewardSpec reward, int samples, int length, long seed, double threshold)
            implements Serializable {}

    /** One task's prompts: prompts {@code first, first + 1, …} of the whole set. */
    record Shard(List<int[]> prompts, long first) implements Serializable {}

    /** Successes per prompt among {@code job.samples()} samples each, {@code shards} tasks. */
    public static int[] successes(JavaSparkContext spark, Job job, List<int[]> prompts, int shards) {
        int n = Math.max(1, Math.min(shards, prompts.size()));
        List<Shard> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = (int) ((long) i * prompts.size() / n), to = (int) ((long) (i + 1) * prompts.size() / n);
            parts.add(new Shard(new ArrayList<>(prompts.subList(from, to)), from));
        }
        List<int[]> counts = spark.parallelize(parts, n).map(new OnExecutor(job)).collect();
        int[] out = new int[prompts.size()];
        int at = 0;
        for (int[] c : counts) {
            System.arraycopy(c, 0, out, at, c.length);
            at += c.length;
        }
        return out;
    }

    /** A shard's successes, computed as the single-process evaluation computes those rows. */
    static int[] successes(Worker w, Job job, Shard shard) {
        int n = job.samples();
        List<int[]> rows = new ArrayList<>(shard.prompts().size() * n);
        for (int[] p : shard.prompts()) for (int j = 0; j < n; j++) rows.add(p);
        long firstRow = shard.first() * n;
        int[] suppress = {w.model.tokenizer().bosId(), w.model.tokenizer().eosId()};
        List<Generation> samples = BatchSampling.sample(w.model.model(), rows, job.length(), suppress, job.seed(), SAMPLE_BATCH, firstRow);
        int[] successes = new int[shard.prompts().size()];
        for (int from = 0; from < rows.size(); ) {
            long global = firstRow + from;
            int to = (int) Math.min(rows.size(), (global / REWARD_CHUNK + 1) * REWARD_CHUNK - firstRow);
            List<int[]> responses = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) responses.add(samples.get(i).tokens());
            double[] scores = w.reward.score(rows.subList(from, to), responses);
            for (int i = from; i < to; i++) if (scores[i - from] >= job.threshold()) successes[i / n]++;
            from = to;
        }
        return successes;
    }

    /** The model and the rewards on an executor. */
    static final class Worker {
        final NDManager manager = NDManager.newBaseManager();
        final ModelLoader.LoadedModel model;
        final RewardSource reward;

        Worker(Job job) {
            model = ModelLoader.load(Path.of(job.model()), job.tokenizer() == null ? null : Path.of(job.tokenizer()), manager);
            reward = job.reward().build(model.tokenizer(), manager);
        }
    }

    private record OnExecutor(Job job) implements Function<Shard, int[]> {
        @Override
        public int[] call(Shard shard) {
            // the pool's key leaves out the settings that change per evaluation, so a worker serves them all
            return WorkerPool.with(List.of(job.model(), String.valueOf(job.tokenizer()), job.reward()),
                    k -> new Worker(job), w -> successes(w, job, shard));
        }
    }
}
