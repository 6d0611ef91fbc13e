package io.align4j.train;

import io.align4j.util.UserError;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * A plug-in that makes rollouts on a cluster, found by {@link ServiceLoader}: the core names no
 * cluster library, and the align4j-spark module provides the one for {@code spark_master}. With
 * the plug-in's jar on the class path the ordinary {@code align4j train} reaches it; without it,
 * a run that asks for a cluster says which jar is missing.
 */
public interface RolloutCluster {

    /** Whether this plug-in serves the master URL (e.g. {@code local[2]}, {@code spark://host:7077}). */
    boolean accepts(String master);

    /** A rollout source on the cluster, its executors building what they need from {@code spec}. */
    RolloutSource open(String master, RolloutWorkerSpec spec, Consumer<String> log);

    /** The source of the first plug-in on the class path that accepts {@code master}. */
    static RolloutSource connect(String master, RolloutWorkerSpec spec, Consumer<String> log) {
        for (RolloutCluster cluster : ServiceLoader.load(RolloutCluster.class))
            if (cluster.accepts(master)) return cluster.open(master, spec, log);
        throw new UserError("spark_master " + master + ": no rollout cluster on the class path; run with bin/align4j-spark"
                + " (the align4j-spark jar carries the Spark plug-in)");
    }
}
