package io.align4j.spark;

import io.align4j.model.CausalLM;
import io.align4j.train.PolicySnapshot;
import io.align4j.train.Rollout;
import io.align4j.train.RolloutRequest;
import io.align4j.train.RolloutSource;
import io.align4j.train.RolloutWorker;
import io.align4j.train.RolloutWorkerSpec;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;

/**
 * Rollouts on Spark executors: per call, the policy's weights are broadcast once, each request
 * (a shard of whole prompt groups, with its global first row) is one task, which samples, scores
 * and runs the reference on an executor ({@link RolloutWorker}, i.e. the core's
 * {@link io.align4j.train.LocalRollouts}), and the rollouts are gathered to the trainer in
 * request order. A task lost with its executor is rerun elsewhere and gives the same rows.
 */
public final class SparkRollouts implements RolloutSource {
    private final JavaSparkContext spark;
    private final RolloutWorkerSpec spec;
    private final Consumer<String> log;
    private long calls, broadcastBytes;

    public SparkRollouts(JavaSparkContext spark, RolloutWorkerSpec spec, Consumer<String> log) {
        this.spark = spark;
        this.spec = spec;
        this.log = log;
    }

    @Override
    public List<Rollout> rollouts(CausalLM policy, List<RolloutRequest> requests) {
        PolicySnapshot snapshot = PolicySnapshot.of(policy);
        Broadcast<PolicySnapshot> weights = spark.broadcast(snapshot);
        try {
            // one request per partition, so collect() returns them in request order
            List<Rollout> out = spark.parallelize(requests, requests.size()).map(new OnExecutor(spec, weights)).collect();
            if (calls++ == 0)
                log.accept(String.format(Locale.ROOT, "rollouts on Spark (%s): %d tasks a rollout, %.2f MB of weights broadcast each",
                        spark.master(), requests.size(), snapshot.bytes() / 1e6));
            broadcastBytes += snapshot.bytes();
            return out;
        } finally {
            weights.destroy();
        }
    }

    /** Bytes of weights broadcast so far (once per call). */
    public long broadcastBytes() { return broadcastBytes; }

    @Override
    public void close() {
        spark.stop();
    }

    /** The task: one request's rollout from the broadcast weights, on a worker of this executor. */
    private record OnExecutor(RolloutWorkerSpec spec, Broadcast<PolicySnapshot> weights) implements Function<RolloutRequest, Rollout> {
        @Override
        public Rollout call(RolloutRequest request) {
            return WorkerPool.with(spec, RolloutWorker::new, w -> w.rollouts(weights.value(), List.of(request)).get(0));
        }
    }
}
