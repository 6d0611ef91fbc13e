package io.align4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from {@code /proc/self/status}, and the part of it the JVM
 * accounts for. An NDArray that is never closed leaks native (libtorch) memory, which shows in
 * the resident set but in none of the JVM's pools; a Java-side leak shows in the heap.
 */
public final class ProcessMemory {
    private ProcessMemory() {}

    /**
     * One reading, all in MiB.
     *
     * @param resident         resident set size (VmRSS)
     * @param heapCommitted    JVM heap committed (an upper bound of its resident part)
     * @param nonHeapCommitted JVM non-heap pools committed: metaspace, compressed class space, code cache
     */
    public record Snapshot(double resident, double heapCommitted, double nonHeapCommitted) {
        /**
         * Resident memory outside the JVM's heap and non-heap pools: libtorch's tensors and
         * everything else glibc malloc holds (including the JVM's own internal mallocs, thread
         * stacks and the mapped code of shared libraries).
         */
        public double outsideJvm() { return resident - heapCommitted - nonHeapCommitted; }
    }

    /** The current reading, after asking the collector to run so the heap figure is not garbage awaiting collection. */
    public static Snapshot snapshot() {
        System.gc();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        return new Snapshot(residentMiB(), memory.getHeapMemoryUsage().getCommitted() / 1048576.0,
                memory.getNonHeapMemoryUsage().getCommitted() / 1048576.0);
    }

    /** Current resident set size in MiB, or NaN where /proc is not available. */
    public static double residentMiB() { return field("VmRSS:"); }

    /** Peak resident set size in MiB, or NaN where /proc is not available. */
    public static double peakResidentMiB() { return field("VmHWM:"); }

    /**
     * Minor page faults of this process so far (/proc/self/stat), or −1 where /proc is not available:
     * each is a page the kernel mapped in because memory was touched for the first time since the
     * allocator got it, the cost of an allocator that hands large blocks back to the kernel.
     */
    public static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // fields after the command name, which is in parentheses and may contain spaces; minflt is field 10
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[7]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** CPU time of all this process's threads so far, in seconds, or NaN where the JVM does not report it. */
    public static double cpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long nanos = os.getProcessCpuTime();
            return nanos < 0 ? Double.NaN : nanos / 1e9;
        }
        return Double.NaN;
    }

    private static double field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
