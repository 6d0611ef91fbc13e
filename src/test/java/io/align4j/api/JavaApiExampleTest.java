package io.align4j.api;

import static org.junit.jupiter.api.Assertions.*;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Use it from Java" program, compiled and run as written, so the documented API cannot rot. */
class JavaApiExampleTest {
    @TempDir Path dir;

    @Test
    void readmeExampleCompilesTrainsSamplesScoresAndSaves() throws Exception {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("## Use it from Java");
        assertTrue(section >= 0, "README has a section 'Use it from Java'");
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(section), "the section holds a java code block");
        String source = block.group(1);
        Matcher className = Pattern.compile("public class (\\w+)").matcher(source);
        assertTrue(className.find());

        Path src = dir.resolve("src"), classes = dir.resolve("classes");
        Files.createDirectories(src);
        Files.createDirectories(classes);
        Path file = src.resolve(className.group(1) + ".java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int compiled = javac.run(null, null, diagnostics, "-d", classes.toString(), "-cp", testClassPath(), file.toString());
        assertEquals(0, compiled, "the README example compiles:\n" + diagnostics.toString(StandardCharsets.UTF_8));

        Path data = writePairs(dir);
        Path output = dir.resolve("run");
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            Method main = loader.loadClass(className.group(1)).getMethod("main", String[].class);
            main.invoke(null, (Object) new String[] {data.toString(), output.toString()});
        } finally {
            System.setOut(stdout);
        }
        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(4, lines.size(), "loss, two stories, a log-prob: " + lines);
        double loss = Double.parseDouble(lines.get(0).replace("final loss ", ""));
        assertTrue(loss > 0 && loss < 1.5, "DPO's loss starts at ln 2 and stays finite: " + loss);
        assertFalse(lines.get(1).isBlank(), "a sampled continuation");
        double logProb = Double.parseDouble(lines.get(3).replace("ln p = ", ""));
        assertTrue(logProb < 0 && logProb > -100, "a response's log-prob: " + logProb);
        assertTrue(Files.isRegularFile(output.resolve("config.yaml")), "the run wrote its resolved config");
        assertTrue(Files.isRegularFile(output.resolve("exported/model.safetensors")), "the policy was saved");
        assertTrue(Files.isRegularFile(output.resolve("exported/config.json")));
    }

    /** Surefire runs tests from a manifest-only jar; the real class path is in this property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static Path writePairs(Path dir) throws java.io.IOException {
        String[] names = {"Tom", "Lily", "Sam", "Mia"}, things = {"ball", "kite", "cat", "cake"};
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            String n = names[i % 4], t = things[(i / 4) % 4];
            lines.append(String.format("{\"prompt\": \"%s had a %s.\", \"chosen\": \" %s was happy.\", \"rejected\": \" %s was sad %d.\"}%n",
                    n, t, n, n, i));
        }
        Path data = dir.resolve("pairs.jsonl");
        Files.writeString(data, lines.toString());
        return data;
    }

}
