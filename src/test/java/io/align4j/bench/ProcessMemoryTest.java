package io.align4j.bench;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The bench's memory figures are the kernel's own accounting, and they see libtorch's allocations. */
class ProcessMemoryTest {
    @Test
    void peakResidentIsTheKernelsHighWaterMarkAndSeesNativeTensors() throws IOException {
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status), "needs Linux /proc/self/status");
        double before = ProcessMemory.residentMiB();
        try (NDManager m = NDManager.newBaseManager()) {
            // 256 MiB of float32 that libtorch must touch (ones, not zeros, so no page stays untouched)
            NDArray big = m.ones(new Shape(64, 1024, 1024), DataType.FLOAT32);
            assertEquals(64L * 1024 * 1024, (long) big.sum().getFloat());
            double during = ProcessMemory.residentMiB();
            double peak = ProcessMemory.peakResidentMiB();
            double kernelPeak = kib(status, "VmHWM:") / 1024.0, kernelNow = kib(status, "VmRSS:") / 1024.0;
            // the readings are VmHWM / VmRSS themselves (within what the process allocates between two reads)
            assertEquals(kernelPeak, peak, 16, "peak resident = VmHWM");
            assertEquals(kernelNow, during, 64, "resident = VmRSS");
            assertTrue(peak >= during, "the high-water mark is at least the current resident set");
            // a block this large is mapped fresh (glibc's mmap threshold is far below it), so its pages add to the resident set
            assertTrue(during - before >= 200, "a 256 MiB tensor shows in the resident set (before " + before + ", now " + during + " MiB)");
        }
    }

    private static long kib(Path status, String field) throws IOException {
        return Files.readAllLines(status).stream().filter(l -> l.startsWith(field)).findFirst()
                .map(l -> Long.parseLong(l.substring(field.length()).trim().split("\\s+")[0])).orElseThrow();
    }
}
