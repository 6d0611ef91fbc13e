package io.align4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.util.UserError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One small file per format, each parsed to exactly the examples it holds. */
class DatasetFormatsTest {
    @TempDir Path dir;

    private static Message u(String s) { return Message.user(s); }

    private static Message a(String s) { return Message.assistant(s); }

    private static PreferenceExample text(String p, String c, String r) { return PreferenceExample.text(p, c, r, null); }

    private static PreferenceExample conv(List<Message> p, List<Message> c, List<Message> r) {
        return PreferenceExample.conversation(p, c, r, null);
    }

    private record Case(String file, String content, String format, List<PreferenceExample> expected) {}

    static final String STANDARD = """
            {"prompt": "2+2?", "chosen": "4", "rejected": "5"}

            {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon.", "extra": 1}
            """;

    private static final List<Case> PREFERENCE_CASES = List.of(
            new Case("standard.jsonl", STANDARD, "standard",
                    List.of(text("2+2?", "4", "5"), text("Capital of France?", "Paris.", "Lyon."))),
            new Case("standard.jsonl.gz", STANDARD, "standard",
                    List.of(text("2+2?", "4", "5"), text("Capital of France?", "Paris.", "Lyon."))),
            new Case("conversational.jsonl", """
                    {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello."}], "rejected": [{"role": "assistant", "content": "Go away."}]}
                    {"prompt": "Name a colour", "chosen": [{"role": "assistant", "content": "Blue"}], "rejected": "Loud"}
                    """, "conversational",
                    List.of(conv(List.of(Message.system("Be brief."), u("Hi")), List.of(a("Hello.")), List.of(a("Go away."))),
                            conv(List.of(u("Name a colour")), List.of(a("Blue")), List.of(a("Loud"))))),
            new Case("implicit-text.jsonl", """
                    {"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: Tell me a joke\\n\\nAssistant: Why did the chicken cross the road?", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: Tell me a joke\\n\\nAssistant: Why not."}
                    {"chosen": "The sky is blue today", "rejected": "The sky is bluish today"}
                    """, "implicit",
                    List.of(text("\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke\n\nAssistant:",
                                    " Why did the chicken cross the road?", " Why not."),
                            text("The sky is ", "blue today", "bluish today"))),
            new Case("implicit-messages.jsonl", """
                    {"chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Joke?"}, {"role": "assistant", "content": "A pun."}], "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Joke?"}, {"role": "assistant", "content": "No."}]}
                    """, "implicit",
                    List.of(conv(List.of(u("Hi"), a("Hello"), u("Joke?")), List.of(a("A pun.")), List.of(a("No."))))),
            new Case("sharegpt.json", """
                    [
                      {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}, {"from": "human", "value": "Bye"}],
                       "chosen": {"from": "gpt", "value": "Goodbye!"}, "rejected": {"from": "gpt", "value": "What?"}},
                      {"system": "Be kind.", "conversations": [{"from": "human", "value": "Help"}],
                       "chosen": {"from": "gpt", "value": "Sure."}, "rejected": {"from": "gpt", "value": "No."}}
                    ]
                    """, "sharegpt",
                    List.of(conv(List.of(u("Hi"), a("Hey"), u("Bye")), List.of(a("Goodbye!")), List.of(a("What?"))),
                            conv(List.of(Message.system("Be kind."), u("Help")), List.of(a("Sure.")), List.of(a("No."))))),
            new Case("openai.jsonl", """
                    {"input": {"messages": [{"role": "user", "content": "Say hi"}]}, "preferred_output": [{"role": "assistant", "content": "Hi!"}], "non_preferred_output": [{"role": "assistant", "content": "No."}]}
                    """, "openai",
                    List.of(conv(List.of(u("Say hi")), List.of(a("Hi!")), List.of(a("No."))))));

    private Path write(String name, String content) {
        try {
            Path file = dir.resolve(name);
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            if (name.endsWith(".gz")) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                    gz.write(bytes);
                }
                bytes = out.toByteArray();
            }
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PreferenceExample withoutSource(PreferenceExample e) {
        return new PreferenceExample(e.prompt(), e.chosen(), e.rejected(), e.promptMessages(), e.chosenMessages(),
                e.rejectedMessages(), null);
    }

    @Test
    void eachPreferenceFormatParsesToItsExamples() {
        for (Case c : PREFERENCE_CASES) {
            DatasetRead<PreferenceExample> read = PreferenceDatasets.read(write(c.file, c.content), PreferenceFormat.AUTO, OnError.FAIL);
            assertEquals(c.format, read.format(), c.file);
            assertEquals(c.expected, read.examples().stream().map(DatasetFormatsTest::withoutSource).toList(), c.file);
        }
    }

    @Test
    void gzipIsRecognisedByMagicBytesWithoutTheExtension() throws IOException {
        Path gz = write("standard.jsonl.gz", STANDARD);
        Path renamed = Files.move(gz, dir.resolve("renamed.jsonl"));
        assertEquals(2, PreferenceDatasets.read(renamed, PreferenceFormat.AUTO, OnError.FAIL).examples().size());
    }

    @Test
    void sourcesNameFileAndLine() {
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(write("s.jsonl", STANDARD), PreferenceFormat.AUTO, OnError.FAIL);
        assertEquals(dir.resolve("s.jsonl") + " line 3", read.examples().get(1).source());
    }

