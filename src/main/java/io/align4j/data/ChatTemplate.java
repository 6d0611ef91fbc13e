package io.align4j.data;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.align4j.tokenizer.HfTokenizer;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders a conversation to the text a model was trained on, with the Jinja template from its
 * {@code tokenizer_config.json} ({@code chat_template}), evaluated by jinjava configured like
 * Hugging Face's {@code apply_chat_template}: {@code trim_blocks} and {@code lstrip_blocks} on,
 * globals {@code messages} (a list of {@code {role, content}}), {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token} and the function {@code raise_exception(msg)}, which
 * fails the rendering with a {@link UserError} carrying the template's message. Jinja syntax
 * inside message contents is output literally (jinjava's nested interpretation is off).
 *
 * <p>Models without a template use {@link #PLAIN}: each turn as {@code ### Role:\ncontent},
 * turns separated by a blank line, and the generation prompt {@code \n\n### Assistant:\n}
 * (newlines after block tags are written as expressions, since {@code trim_blocks} eats them):
 * <pre>
 * ### System:
 * You are terse.
 *
 * ### User:
 * Hi!
 *
 * ### Assistant:
 * Hello.</pre>
 * Its prompt rendering is a prefix of the whole dialogue, and the response is exactly the
 * assistant's content (EOS is appended as an id by the tokenization, not as text).
 */
public final class ChatTemplate {
    /** The documented plain template for models that ship none. */
    public static final String PLAIN_SOURCE = "{% for message in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}"
            + "### {{ message['role'] | capitalize }}:\n{{ message['content'] }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '\\n\\n### Assistant:\\n' }}{% endif %}";

    public static final ChatTemplate PLAIN = new ChatTemplate(PLAIN_SOURCE, "", "");

    private static final Jinjava JINJAVA = newEngine();

    private final String source;
    private final String bosToken;
    private final String eosToken;

    /**
     * @param source   the Jinja template text
     * @param bosToken text of the BOS token ({@code ""} if none), the template's {@code bos_token}
     * @param eosToken text of the EOS token ({@code ""} if none), the template's {@code eos_token}
     */
    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** The tokenizer's own template when it has one (a Hugging Face {@code chat_template}), else {@link #PLAIN}. */
    public static ChatTemplate forTokenizer(TextTokenizer tokenizer) {
        if (tokenizer instanceof HfTokenizer hf && hf.chatTemplate().isPresent()) {
            return new ChatTemplate(hf.chatTemplate().get(), hf.bosToken(), hf.eosToken());
        }
        return PLAIN;
    }

    public String source() { return source; }

    /** The text of {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's reply begins. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        Map<String, Object> context = new HashMap<>();
        context.put("messages", messages.stream().map(m -> {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            return map;
        }).collect(Collectors.toList()));
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result = JINJAVA.renderForResult(source, context);
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            TemplateError e = fatal.get(0);
            String detail = e.getFieldName() != null && e.getFieldName().startsWith("raise_exception")
                    ? e.getFieldName() : e.getMessage();
            throw new UserError("chat template failed on a conversation of " + messages.size() + " messages (roles "
                    + messages.stream().map(Message::role).toList() + "): " + detail);
        }
        return result.getOutput();
    }

    /**
     * The text {@code response} adds to the dialogue after {@code promptText} (the rendering of
     * {@code prompt} with the generation prompt), so that {@code promptText + result} is exactly
     * the rendered whole dialogue. A template for which the prompt is not a prefix of the whole
     * is a {@link UserError} naming {@code source} and {@code field}.
     */
    public String responseText(List<Message> prompt, String promptText, List<Message> response, String source, String field) {
        List<Message> dialogue = new java.util.ArrayList<>(prompt);
        dialogue.addAll(response);
        String whole = render(dialogue, false);
        if (!whole.startsWith(promptText)) {
            throw new UserError(source + ", field \"" + field + "\": the chat template does not render the prompt"
                    + " (with add_generation_prompt) as the start of the whole dialogue, so the response cannot be cut off it");
        }
        return whole.substring(promptText.length());
    }

    /** Called by templates as {@code raise_exception('...')}; the message reaches the user through {@link #render}. */
    public static String raiseException(String message) {
        throw new IllegalStateException(message);
    }

    private static Jinjava newEngine() {
        JinjavaConfig config = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                // Message text is data: "{{ x }}" inside a message must come out literally, not be rendered again.
                .withNestedInterpretationEnabled(false).build();
        Jinjava engine = new Jinjava(config);
        engine.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        return engine;
    }
}
