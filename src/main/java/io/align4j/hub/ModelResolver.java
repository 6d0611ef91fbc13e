package io.align4j.hub;

import io.align4j.util.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Finds a model's files on this machine or fetches them from the Hugging Face hub, so that the
 * quickstart runs from a clean clone. Tried in order:
 * <ol>
 *   <li>an explicit path (a flag or config key): a folder holding the files, or holding them in a
 *       subfolder named after the model, or one of the files itself;</li>
 *   <li>each folder of {@code ALIGN4J_MODEL_PATH}, the same way;</li>
 *   <li>the user cache, {@code {cache}/models/{owner}/{repo}/{folder}/};</li>
 *   <li>a download from {@code {endpoint}/{owner}/{repo}/resolve/main/{folder}/{file}} into that
 *       cache folder.</li>
 * </ol>
 * A download streams into a temporary file beside its destination while hashing it, checks the
 * SHA-256 against {@link HubModel}'s, and only then renames it into place atomically, so the
 * cache never holds a partial or wrong file and a file present in the cache is trusted.
 * Offline (or when the network fails) the error says which files are needed and where to put them.
 */
public final class ModelResolver {
    private final HubSettings settings;

    public ModelResolver(HubSettings settings) {
        this.settings = settings;
    }

    /** A resolver reading this process's environment. */
    public static ModelResolver fromEnvironment() {
        return new ModelResolver(HubSettings.fromEnvironment());
    }

    /** Resolves stories260K (no explicit path when {@code explicit} is null). */
    public ResolvedModel resolveStories260K(Path explicit) {
        return resolve(HubModel.STORIES260K, explicit);
    }

    /**
     * The folder holding every file of {@code model}: see the class comment for the order.
     *
     * @param explicit a path given by the user, or null; when given it must hold the files
     * @throws UserError when an explicit path lacks the files, when offline or the download
     *                   fails (naming the files and where to put them), or on a checksum mismatch
     */
    public ResolvedModel resolve(HubModel model, Path explicit) {
        if (explicit != null) {
            Path start = Files.isRegularFile(explicit) ? explicit.toAbsolutePath().getParent() : explicit;
            return findIn(model, start).map(f -> new ResolvedModel(f, ResolvedModel.Source.EXPLICIT))
                    .orElseThrow(() -> new UserError(explicit + ": the model path given does not hold " + fileNames(model)
                            + " (looked in " + explicit + " and " + explicit.resolve(model.folder()) + ")"));
        }
        for (Path dir : settings.searchPath()) {
            Optional<Path> found = findIn(model, dir);
            if (found.isPresent()) return new ResolvedModel(found.get(), ResolvedModel.Source.SEARCH_PATH);
        }
        Path cached = cacheFolder(model);
        if (holdsAll(model, cached)) return new ResolvedModel(cached, ResolvedModel.Source.CACHE);
        if (settings.offline()) throw missing(model, "offline (" + settings.offlineReason() + ")");
        download(model, cached);
        return new ResolvedModel(cached, ResolvedModel.Source.DOWNLOAD);
    }

    /** Where the cache keeps {@code model}: {@code {cache}/models/{owner}/{repo}/{folder}}. */
    public Path cacheFolder(HubModel model) {
        return settings.cacheRoot().resolve("models").resolve(model.repo()).resolve(model.folder());
    }

    private static Optional<Path> findIn(HubModel model, Path dir) {
        if (holdsAll(model, dir)) return Optional.of(dir.toAbsolutePath().normalize());
        Path sub = dir.resolve(model.folder());
        if (holdsAll(model, sub)) return Optional.of(sub.toAbsolutePath().normalize());
        return Optional.empty();
    }

    private static boolean holdsAll(HubModel model, Path dir) {
        for (HubModel.HubFile f : model.files()) {
            if (!Files.isRegularFile(dir.resolve(f.name()))) return false;
        }
        return true;
    }

    private void download(HubModel model, Path folder) {
        HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(settings.connectTimeout())
                .build();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UserError(folder + ": cannot create the model cache folder (" + e.getMessage()
                    + "); set " + HubSettings.CACHE_ENV + " to a writable folder", e);
        }
        for (HubModel.HubFile file : model.files()) {
            Path target = folder.resolve(file.name());
            if (!Files.isRegularFile(target)) fetch(client, model, file, target);
        }
    }

    /** Streams one file into a temporary file while hashing it, verifies it, renames it into place. */
    private void fetch(HttpClient client, HubModel model, HubModel.HubFile file, Path target) {
        String url = model.url(settings.endpoint(), file);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(settings.requestTimeout()).GET().build();
        Path temp = null;
        try {
            temp = Files.createTempFile(target.getParent(), file.name() + ".", ".part");
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            String actual;
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw missing(model, "download failed: HTTP " + response.statusCode() + " from " + response.uri());
                }
                long total = response.headers().firstValueAsLong("Content-Length").orElse(file.size());
                actual = copyHashing(in, temp, new DownloadProgress(settings.progress(), file.name(), total));
            }
            if (!actual.equals(file.sha256())) {
                throw new UserError(url + ": checksum mismatch, expected sha256 " + file.sha256() + " but the download has "
                        + actual + "; the file was discarded");
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (IOException e) {
            throw missing(model, "download of " + url + " failed (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw missing(model, "download of " + url + " was interrupted");
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the temporary file stays behind with a .part suffix; it is never mistaken for the model
                }
            }
        }
    }

    private static String copyHashing(InputStream in, Path temp, DownloadProgress progress) throws IOException {
        MessageDigest sha = sha256();
        byte[] buffer = new byte[64 * 1024];
        long done = 0;
        try (OutputStream out = Files.newOutputStream(temp)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
                sha.update(buffer, 0, n);
                done += n;
                progress.update(done);
            }
        }
        progress.finish(done);
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The SHA-256 of a file's bytes, lower-case hex. */
    public static String sha256(Path file) {
        MessageDigest sha = sha256();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** The one error for "the files are not here and cannot be fetched": what, from where, to where. */
    private UserError missing(HubModel model, String why) {
        List<String> wanted = new ArrayList<>();
        for (HubModel.HubFile f : model.files()) {
            wanted.add(f.name() + " (" + f.size() + " bytes, sha256 " + f.sha256() + ", " + model.url(settings.endpoint(), f) + ")");
        }
        String searched = settings.searchPath().isEmpty() ? ""
                : " (not found in the " + HubSettings.MODEL_PATH_ENV + " folders " + settings.searchPath() + ")";
        return new UserError(model.repo() + "/" + model.folder() + " is not on this machine" + searched + " and " + why + ": it needs "
                + String.join(" and ", wanted) + "; put them in " + cacheFolder(model) + ", or in a folder named by "
                + HubSettings.MODEL_PATH_ENV + " (or its " + model.folder() + "/ subfolder), or pass that folder as the model path");
    }

    private static String fileNames(HubModel model) {
        List<String> names = new ArrayList<>();
        for (HubModel.HubFile f : model.files()) names.add(f.name());
        return String.join(" and ", names);
    }
}
