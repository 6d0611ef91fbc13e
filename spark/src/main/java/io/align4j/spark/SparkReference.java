package io.align4j.spark;

import ai.djl.ndarray.NDManager;
import io.align4j.data.TokenizedPair;
import io.align4j.model.Compute;
import io.align4j.model.io.ModelLoader;
import io.align4j.train.PreferenceTask;
import io.align4j.train.PreferenceTrainer;
import io.align4j.train.ReferenceCache;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;

/**
 * Reference log-probs of a preference file on Spark executors: the pairs are cut into shards of
 * whole batches, each a task that runs π_0 over its batches there. Batch b holds the same pairs
 * as in the single-process computation ({@link PreferenceTask#referenceLogProbs}), so the values
 * are bitwise those, and the training run reads them from the reference cache.
 */
public final class SparkReference implements PreferenceTrainer.ReferenceScorer {
    private final JavaSparkContext spark;
    private final Model model;
    private final int shards;

    /** Where the executors load π_0 from (readable there) and how it computes. */
    public record Model(String path, String tokenizer, String device, String dtype) implements Serializable {}

    record Shard(List<TokenizedPair> pairs, int padId, int batchSize) implements Serializable {}

    public SparkReference(JavaSparkContext spark, Model model, int shards) {
        this.spark = spark;
        this.model = model;
        this.shards = shards;
    }

    @Override
    public ReferenceCache.Values score(List<TokenizedPair> pairs, int padId, int batchSize) {
        int batches = (pairs.size() + batchSize - 1) / batchSize, n = Math.max(1, Math.min(shards, batches));
        List<Shard> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = Math.min(pairs.size(), (int) ((long) i * batches / n) * batchSize);
            int to = Math.min(pairs.size(), (int) ((long) (i + 1) * batches / n) * batchSize);
            parts.add(new Shard(new ArrayList<>(pairs.subList(from, to)), padId, batchSize));
        }
        double[] chosen = new double[pairs.size()], rejected = new double[pairs.size()];
        int at = 0;
        for (ReferenceCache.Values v : spark.parallelize(parts, n).map(new OnExecutor(model)).collect()) {
            System.arraycopy(v.chosen(), 0, chosen, at, v.chosen().length);
            System.arraycopy(v.rejected(), 0, rejected, at, v.rejected().length);
            at += v.chosen().length;
        }
        return new ReferenceCache.Values(chosen, rejected);
    }

    /** π_0 on an executor. */
    static final class Worker {
        final NDManager manager;
        final ModelLoader.LoadedModel reference;

        Worker(Model m) {
            Compute compute = Compute.parse(m.device(), m.dtype());
            manager = compute.newManager();
            reference = ModelLoader.load(Path.of(m.path()), m.tokenizer() == null ? null : Path.of(m.tokenizer()), manager, compute.dtype());
        }
    }

    private record OnExecutor(Model model) implements Function<Shard, ReferenceCache.Values> {
        @Override
        public ReferenceCache.Values call(Shard s) {
            return WorkerPool.with(model, Worker::new,
                    w -> PreferenceTask.referenceLogProbs(w.reference.model(), w.manager, s.pairs(), s.padId(), s.batchSize()));
        }
    }
}
