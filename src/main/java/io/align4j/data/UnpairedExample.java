package io.align4j.data;

/**
 * One unpaired preference example, TRL's format for KTO: a prompt, a completion, and whether the
 * completion is desirable ({@code label: true}) or undesirable ({@code false}).
 *
 * @param example   the prompt and completion, held as an SFT example holds them (texts, or
 *                  message lists rendered through the chat template); the completion may be empty
 * @param desirable the label
 */
public record UnpairedExample(SftExample example, boolean desirable) {
    public String source() { return example.source(); }

    /** Whether the completion is empty (blank text, or completion turns that are all blank). */
    public boolean completionIsEmpty() {
        return example.isConversation() ? PreferenceExample.allBlank(example.completionMessages()) : example.completion().isBlank();
    }

    /** The desirable half of a pair: its prompt and chosen response. */
    public static UnpairedExample chosenOf(PreferenceExample pair) {
        return new UnpairedExample(pair.isConversation()
                ? SftExample.conversation(pair.promptMessages(), pair.chosenMessages(), pair.source())
                : SftExample.text(pair.prompt(), pair.chosen(), pair.source()), true);
    }

    /** The undesirable half of a pair: its prompt and rejected response. */
    public static UnpairedExample rejectedOf(PreferenceExample pair) {
        return new UnpairedExample(pair.isConversation()
                ? SftExample.conversation(pair.promptMessages(), pair.rejectedMessages(), pair.source())
                : SftExample.text(pair.prompt(), pair.rejected(), pair.source()), false);
    }
}
