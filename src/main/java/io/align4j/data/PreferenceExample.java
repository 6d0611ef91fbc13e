package io.align4j.data;

import java.util.List;
import java.util.Objects;

/**
 * One preference example: a prompt and two responses, the chosen one preferred to the rejected.
 * It is either <b>text</b> ({@code prompt}, {@code chosen}, {@code rejected} set, the message
 * lists empty), used verbatim, or a <b>conversation</b> (the three message lists set, the
 * strings null), rendered to text by the model's {@link ChatTemplate}; {@link #isConversation}
 * tells which.
 *
 * A response may be empty ({@link #hasEmptyResponse}).
 *
 * @param source      where it was read, e.g. {@code prefs.jsonl line 12} (not part of its identity
 *                    for the train/eval split)
 * @param annotations split, confidence and scores when the layout carries them (not part of its
 *                    identity either)
 */
public record PreferenceExample(
        String prompt,
        String chosen,
        String rejected,
        List<Message> promptMessages,
        List<Message> chosenMessages,
        List<Message> rejectedMessages,
        String source,
        PairAnnotations annotations) {

    public PreferenceExample {
        Objects.requireNonNull(annotations, "annotations (PairAnnotations.NONE when there are none)");
        promptMessages = List.copyOf(promptMessages);
        chosenMessages = List.copyOf(chosenMessages);
        rejectedMessages = List.copyOf(rejectedMessages);
        boolean text = prompt != null && chosen != null && rejected != null;
        boolean conversation = !chosenMessages.isEmpty() && !rejectedMessages.isEmpty();
        if (text == conversation) {
            throw new IllegalArgumentException("a preference example holds either three texts or chosen/rejected messages");
        }
    }

    /** An example without annotations. */
    public PreferenceExample(String prompt, String chosen, String rejected, List<Message> promptMessages,
            List<Message> chosenMessages, List<Message> rejectedMessages, String source) {
        this(prompt, chosen, rejected, promptMessages, chosenMessages, rejectedMessages, source, PairAnnotations.NONE);
    }

    public static PreferenceExample text(String prompt, String chosen, String rejected, String source) {
        return new PreferenceExample(prompt, chosen, rejected, List.of(), List.of(), List.of(), source);
    }

    public static PreferenceExample conversation(
            List<Message> prompt, List<Message> chosen, List<Message> rejected, String source) {
        return new PreferenceExample(null, null, null, prompt, chosen, rejected, source);
    }

    public PreferenceExample withAnnotations(PairAnnotations annotations) {
        return new PreferenceExample(prompt, chosen, rejected, promptMessages, chosenMessages, rejectedMessages, source, annotations);
    }

    public boolean isConversation() { return prompt == null; }

    /** Whether the chosen response is empty (blank text, or response turns that are all blank). */
    public boolean chosenIsEmpty() { return isConversation() ? allBlank(chosenMessages) : chosen.isBlank(); }

    public boolean rejectedIsEmpty() { return isConversation() ? allBlank(rejectedMessages) : rejected.isBlank(); }

    public boolean hasEmptyResponse() { return chosenIsEmpty() || rejectedIsEmpty(); }

    static boolean allBlank(List<Message> turns) { return turns.stream().allMatch(m -> m.content().isBlank()); }

    /**
     * The three texts the tokenizer sees. Text examples are returned as they are. A conversation
     * renders the prompt with the generation prompt ({@code add_generation_prompt}) and each
     * whole dialogue (prompt + response turns) without it; the response text is what the whole
     * dialogue adds after the prompt, so {@code prompt + chosen} is exactly the rendered dialogue.
     */
    public TextTriple render(ChatTemplate template) {
        if (!isConversation()) return new TextTriple(prompt, chosen, rejected);
        String promptText = template.render(promptMessages, true);
        return new TextTriple(promptText,
                template.responseText(promptMessages, promptText, chosenMessages, source, "chosen"),
                template.responseText(promptMessages, promptText, rejectedMessages, source, "rejected"));
    }

    /** Identity of the content (not of its position in the file), for hashing. */
    String contentKey() {
        if (!isConversation()) return "T\u0000" + prompt + "\u0000" + chosen + "\u0000" + rejected;
        return "C\u0000" + join(promptMessages) + "\u0001" + join(chosenMessages) + "\u0001" + join(rejectedMessages);
    }

    static String join(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) sb.append(m.role()).append('\u0002').append(m.content()).append('\u0003');
        return sb.toString();
    }

    /** Prompt, chosen and rejected as text. */
    public record TextTriple(String prompt, String chosen, String rejected) {
        public TextTriple {
            Objects.requireNonNull(prompt);
            Objects.requireNonNull(chosen);
            Objects.requireNonNull(rejected);
        }
    }
}
