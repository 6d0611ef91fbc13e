package io.align4j.hub;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Everything {@link ModelResolver} reads from the outside world, gathered in one value so that
 * tests build it directly instead of changing the process environment.
 *
 * @param endpoint       the hub's base URL without a trailing slash ({@code HF_ENDPOINT}, as
 *                       huggingface_hub reads it; default {@value #DEFAULT_ENDPOINT})
 * @param searchPath     folders to look in before the cache ({@code ALIGN4J_MODEL_PATH}, split on
 *                       the platform's path separator)
 * @param cacheRoot      the user's cache ({@code ALIGN4J_CACHE}, else
 *                       {@code $XDG_CACHE_HOME/align4j}, else {@code ~/.cache/align4j})
 * @param offline        whether downloading is forbidden ({@code HF_HUB_OFFLINE} or
 *                       {@code ALIGN4J_OFFLINE} set to 1/true/yes/on)
 * @param offlineReason  the variable that made it offline, quoted in the error; null when online
 * @param connectTimeout how long to wait for a TCP/TLS connection
 * @param requestTimeout how long to wait for each response's headers
 * @param progress       where the download progress bar goes (stderr; a sink in tests)
 */
public record HubSettings(String endpoint, List<Path> searchPath, Path cacheRoot, boolean offline, String offlineReason,
                          Duration connectTimeout, Duration requestTimeout, PrintStream progress) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String MODEL_PATH_ENV = "ALIGN4J_MODEL_PATH";
    public static final String CACHE_ENV = "ALIGN4J_CACHE";
    public static final String ENDPOINT_ENV = "HF_ENDPOINT";
    public static final List<String> OFFLINE_ENVS = List.of("HF_HUB_OFFLINE", "ALIGN4J_OFFLINE");
    private static final Set<String> TRUE_VALUES = Set.of("1", "true", "yes", "on");

    public HubSettings {
        endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        searchPath = List.copyOf(searchPath);
        cacheRoot = cacheRoot.toAbsolutePath().normalize();
    }

    /** Settings from this process's environment, the user's home and stderr. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")), System.err);
    }

    /** Settings from the given variables (only the ones named in this record's documentation are read). */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home, PrintStream progress) {
        String endpoint = nonBlank(env.get(ENDPOINT_ENV)) ? env.get(ENDPOINT_ENV).trim() : DEFAULT_ENDPOINT;
        List<Path> search = new ArrayList<>();
        if (nonBlank(env.get(MODEL_PATH_ENV))) {
            for (String part : env.get(MODEL_PATH_ENV).split(File.pathSeparator)) {
                if (!part.isBlank()) search.add(Path.of(part.trim()));
            }
        }
        Path cache;
        if (nonBlank(env.get(CACHE_ENV))) cache = Path.of(env.get(CACHE_ENV).trim());
        else if (nonBlank(env.get("XDG_CACHE_HOME"))) cache = Path.of(env.get("XDG_CACHE_HOME").trim(), "align4j");
        else cache = home.resolve(".cache").resolve("align4j");
        String reason = null;
        for (String name : OFFLINE_ENVS) {
            String v = env.get(name);
            if (reason == null && v != null && TRUE_VALUES.contains(v.trim().toLowerCase(Locale.ROOT))) reason = name + "=" + v.trim();
        }
        return new HubSettings(endpoint, search, cache, reason != null, reason,
                Duration.ofSeconds(20), Duration.ofSeconds(60), progress);
    }

    private static boolean nonBlank(String s) {
        return s != null && !s.isBlank();
    }
}
