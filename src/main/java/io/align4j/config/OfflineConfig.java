package io.align4j.config;

/**
 * Offline preference training ({@code align4j train} with a pairwise objective such as dpo,
 * pmle or mio, or kto on unpaired data): the reference's log-probs are computed once and cached.
 */
public class OfflineConfig extends PolicyConfig {
    @Setting("Samples per prompt for PMLE's on-policy KL term when its β is positive.")
    public int klSamples = 2;
    @Setting("Folder of the reference log-prob cache; unset = ~/.cache/align4j/reference.")
    public String referenceCache;
    @Setting("Compute the reference's log-probs once and cache them; false runs the reference inside every step (slower;"
            + " for measuring the difference).")
    public boolean useReferenceCache = true;
    @Setting("Score chosen and rejected in one forward pass; false = two passes (for measuring the difference).")
    public boolean concatenatedForward = true;

    public OfflineConfig() {
        objective = "dpo";
    }
}
