package io.align4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of {@code src/main/java} depend on each other without a cycle, so each can be read,
 * tested and changed with only the packages below it in mind. A dependency is any reference to a
 * class of another {@code io.align4j} package in code: an import or a fully qualified name
 * (comments are left out, so a Javadoc link does not count).
 */
class PackageCyclesTest {
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.align4j(?:\\.[a-z][a-z0-9_]*)*)\\.(?:[A-Z]|\\*)");
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    @Test
    void mainPackagesFormNoCycle() {
        Map<String, Set<String>> graph = packageGraph(Path.of("src/main/java"));
        assertTrue(graph.size() > 10, "found the sources: " + graph.keySet());
        List<String> cycle = findCycle(graph);
        assertTrue(cycle.isEmpty(), "package cycle: " + String.join(" -> ", cycle));
    }

    @Test
    void aCycleIsFoundAndPrinted() {
        Map<String, Set<String>> graph = new TreeMap<>();
        graph.put("a", new TreeSet<>(Set.of("b")));
        graph.put("b", new TreeSet<>(Set.of("c")));
        graph.put("c", new TreeSet<>(Set.of("a", "d")));
        graph.put("d", new TreeSet<>());
        assertEquals(List.of("a", "b", "c", "a"), findCycle(graph));
        graph.get("c").remove("a");
        assertEquals(List.of(), findCycle(graph));
    }

    /** Package to the other {@code io.align4j} packages its files refer to. */
    static Map<String, Set<String>> packageGraph(Path sources) {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = COMMENT.matcher(Files.readString(file)).replaceAll(" ");
                Matcher p = PACKAGE.matcher(code);
                if (!p.find()) continue;
                String own = p.group(1);
                Set<String> targets = graph.computeIfAbsent(own, k -> new TreeSet<>());
                Matcher r = REFERENCE.matcher(code);
                while (r.find()) if (!r.group(1).equals(own)) targets.add(r.group(1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return graph;
    }

    /** A cycle as the packages along it, first repeated at the end; empty when the graph has none. */
    static List<String> findCycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new HashMap<>(); // absent: unvisited, 1: on the path, 2: done
        for (String start : graph.keySet()) {
            if (state.containsKey(start)) continue;
            Deque<String> path = new ArrayDeque<>();
            List<String> cycle = visit(start, graph, state, path);
            if (!cycle.isEmpty()) return cycle;
        }
        return List.of();
    }

    private static List<String> visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state, Deque<String> path) {
        state.put(node, 1);
        path.addLast(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            Integer s = state.get(next);
            if (s != null && s == 1) {
                List<String> cycle = new ArrayList<>();
                boolean on = false;
                for (String n : path) {
                    if (n.equals(next)) on = true;
                    if (on) cycle.add(n);
                }
                cycle.add(next);
                return cycle;
            }
            if (s == null) {
                List<String> cycle = visit(next, graph, state, path);
                if (!cycle.isEmpty()) return cycle;
            }
        }
        path.removeLast();
        state.put(node, 2);
        return List.of();
    }
}
