package io.align4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver against a local HTTP server laid out like the hub: {@code /{repo}/resolve/main/...}
 * answers 302 to a {@code /cdn/...} address that serves the bytes, as huggingface.co redirects
 * to its CDN. Settings are built directly, so the process environment and ~/.cache are untouched.
 */
class ModelResolverTest {
    @TempDir Path temp;

    private byte[] checkpoint;
    private byte[] tokenizer;
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile boolean corrupt;
    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    @BeforeEach
    void serveRealFiles() throws IOException {
        checkpoint = Files.readAllBytes(SharedData.require(DataPaths.STORIES260K_MODEL));
        tokenizer = Files.readAllBytes(SharedData.require(DataPaths.STORIES260K_TOKENIZER));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/karpathy/tinyllamas/resolve/main/stories260K/", exchange -> {
            requests.incrementAndGet();
            String name = exchange.getRequestURI().getPath().substring(exchange.getRequestURI().getPath().lastIndexOf('/') + 1);
            exchange.getResponseHeaders().add("Location", "/cdn/" + name);
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        server.createContext("/cdn/", exchange -> {
            requests.incrementAndGet();
            String name = exchange.getRequestURI().getPath().substring("/cdn/".length());
            byte[] body = switch (name) {
                case "stories260K.bin" -> checkpoint.clone();
                case "tok512.bin" -> tokenizer.clone();
                default -> null;
            };
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                if (corrupt) body[body.length / 2] ^= 0x5a;
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        if (server != null) server.stop(0);
    }

    private HubSettings settings(Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.computeIfAbsent(HubSettings.ENDPOINT_ENV, k -> "http://127.0.0.1:" + server.getAddress().getPort());
        env.putIfAbsent(HubSettings.CACHE_ENV, temp.resolve("cache").toString());
        return HubSettings.fromEnvironment(env, temp.resolve("home"), new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void knownChecksumsAreThoseOfTheSharedFiles() {
        for (HubModel.HubFile f : HubModel.STORIES260K.files()) {
            Path real = SharedData.require("models/stories260K/" + f.name());
            assertEquals(f.sha256(), ModelResolver.sha256(real), f.name());
            assertEquals(f.size(), real.toFile().length(), f.name());
        }
    }

    @Test
    void downloadFillsTheCacheWithTheExactBytesAndASecondResolveStaysLocal() throws Exception {
        ModelResolver resolver = new ModelResolver(settings(Map.of()));
        ResolvedModel first = resolver.resolveStories260K(null);
        assertEquals(ResolvedModel.Source.DOWNLOAD, first.source());
        Path expectedFolder = temp.resolve("cache/models/karpathy/tinyllamas/stories260K").toAbsolutePath();
        assertEquals(expectedFolder, first.folder());
        assertArrayEquals(checkpoint, Files.readAllBytes(first.file(HubModel.STORIES260K_CHECKPOINT)));
        assertArrayEquals(tokenizer, Files.readAllBytes(first.file(HubModel.STORIES260K_TOKENIZER)));
        assertEquals(4, requests.get(), "one redirect and one CDN request per file");
        try (Stream<Path> files = Files.list(expectedFolder)) {
            assertEquals(List.of("stories260K.bin", "tok512.bin"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary .part file is left behind");
        }
        String bar = progress.toString(StandardCharsets.UTF_8);
        assertTrue(bar.contains("stories260K.bin [") && bar.contains("100%") && bar.contains("1.0 MiB / 1.0 MiB"), bar);

        ResolvedModel second = new ModelResolver(settings(Map.of())).resolveStories260K(null);
        assertEquals(ResolvedModel.Source.CACHE, second.source());
        assertEquals(expectedFolder, second.folder());
        assertEquals(ResolvedModel.Source.CACHE, new ModelResolver(settings(Map.of("HF_HUB_OFFLINE", "1"))).resolveStories260K(null).source(),
                "offline mode still finds the cache");
        assertEquals(4, requests.get(), "the cached files are used without asking the server");
    }

    @Test
    void corruptedDownloadIsRejectedNamingUrlAndBothHashesAndLeavesNoFile() throws Exception {
        corrupt = true;
        ModelResolver resolver = new ModelResolver(settings(Map.of()));
        UserError e = assertThrows(UserError.class, () -> resolver.resolveStories260K(null));
        byte[] served = checkpoint.clone();
        served[served.length / 2] ^= 0x5a;
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin";
        assertTrue(e.getMessage().contains(url), e.getMessage());
        assertTrue(e.getMessage().contains("expected sha256 " + HubModel.STORIES260K.files().get(0).sha256()), e.getMessage());
        assertTrue(e.getMessage().contains("the download has " + sha256(served)), e.getMessage());
        Path folder = resolver.cacheFolder(HubModel.STORIES260K);
        try (Stream<Path> files = Files.list(folder)) {
            assertEquals(List.of(), files.toList(), "neither the temporary nor the final file remains");
        }
    }

    @Test
    void offlineModeNamesTheFilesTheCacheFolderAndTheSearchPathVariableWithoutAnyRequest() {
        for (String variable : HubSettings.OFFLINE_ENVS) {
            ModelResolver resolver = new ModelResolver(settings(Map.of(variable, "1")));
            UserError e = assertThrows(UserError.class, () -> resolver.resolveStories260K(null));
            String m = e.getMessage();
            assertTrue(m.contains("offline (" + variable + "=1)"), m);
            assertTrue(m.contains("stories260K.bin (1056540 bytes") && m.contains("tok512.bin (6227 bytes"), m);
            assertTrue(m.contains(resolver.cacheFolder(HubModel.STORIES260K).toString()), m);
            assertTrue(m.contains("ALIGN4J_MODEL_PATH"), m);
            assertFalse(m.contains("\n"), "one line");
        }
        assertEquals(0, requests.get());
    }

    @Test
    void unreachableServerGivesTheSameGuidance() {
        int port = server.getAddress().getPort();
        server.stop(0);
        server = null;
        ModelResolver resolver = new ModelResolver(settings(Map.of(HubSettings.ENDPOINT_ENV, "http://127.0.0.1:" + port)));
        UserError e = assertThrows(UserError.class, () -> resolver.resolveStories260K(null));
        assertTrue(e.getMessage().contains("download of http://127.0.0.1:" + port + "/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin failed"),
                e.getMessage());
        assertTrue(e.getMessage().contains("put them in " + resolver.cacheFolder(HubModel.STORIES260K)), e.getMessage());
    }

    @Test
    void searchPathWinsOverTheCacheAndFindsTheModelSubfolder() throws IOException {
        ModelResolver resolver = new ModelResolver(settings(Map.of()));
        Path cached = resolver.resolveStories260K(null).folder();
        int afterDownload = requests.get();
        Path empty = Files.createDirectories(temp.resolve("empty"));
        Path models = temp.resolve("models");
        Path local = Files.createDirectories(models.resolve("stories260K"));
        Files.write(local.resolve("stories260K.bin"), checkpoint);
        Files.write(local.resolve("tok512.bin"), tokenizer);

        String searchPath = empty + File.pathSeparator + models;
        ResolvedModel found = new ModelResolver(settings(Map.of(HubSettings.MODEL_PATH_ENV, searchPath))).resolveStories260K(null);
        assertEquals(ResolvedModel.Source.SEARCH_PATH, found.source());
        assertEquals(local.toAbsolutePath(), found.folder());
        assertTrue(Files.exists(cached.resolve("stories260K.bin")), "the cache was there and still lost");
        assertEquals(afterDownload, requests.get());
    }

    @Test
    void explicitPathWinsAndMustHoldTheFiles() throws IOException {
        Path shared = SharedData.require(DataPaths.STORIES260K_MODEL).getParent();
        ModelResolver resolver = new ModelResolver(settings(Map.of(HubSettings.MODEL_PATH_ENV, temp.toString())));
        assertEquals(new ResolvedModel(shared.toAbsolutePath().normalize(), ResolvedModel.Source.EXPLICIT), resolver.resolveStories260K(shared));
        assertEquals(shared.toAbsolutePath().normalize(),
                resolver.resolveStories260K(shared.resolve("stories260K.bin")).folder(), "the checkpoint file names its folder");
        assertEquals(shared.toAbsolutePath().normalize(), resolver.resolveStories260K(shared.getParent()).folder(), "the stories260K/ subfolder");
        Path empty = Files.createDirectories(temp.resolve("nothing-here"));
        UserError e = assertThrows(UserError.class, () -> resolver.resolveStories260K(empty));
        assertTrue(e.getMessage().startsWith(empty + ": the model path given does not hold stories260K.bin and tok512.bin"), e.getMessage());
        assertEquals(0, requests.get(), "an explicit path never falls back to a download");
    }

    @Test
    void settingsFollowTheEnvironmentPrecedence() {
        Path home = temp.resolve("home");
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        HubSettings bare = HubSettings.fromEnvironment(Map.of(), home, sink);
        assertEquals("https://huggingface.co", bare.endpoint());
        assertEquals(home.resolve(".cache/align4j").toAbsolutePath(), bare.cacheRoot());
        assertFalse(bare.offline());
        assertEquals(List.of(), bare.searchPath());

        HubSettings xdg = HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x/cache", "HF_ENDPOINT", "https://mirror.example/",
                "HF_HUB_OFFLINE", "0", "ALIGN4J_OFFLINE", "TRUE"), home, sink);
        assertEquals(Path.of("/x/cache/align4j"), xdg.cacheRoot());
        assertEquals("https://mirror.example", xdg.endpoint());
        assertTrue(xdg.offline());
        assertEquals("ALIGN4J_OFFLINE=TRUE", xdg.offlineReason());

        HubSettings own = HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x/cache", "ALIGN4J_CACHE", "/y/a4j",
                "ALIGN4J_MODEL_PATH", "/a" + File.pathSeparator + File.pathSeparator + "/b"), home, sink);
        assertEquals(Path.of("/y/a4j"), own.cacheRoot());
        assertEquals(List.of(Path.of("/a"), Path.of("/b")), own.searchPath());
    }
}