    @Test
    void badRecordsFailWithFileLineAndFieldOrAreCountedWhenSkipped() {
        Path file = write("bad.jsonl", """
                {"prompt": "a", "chosen": "b", "rejected": "c"}
                {"prompt": "a", "chosen": 7, "rejected": "c"}
                {"prompt": "a", "rejected": "c"}
                {"prompt": "a", "chosen": "same", "rejected": "same"}
                {"prompt": "a", "chosen": "b", "rejected": "  "}
                {"prompt": "a", "chosen": "b"
                [1, 2]
                {"prompt": "x", "chosen": "y", "rejected": "z"}
                """);
        UserError e = assertThrows(UserError.class, () -> PreferenceDatasets.read(file, PreferenceFormat.AUTO, OnError.FAIL));
        assertEquals(file + " line 2, field \"chosen\": expected a string, got a number", e.getMessage());
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(file, PreferenceFormat.AUTO, OnError.SKIP);
        assertEquals(2, read.examples().size());
        assertEquals(Map.of(Problem.WRONG_TYPE, 1, Problem.MISSING_FIELD, 1, Problem.IDENTICAL_RESPONSES, 1,
                Problem.EMPTY_FIELD, 1, Problem.INVALID_JSON, 1, Problem.NOT_AN_OBJECT, 1), read.problems());
        assertEquals(file + " line 3, field \"chosen\": missing", read.firstProblemMessages().get(1));
        assertTrue(read.summary().contains("6 skipped"), read.summary());
    }

    @Test
    void invalidUtf8IsNamedWithItsLine() throws IOException {
        Path file = dir.resolve("utf8.jsonl");
        byte[] good = "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"prompt\": \"a\", \"chosen\": \"b\u00e9\", \"rejected\": \"c\"}\n".getBytes(StandardCharsets.UTF_8);
        bad[27] = (byte) 0xC3;
        bad[28] = (byte) 0x28;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(good);
        out.write(bad);
        Files.write(file, out.toByteArray());
        UserError e = assertThrows(UserError.class, () -> PreferenceDatasets.read(file, PreferenceFormat.AUTO, OnError.FAIL));
        assertTrue(e.getMessage().startsWith(file + " line 2: invalid UTF-8"), e.getMessage());
    }

    @Test
    void sftFormats() {
        DatasetRead<SftExample> text = SftDatasets.read(write("t.jsonl", "{\"text\": \"Once upon a time.\"}\n"), OnError.FAIL);
        assertEquals("text", text.format());
        assertEquals(List.of(SftExample.text("", "Once upon a time.", dir.resolve("t.jsonl") + " line 1")), text.examples());
        DatasetRead<SftExample> pc = SftDatasets.read(write("pc.jsonl", "{\"prompt\": \"Q: 1+1\", \"completion\": \" 2\"}\n"), OnError.FAIL);
        assertEquals("prompt-completion", pc.format());
        assertEquals("Q: 1+1", pc.examples().get(0).prompt());
        assertEquals(" 2", pc.examples().get(0).completion());
        DatasetRead<SftExample> msgs = SftDatasets.read(write("m.jsonl.gz",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}]}\n"), OnError.FAIL);
        assertEquals(List.of(u("Hi")), msgs.examples().get(0).promptMessages());
        assertEquals(List.of(a("Yo")), msgs.examples().get(0).completionMessages());
        assertEquals(List.of("### User:\nHi\n\n### Assistant:\n", "Yo"), List.of(msgs.examples().get(0).render(ChatTemplate.PLAIN)));
        DatasetRead<SftExample> plain = SftDatasets.read(write("corpus.txt", "First para\nline two\n\n\nSecond para\n"), OnError.FAIL);
        assertEquals(List.of("First para\nline two", "Second para"), plain.examples().stream().map(SftExample::completion).toList());
        assertEquals(dir.resolve("corpus.txt") + " line 5", plain.examples().get(1).source());
    }

    @Test
    void promptFormats() {
        DatasetRead<PromptExample> prompts = PromptDatasets.read(write("p.jsonl", """
                {"prompt": "Tell a story"}
                {"prompt": [{"role": "user", "content": "Hi"}]}
                """), OnError.FAIL);
        assertEquals(List.of("Tell a story", "### User:\nHi\n\n### Assistant:\n"),
                prompts.examples().stream().map(p -> p.render(ChatTemplate.PLAIN)).toList());
        DatasetRead<PromptExample> fromPrefs = PromptDatasets.read(write("sharegpt.json", PREFERENCE_CASES.get(5).content), OnError.FAIL);
        assertEquals("sharegpt", fromPrefs.format());
        assertEquals(List.of(u("Hi"), a("Hey"), u("Bye")), fromPrefs.examples().get(0).messages());
    }

    @Test
    void evalSplitDependsOnContentOnly() {
        PreferenceExample e = PreferenceExample.text("p", "c", "r", "a.jsonl line 1");
        PreferenceExample moved = PreferenceExample.text("p", "c", "r", "b.jsonl line 99");
        for (double f : new double[] {0.1, 0.5, 0.9}) assertEquals(EvalSplit.isEval(e, f), EvalSplit.isEval(moved, f));
        int eval = 0;
        for (int i = 0; i < 10_000; i++) if (EvalSplit.isEval(PreferenceExample.text("p" + i, "c", "r", null), 0.2)) eval++;
        // Binomial(10000, 0.2): mean 2000, standard deviation 40; 5 sigma either side.
        assertTrue(Math.abs(eval - 2000) < 200, "eval count " + eval);
    }
}
