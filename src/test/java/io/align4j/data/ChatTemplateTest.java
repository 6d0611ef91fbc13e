package io.align4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.util.UserError;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real-world chat templates rendered by jinjava exactly as transformers' apply_chat_template renders them. */
class ChatTemplateTest {
    /** Llama-2-chat's template as published in its tokenizer_config.json. */
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    /** Zephyr's template: relies on trim_blocks for its layout. */
    static final String ZEPHYR = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    /** ChatML (Qwen, OpenHermes, ...). */
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
            + " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    static final List<Message> DIALOGUE = List.of(Message.system("Be nice."), Message.user(" Hi there "), Message.assistant("Hello!"),
            Message.user("Tell me a joke."));

    @Test
    void llama2() {
        ChatTemplate t = new ChatTemplate(LLAMA2, "<s>", "</s>");
        assertEquals("<s>[INST] <<SYS>>\nBe nice.\n<</SYS>>\n\n Hi there [/INST] Hello! </s><s>[INST] Tell me a joke. [/INST]",
                t.render(DIALOGUE, true));
        UserError e = assertThrows(UserError.class, () -> t.render(List.of(Message.assistant("x")), false));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void zephyr() {
        ChatTemplate t = new ChatTemplate(ZEPHYR, "<s>", "</s>");
        assertEquals("<|system|>\nBe nice.</s>\n<|user|>\n Hi there </s>\n<|assistant|>\nHello!</s>\n<|user|>\nTell me a joke.</s>\n"
                + "<|assistant|>\n", t.render(DIALOGUE, true));
    }

    @Test
    void chatMlPromptIsAPrefixAndTheResponseIsTheRest() {
        ChatTemplate t = new ChatTemplate(CHATML, "", "<|im_end|>");
        PreferenceExample e = PreferenceExample.conversation(List.of(Message.user("2+2?")), List.of(Message.assistant("4")),
                List.of(Message.assistant("5")), "x line 1");
        PreferenceExample.TextTriple text = e.render(t);
        assertEquals("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", text.prompt());
        assertEquals("4<|im_end|>\n", text.chosen());
        assertEquals("5<|im_end|>\n", text.rejected());
    }

    @Test
    void plainTemplate() {
        assertEquals("### System:\nBe nice.\n\n### User:\n Hi there \n\n### Assistant:\nHello!\n\n### User:\nTell me a joke.\n\n### Assistant:\n",
                ChatTemplate.PLAIN.render(DIALOGUE, true));
        assertEquals("### User:\nHi", ChatTemplate.PLAIN.render(List.of(Message.user("Hi")), false));
        // Jinja syntax inside a message is text, as in the ShareGPT demo's "curly braces ( '{{ ... }}' )".
        assertEquals("### User:\nword in {{ ... }} and {% x %}", ChatTemplate.PLAIN.render(List.of(Message.user("word in {{ ... }} and {% x %}")), false));
    }
}
