package io.align4j.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ScalarOpsTest {

    /** Fills freed native memory with NaN bytes, as a later allocation would overwrite it. */
    private static void collectAndScribble() {
        List<ByteBuffer> junk = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 2000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(8);
                b.putLong(0, 0x7ff8_0000_0000_0000L);
                junk.add(b);
            }
        }
        assertEquals(6000, junk.size());
    }

    @Test
    void constantsSurviveAGarbageCollectionBetweenForwardAndBackward() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                NDArray x = m.create(new double[] {1, 2, 3}).toType(dt, false);
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = ScalarOps.div(ScalarOps.mul(x, 3.0), 2.0)
                            .add(ScalarOps.pow(x, 2.0)).add(ScalarOps.maximum(x, 2.5)).add(ScalarOps.minimum(x, 1.5)).sum();
                    collectAndScribble();
                    gc.backward(y);
                }
                // d/dx [1.5x + x² + max(x, 2.5) + min(x, 1.5)] at x = 1, 2, 3
                assertArrayEquals(new double[] {1.5 + 2 + 0 + 1, 1.5 + 4 + 0 + 0, 1.5 + 6 + 1 + 0},
                        x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray(), 0, dt.toString());
            }
        }
    }

    @Test
    void constantsKeepTheOperandsDtypeAndFullPrecision() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x64 = m.create(new double[] {1});
            assertEquals(1.0 / 3, ScalarOps.div(x64, 3).getDouble(), 0);
            NDArray x32 = m.create(new float[] {1});
            assertEquals(DataType.FLOAT32, ScalarOps.mul(x32, 1.0 / 3).getDataType());
        }
    }

    /**
     * The differentiable code (models, objectives, trainers) never calls DJL's number overloads
     * whose backward reads the number; the compiled classes are checked with javap.
     */
    @Test
    void differentiableCodeUsesNoUnsafeNumberOverloads() throws IOException {
        ToolProvider javap = ToolProvider.findFirst("javap").orElseThrow();
        Path classes = Path.of("target/classes/io/align4j");
        Pattern unsafe = Pattern.compile("NDArray\\.(mul|div|pow|maximum|minimum):\\(Ljava/lang/Number;");
        List<String> offenders = new ArrayList<>();
        int checked = 0;
        for (String pkg : new String[] {"model", "objective", "train"}) {
            try (Stream<Path> files = Files.walk(classes.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    if (f.getFileName().toString().equals("ScalarOps.class")) continue;
                    StringWriter out = new StringWriter();
                    assertEquals(0, javap.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "-c", "-p", f.toString()));
                    Matcher hit = unsafe.matcher(out.toString());
                    while (hit.find()) offenders.add(classes.relativize(f) + " calls NDArray." + hit.group(1) + "(Number)");
                    checked++;
                }
            }
        }
        assertTrue(checked > 50, "only " + checked + " classes found under " + classes);
        assertEquals(List.of(), offenders, "use ScalarOps instead");
    }
}
