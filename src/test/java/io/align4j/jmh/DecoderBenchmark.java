package io.align4j.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.align4j.generate.JavaDecoder;
import io.align4j.model.CausalLM;
import io.align4j.model.io.Llama2cCheckpoint;
import io.align4j.util.DataPaths;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The hot inner pieces of decoding stories260K: the Java decoder's matrix–vector kernel at the
 * model's shapes, one whole Java decoding step at a given position (its attention reads that
 * many cached positions), and one engine forward of a single token, whose ~200 native calls
 * are what the Java path avoids.
 *
 * <p>Not part of {@code mvn test}. Run {@code bin/jmh} (all, default settings) or e.g.
 * {@code bin/jmh 'DecoderBenchmark.javaStep' -p position=255}. Needs the shared stories260K checkpoint.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class DecoderBenchmark {

    /** y = x · W with x of the model width 64 and W [64][columns]. */
    @State(Scope.Thread)
    public static class Product {
        /** 128: q|k|v; 344: gate|up; 512: the classifier. */
        @Param({"128", "344", "512"})
        int columns;
        float[] x, weight, y;

        @Setup
        public void setUp() {
            Random random = new Random(1);
            x = new float[64];
            weight = new float[64 * columns];
            y = new float[columns];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
            for (int i = 0; i < weight.length; i++) weight[i] = (float) random.nextGaussian();
            weight = JavaDecoder.pack(weight, 64, columns);
        }
    }

    /** A Java decoder over stories260K with a cache filled up to {@code position}. */
    @State(Scope.Thread)
    public static class JavaStep {
        @Param({"0", "255", "511"})
        int position;
        NDManager manager;
        JavaDecoder decoder;
        JavaDecoder.Workspace workspace;

        @Setup
        public void setUp() {
            manager = NDManager.newBaseManager();
            try (CausalLM model = Llama2cCheckpoint.read(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), manager)) {
                decoder = JavaDecoder.of(model);
            }
            workspace = decoder.workspace(decoder.config().maxSeqLen());
            for (int pos = 0; pos < position; pos++) decoder.forward(3 + pos % 500, pos, workspace, false);
        }

        @TearDown
        public void tearDown() { manager.close(); }
    }

    /** stories260K on the engine and one token id. */
    @State(Scope.Thread)
    public static class EngineStep {
        NDManager manager;
        CausalLM model;
        NDArray token;

        @Setup
        public void setUp() {
            manager = NDManager.newBaseManager();
            model = Llama2cCheckpoint.read(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), manager);
            token = manager.create(new int[] {5}, new Shape(1, 1));
        }

        @TearDown
        public void tearDown() { manager.close(); }
    }

    /** The kernel every projection of the Java decoder runs. */
    @Benchmark
    public float[] matvec(Product p) {
        JavaDecoder.matvec(p.x, p.weight, 64, p.columns, p.y);
        return p.y;
    }

    /** One Java decoding step (five blocks and the classifier); the same cache slot is rewritten each call. */
    @Benchmark
    public float[] javaStep(JavaStep s) {
        s.decoder.forward(5, s.position, s.workspace, true);
        return s.decoder.logits(s.workspace);
    }

    /** One engine forward of one token without cache, logits copied to the JVM as the sampler does. */
    @Benchmark
    public float[] engineStep(EngineStep s) {
        try (NDManager m = s.manager.newSubManager()) {
            NDArray ids = s.token.duplicate();
            ids.attach(m);
            return s.model.forward(ids, null, null, null).toFloatArray();
        }
    }
}
