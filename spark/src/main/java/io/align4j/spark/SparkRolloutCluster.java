package io.align4j.spark;

import io.align4j.train.RolloutCluster;
import io.align4j.train.RolloutSource;
import io.align4j.train.RolloutWorkerSpec;
import java.util.function.Consumer;

/** The core's {@code spark_master} plug-in (registered in META-INF/services): Spark's master URLs. */
public final class SparkRolloutCluster implements RolloutCluster {
    @Override
    public boolean accepts(String master) {
        return master.startsWith("local") || master.startsWith("spark://") || master.equals("yarn") || master.startsWith("k8s://");
    }

    @Override
    public RolloutSource open(String master, RolloutWorkerSpec spec, Consumer<String> log) {
        return new SparkRollouts(SparkSessions.open(master, "align4j rollouts"), spec, log);
    }
}
