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

    /** OpenAI's summarize-from-feedback comparisons: choice 0 and 1, confidence present, absent and null, a CNN/DM row. */
    static final String SUMMARIZE_FROM_FEEDBACK = """
            {"info": {"id": "t3_1", "post": "She hides under the bed all day.", "title": "My cat hides", "subreddit": "cats"}, "split": "train", "summaries": [{"text": " I have a cat", "policy": "sup2", "note": null}, {"text": " cat hides under bed", "policy": "ref", "note": "ok"}], "choice": 1, "worker": "w1", "batch": "batch3", "extra": {"confidence": 7}}
            {"info": {"id": "t3_2", "post": "We argue a lot.", "title": "Moving out?", "subreddit": "relationships"}, "split": "valid1", "summaries": [{"text": " we argue, should I move out?"}, {"text": ""}], "choice": 0, "extra": {}}
            {"info": {"id": "c1", "article": "Rain fell in Paris.", "site": "cnn"}, "split": "valid2", "summaries": [{"text": "Sun in Rome."}, {"text": "Paris rain."}], "choice": 1, "batch": "cnndm0", "extra": {"confidence": 3}}
            """;

    /** UltraFeedback binarized: whole dialogues, then only the assistant turns after a prompt (a tie, an empty response). */
    static final String SCORED = """
            {"prompt": "2+2?", "prompt_id": "p1", "chosen": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "rejected": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5"}], "messages": [], "score_chosen": 9.0, "score_rejected": 2.5}
            {"prompt": "Hi", "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": ""}], "score_chosen": 6, "score_rejected": 6}
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
                    List.of(conv(List.of(u("Say hi")), List.of(a("Hi!")), List.of(a("No."))))),
            new Case("comparisons.jsonl.gz", SUMMARIZE_FROM_FEEDBACK, "summarize_from_feedback", List.of(
                    text("SUBREDDIT: r/cats\n\nTITLE: My cat hides\n\nPOST: She hides under the bed all day.\n\nTL;DR:",
                            " cat hides under bed", " I have a cat").withAnnotations(new PairAnnotations("train", 7.0, null, null)),
                    text("SUBREDDIT: r/relationships\n\nTITLE: Moving out?\n\nPOST: We argue a lot.\n\nTL;DR:",
                            " we argue, should I move out?", "").withAnnotations(new PairAnnotations("valid1", null, null, null)),
                    text("Article:\nRain fell in Paris.\n\nTL;DR:\n", "Paris rain.", "Sun in Rome.")
                            .withAnnotations(new PairAnnotations("valid2", 3.0, null, null)))),
            new Case("ultrafeedback.jsonl", SCORED, "scored", List.of(
                    conv(List.of(u("2+2?")), List.of(a("4")), List.of(a("5"))).withAnnotations(PairAnnotations.scores(9, 2.5)),
                    conv(List.of(u("Hi")), List.of(a("Hello!")), List.of(a(""))).withAnnotations(PairAnnotations.scores(6, 6)))),
            new Case("hh-rlhf-empty.jsonl", """
                    {"chosen": "\\n\\nHuman: Say nothing.\\n\\nAssistant:", "rejected": "\\n\\nHuman: Say nothing.\\n\\nAssistant: No."}
                    {"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: "}
                    """, "implicit",
                    List.of(text("\n\nHuman: Say nothing.\n\nAssistant:", "", " No."),
                            text("\n\nHuman: Hi\n\nAssistant:", " Hello", " "))),
            new Case("standard-empty.jsonl", """
                    {"prompt": "Stay silent", "chosen": "", "rejected": "Okay!"}
                    {"prompt": [{"role": "user", "content": "Quiet?"}], "chosen": [{"role": "assistant", "content": ""}], "rejected": "Loud"}
                    """, "standard",
                    List.of(text("Stay silent", "", "Okay!"), conv(List.of(u("Quiet?")), List.of(a("")), List.of(a("Loud"))))));


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
                e.rejectedMessages(), null, e.annotations());
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
                {"prompt": "  ", "chosen": "b", "rejected": "c"}
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
    void filtersLeaveOutPairsAndCountThemByReasonEvenUnderFail() {
        Path comparisons = write("c.jsonl", SUMMARIZE_FROM_FEEDBACK);
        DatasetRead<PreferenceExample> train = PreferenceDatasets.read(comparisons, PreferenceFormat.AUTO, OnError.FAIL,
                new PairFilter(false, "train", null));
        assertEquals(List.of("train"), train.examples().stream().map(e -> e.annotations().split()).toList());
        assertEquals(Map.of(Problem.OTHER_SPLIT, 2), train.problems());
        assertEquals(comparisons + " line 2, field \"split\": split 'valid1', not 'train'", train.firstProblemMessages().get(0));
        DatasetRead<PreferenceExample> nonEmpty = PreferenceDatasets.read(comparisons, PreferenceFormat.AUTO, OnError.FAIL,
                new PairFilter(true, null, null));
        assertEquals(2, nonEmpty.examples().size());
        assertEquals(Map.of(Problem.EMPTY_RESPONSE, 1), nonEmpty.problems());
        assertEquals(comparisons + " line 2, field \"rejected\": empty response, dropped", nonEmpty.firstProblemMessages().get(0));
        Path scored = write("s.jsonl", SCORED);
        DatasetRead<PreferenceExample> gap = PreferenceDatasets.read(scored, PreferenceFormat.AUTO, OnError.FAIL,
                new PairFilter(false, null, 1.0));
        assertEquals(List.of(6.5), gap.examples().stream().map(e -> e.annotations().scoreGap()).toList());
        assertEquals(Map.of(Problem.SCORE_GAP, 1), gap.problems());
        assertEquals(scored + " line 2, field \"score_chosen\": score gap 0.0 under the minimum 1.0", gap.firstProblemMessages().get(0));
        assertTrue(gap.summary().endsWith("1 skipped: score gap under the minimum, filtered out 1"), gap.summary());
    }

    private record BadRecord(String goodFirstLine, String badLine, String error) {}

    @Test
    void newLayoutsNameFileLineAndFieldOfABadRecord() {
        String good = SUMMARIZE_FROM_FEEDBACK.lines().findFirst().orElseThrow();
        String scored = SCORED.lines().findFirst().orElseThrow();
        List<BadRecord> cases = List.of(
                new BadRecord(good, good.replace("\"title\": \"My cat hides\", ", ""), "line 2, field \"info.title\": missing"),
                new BadRecord(good, good.replace("\"choice\": 1", "\"choice\": 2"), "line 2, field \"choice\": expected 0 or 1, got 2"),
                new BadRecord(good, good.replace(" I have a cat", " cat hides under bed"),
                        "line 2, field \"summaries\": identical to the chosen response"),
                new BadRecord(good, good.replace("\"subreddit\": \"cats\"", "\"subreddit\": \"\""), "line 2, field \"info.subreddit\": empty"),
                new BadRecord(good, good.replace("{\"confidence\": 7}", "{\"confidence\": \"high\"}"),
                        "line 2, field \"extra.confidence\": expected a number, got a string"),
                new BadRecord(scored, scored.replace("9.0", "\"9\""), "line 2, field \"score_chosen\": expected a number, got a string"),
                new BadRecord(null, "{\"prompt\": \"\", \"completion\": \"x\", \"label\": true}", "line 1, field \"prompt\": empty"),
                new BadRecord(null, "{\"prompt\": \"p\", \"completion\": \"x\", \"label\": \"yes\"}",
                        "line 1, field \"label\": expected true or false, got a string"));
        for (int i = 0; i < cases.size(); i++) {
            BadRecord c = cases.get(i);
            Path file = write("bad" + i + ".jsonl", (c.goodFirstLine() == null ? "" : c.goodFirstLine() + "\n") + c.badLine() + "\n");
            UserError e = assertThrows(UserError.class, () -> {
                if (c.goodFirstLine() == null) UnpairedDatasets.read(file, OnError.FAIL, false);
                else PreferenceDatasets.read(file, PreferenceFormat.AUTO, OnError.FAIL);
            });
            assertEquals(file + " " + c.error(), e.getMessage());
        }
    }

    static final String UNPAIRED = """
            {"prompt": "Tell a joke", "completion": " Why did the chicken cross the road?", "label": true}
            {"prompt": [{"role": "user", "content": "Hi"}], "completion": [{"role": "assistant", "content": ""}], "label": false}
            {"prompt": "Say hello", "completion": "", "label": true}
            """;

    @Test
    void unpairedDataIsReadWithItsLabelsAndPreferenceDataIsUnpairedAsTrlDoes() {
        for (String name : List.of("kto.jsonl", "kto.jsonl.gz")) {
            DatasetRead<UnpairedExample> read = UnpairedDatasets.read(write(name, UNPAIRED), OnError.FAIL, false);
            assertEquals("unpaired", read.format());
            Path file = dir.resolve(name);
            assertEquals(List.of(
                    new UnpairedExample(SftExample.text("Tell a joke", " Why did the chicken cross the road?", file + " line 1"), true),
                    new UnpairedExample(SftExample.conversation(List.of(u("Hi")), List.of(a("")), file + " line 2"), false),
                    new UnpairedExample(SftExample.text("Say hello", "", file + " line 3"), true)), read.examples(), name);
            DatasetRead<UnpairedExample> dropped = UnpairedDatasets.read(file, OnError.FAIL, true);
            assertEquals(1, dropped.examples().size());
            assertEquals(Map.of(Problem.EMPTY_RESPONSE, 2), dropped.problems());
        }
        DatasetRead<UnpairedExample> fromPairs = UnpairedDatasets.read(write("p.jsonl", STANDARD), OnError.FAIL, false);
        assertEquals("standard, unpaired", fromPairs.format());
        assertEquals(List.of("4", "Paris.", "5", "Lyon."), fromPairs.examples().stream().map(e -> e.example().completion()).toList());
        assertEquals(List.of(true, true, false, false), fromPairs.examples().stream().map(UnpairedExample::desirable).toList());
        Path out = dir.resolve("unpaired.jsonl");
        UnpairedDatasets.write(fromPairs.examples(), out);
        List<UnpairedExample> again = UnpairedDatasets.read(out, OnError.FAIL, false).examples();
        assertEquals(fromPairs.examples().stream().map(e -> e.example().prompt() + "|" + e.example().completion() + "|" + e.desirable()).toList(),
                again.stream().map(e -> e.example().prompt() + "|" + e.example().completion() + "|" + e.desirable()).toList());
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
