package io.align4j.data;

import java.util.List;

/**
 * One supervised fine-tuning example: a prompt (not trained on) and a completion (trained on).
 * Text form: {@code prompt} and {@code completion} set, the message lists empty; a plain
 * {@code {"text"}} record or paragraph has an empty prompt. Conversation form: the message lists
 * set, the strings null; the completion is the trailing assistant turn(s).
 */
public record SftExample(String prompt, String completion, List<Message> promptMessages,
        List<Message> completionMessages, String source) {

    public SftExample {
        promptMessages = List.copyOf(promptMessages);
        completionMessages = List.copyOf(completionMessages);
        if ((completion == null) == completionMessages.isEmpty()) {
            throw new IllegalArgumentException("an SFT example holds either texts or completion messages");
        }
    }

    public static SftExample text(String prompt, String completion, String source) {
        return new SftExample(prompt, completion, List.of(), List.of(), source);
    }

    public static SftExample conversation(List<Message> prompt, List<Message> completion, String source) {
        return new SftExample(null, null, prompt, completion, source);
    }

    public boolean isConversation() { return completion == null; }

    /** Prompt and completion as text; conversations through {@code template} (the completion is what the dialogue adds). */
    public String[] render(ChatTemplate template) {
        if (!isConversation()) return new String[] {prompt, completion};
        String promptText = template.render(promptMessages, true);
        return new String[] {promptText, template.responseText(promptMessages, promptText, completionMessages, source, "completion")};
    }
}
