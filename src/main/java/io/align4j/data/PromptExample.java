package io.align4j.data;

import java.util.List;

/** A prompt for online methods (sampling then scoring): text ({@code prompt} set) or messages ({@code messages} non-empty). */
public record PromptExample(String prompt, List<Message> messages, String source) {
    public PromptExample {
        messages = List.copyOf(messages);
        if ((prompt == null) == messages.isEmpty()) throw new IllegalArgumentException("a prompt is either text or messages");
    }

    public boolean isConversation() { return prompt == null; }

    /** The text the sampler continues: the text itself, or the messages with the generation prompt. */
    public String render(ChatTemplate template) {
        return isConversation() ? template.render(messages, true) : prompt;
    }
}
