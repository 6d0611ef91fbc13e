package io.align4j.hub;

import java.util.List;

/**
 * A model published as plain files in a folder of a Hugging Face hub repository, with the
 * checksums its download must match.
 *
 * @param repo   the hub repository, {@code owner/name}
 * @param folder the folder inside it that holds the files (also the local folder name)
 * @param files  the files the model needs
 */
public record HubModel(String repo, String folder, List<HubFile> files) {

    /** One file of the model: its name, the SHA-256 of its bytes (lower-case hex) and its size. */
    public record HubFile(String name, String sha256, long size) {}

    public static final String STORIES260K_CHECKPOINT = "stories260K.bin";
    public static final String STORIES260K_TOKENIZER = "tok512.bin";

    /**
     * Karpathy's 260K-parameter TinyStories Llama (llama2.c format) and its 512-token vocabulary.
     * The checksums are those of the files published in {@code karpathy/tinyllamas}.
     */
    public static final HubModel STORIES260K = new HubModel("karpathy/tinyllamas", "stories260K", List.of(
            new HubFile(STORIES260K_CHECKPOINT, "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696", 1_056_540),
            new HubFile(STORIES260K_TOKENIZER, "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312", 6_227)));

    public HubModel {
        files = List.copyOf(files);
    }

    /** {@code {endpoint}/{repo}/resolve/main/{folder}/{file}}, the hub's download URL layout. */
    public String url(String endpoint, HubFile file) {
        return endpoint + "/" + repo + "/resolve/main/" + folder + "/" + file.name();
    }
}
