package io.align4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from {@code /proc/self/status}: JVM heap and native (libtorch)
 * allocations together, which is what grows when NDArrays leak.
 */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Current resident set size in MiB, or NaN where /proc is not available. */
    public static double residentMiB() { return field("VmRSS:"); }

    /** Peak resident set size in MiB, or NaN where /proc is not available. */
    public static double peakResidentMiB() { return field("VmHWM:"); }

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
