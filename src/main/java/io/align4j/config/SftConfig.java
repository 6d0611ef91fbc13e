package io.align4j.config;

/**
 * Supervised fine-tuning ({@code align4j sft}): next-token cross-entropy on the completion of
 * prompt/completion or conversation data, or on every token of plain text. It has only the
 * settings every run has.
 */
public class SftConfig extends RunConfig {
    /** The objective label of SFT runs. */
    public static final String OBJECTIVE = "sft";

    public SftConfig() {
        objective = OBJECTIVE;
        output = "runs/sft";
    }
}
