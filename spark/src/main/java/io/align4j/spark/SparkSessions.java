package io.align4j.spark;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;

/** The Spark context a job of Align4j runs on, with what its executors need to compute like this process. */
public final class SparkSessions {
    /**
     * Environment that makes libtorch's float arithmetic reproducible (see the core's pom):
     * executors get the driver's values, so a row computed there has the bits it has here.
     */
    static final List<String> REPRODUCIBLE_ENV = List.of("MKL_DYNAMIC", "OMP_DYNAMIC", "MKL_CBWR", "OMP_WAIT_POLICY",
            "OMP_NUM_THREADS", "MKL_NUM_THREADS", "DJL_OFFLINE");

    private SparkSessions() {}

    /** A context and whether this call started it (then the caller stops it; one it found running belongs to its starter). */
    public record Lease(JavaSparkContext context, boolean started) implements AutoCloseable {
        @Override
        public void close() {
            if (started) context.stop();
        }
    }

    /** The running context if there is one (a program that embeds several jobs), else a new one on {@code master}. */
    public static Lease lease(String master, String appName) {
        var active = org.apache.spark.SparkContext$.MODULE$.getActive();
        if (active.isDefined()) return new Lease(JavaSparkContext.fromSparkContext(active.get()), false);
        return new Lease(open(master, appName), true);
    }

    /**
     * A context on {@code master} (under spark-submit, the master and settings it was given
     * already, when {@code master} is null). Executor JVMs get the reproducible-arithmetic
     * environment, offline DJL and the vector module of the Java decoder.
     */
    public static JavaSparkContext open(String master, String appName) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (master != null) conf.setMaster(master);
        for (String name : REPRODUCIBLE_ENV) {
            String value = System.getenv(name);
            if (value != null) conf.setIfMissing("spark.executorEnv." + name, value);
        }
        conf.setIfMissing("spark.executorEnv.MKL_CBWR", "AUTO,STRICT");
        conf.setIfMissing("spark.executorEnv.MKL_DYNAMIC", "FALSE");
        conf.setIfMissing("spark.executorEnv.OMP_DYNAMIC", "FALSE");
        conf.setIfMissing("spark.executorEnv.DJL_OFFLINE", "true");
        conf.setIfMissing("spark.executor.extraJavaOptions", "-Dai.djl.offline=true --add-modules jdk.incubator.vector");
        conf.setIfMissing("spark.ui.enabled", "false");
        // a lost task is retried on another executor; the rows it recomputes are the same (they depend only on their request)
        conf.setIfMissing("spark.task.maxFailures", "4");
        return JavaSparkContext.fromSparkContext(SparkContext.getOrCreate(conf));
    }
}
