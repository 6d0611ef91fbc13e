package io.align4j.spark;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * Per-executor-JVM workers (a loaded model, its rewards), built once per key and reused by every
 * later task of the job, one task at a time each: concurrent tasks of one executor (local[2]
 * runs both in one JVM) each borrow their own, as a reward keeps the metrics of its last call.
 */
final class WorkerPool {
    private static final Map<Object, Queue<Object>> IDLE = new ConcurrentHashMap<>();

    private WorkerPool() {}

    /** Runs {@code task} on an idle worker of {@code key}, made by {@code make} when none is idle. */
    @SuppressWarnings("unchecked")
    static <K, W, R> R with(K key, Function<K, W> make, Function<W, R> task) {
        Queue<Object> idle = IDLE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
        W worker = (W) idle.poll();
        if (worker == null) worker = make.apply(key);
        R result = task.apply(worker);
        idle.add(worker); // a worker whose task threw is dropped with it: its state is unknown
        return result;
    }
}
