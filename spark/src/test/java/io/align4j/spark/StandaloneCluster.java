package io.align4j.spark;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1: Spark's own Master and Workers, each a separate
 * JVM, over a SPARK_HOME assembled from the test's Maven-resolved jars (the workers launch their
 * executors from it, as real JVMs). The test's class folders (Align4j's classes) reach the
 * executors through {@code spark.executor.extraClassPath}.
 */
final class StandaloneCluster implements AutoCloseable {
    final Path home;
    final String masterUrl;
    final String executorClassPath;
    private final Process master;
    final List<Process> workers = new ArrayList<>();
    private final Path logs;

    StandaloneCluster(Path dir, int workerCount) throws IOException, InterruptedException {
        home = dir.resolve("spark-home");
        logs = dir.resolve("logs");
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(logs);
        Files.writeString(home.resolve("RELEASE"), "Spark assembled from Maven jars for a test\n"); // where the launcher finds jars/
        List<String> folders = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (String entry : testClassPath()) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) folders.add(p.toAbsolutePath().toString());
            else if (entry.endsWith(".jar") && names.add(p.getFileName().toString()))
                Files.createSymbolicLink(home.resolve("jars").resolve(p.getFileName()), p.toAbsolutePath());
        }
        executorClassPath = String.join(File.pathSeparator, folders);
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        master = start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", String.valueOf(port),
                "--webui-port", String.valueOf(freePort()));
        waitForPort(port);
        for (int i = 0; i < workerCount; i++)
            workers.add(start("worker-" + i, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                    "--memory", "1536m", "--webui-port", String.valueOf(freePort()), "--work-dir", dir.resolve("work-" + i).toString(), masterUrl));
    }

    /** Spark settings of a driver on this cluster: one executor per worker, Align4j on their class path. */
    void configure(String... ignored) {
        System.setProperty("spark.executor.extraClassPath", executorClassPath);
        System.setProperty("spark.executor.memory", "1g");
        System.setProperty("spark.executor.cores", "1");
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    }

    static void unconfigure() {
        for (String k : List.of("spark.executor.extraClassPath", "spark.executor.memory", "spark.executor.cores", "spark.driver.host",
                "spark.driver.bindAddress")) System.clearProperty(k);
    }

    /** Kills a worker as a lost machine goes: SIGKILL to it and to the executor it launched. */
    void killWorker(int i) {
        Process w = workers.get(i);
        w.descendants().forEach(ProcessHandle::destroyForcibly);
        w.destroyForcibly();
    }

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", home.resolve("jars") + File.separator + "*"));
        command.addAll(List.of(System.getProperty("align4j.spark.opens", "").split(" ")).stream().filter(s -> !s.isBlank()).toList());
        command.add(mainClass);
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        return pb.start();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process w : workers) {
            w.descendants().forEach(ProcessHandle::destroy);
            w.destroy();
        }
        master.destroy();
        for (Process w : workers) if (!w.waitFor(20, TimeUnit.SECONDS)) w.destroyForcibly();
        if (!master.waitFor(20, TimeUnit.SECONDS)) master.destroyForcibly();
        unconfigure();
    }

    /** The last lines of each process's log (for a failure message). */
    String logTails() throws IOException {
        StringBuilder out = new StringBuilder();
        try (var files = Files.list(logs)) {
            for (Path f : files.toList()) {
                List<String> lines = Files.readAllLines(f);
                out.append("== ").append(f.getFileName()).append('\n')
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()))).append('\n');
            }
        }
        return out.toString();
    }

    static List<String> testClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(cp.split(File.pathSeparator));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(int port) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IOException("the Spark master did not open port " + port + " within 60 s");
    }
}
