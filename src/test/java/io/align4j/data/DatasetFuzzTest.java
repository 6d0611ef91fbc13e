package io.align4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.align4j.util.UserError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded corruptions of valid files: every read ends in a parse whose examples are all valid, or
 * a {@link UserError} naming the file and a line, and never in any other exception.
 */
class DatasetFuzzTest {
    private static final List<String> KEYS = List.of("prompt", "chosen", "rejected", "conversations", "from", "value",
            "role", "content", "input", "messages", "preferred_output", "non_preferred_output", "info", "post", "title",
            "subreddit", "summaries", "text", "choice", "extra", "confidence", "split", "score_chosen", "score_rejected",
            "completion", "label");

    private static final String STANDARD = """
            {"prompt": "What is 2+2?", "chosen": "It is 4.", "rejected": "It is 5."}
            {"prompt": "Name a fruit", "chosen": "Apple", "rejected": "Carrot"}
            {"prompt": "Say hi in French", "chosen": "Bonjour — salut !", "rejected": "Hola"}
            """;
    private static final String CONVERSATIONAL = """
            {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello."}], "rejected": [{"role": "assistant", "content": "Bye."}]}
            {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why?"}], "chosen": [{"role": "assistant", "content": "Because."}], "rejected": [{"role": "assistant", "content": "Hmm"}]}
            """;
    private static final String IMPLICIT = """
            {"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello there", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: Go away"}
            {"chosen": "Roses are red", "rejected": "Roses are blue"}
            """;
    private static final String OPENAI = """
            {"input": {"messages": [{"role": "user", "content": "Say hi"}]}, "preferred_output": [{"role": "assistant", "content": "Hi!"}], "non_preferred_output": [{"role": "assistant", "content": "No."}]}
            {"input": {"messages": [{"role": "system", "content": "Terse."}, {"role": "user", "content": "1+1"}]}, "preferred_output": [{"role": "assistant", "content": "2"}], "non_preferred_output": [{"role": "assistant", "content": "3"}]}
            """;
    private static final String SHAREGPT = """
            [
              {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hey"}, {"from": "human", "value": "Bye"}],
               "chosen": {"from": "gpt", "value": "Goodbye!"}, "rejected": {"from": "gpt", "value": "What?"}},
              {"conversations": [{"from": "human", "value": "Help"}],
               "chosen": {"from": "gpt", "value": "Sure."}, "rejected": {"from": "gpt", "value": "No."}}
            ]
            """;

    private static final String SUMMARIZE = DatasetFormatsTest.SUMMARIZE_FROM_FEEDBACK;
    private static final String SCORED = DatasetFormatsTest.SCORED;
    private static final String UNPAIRED = DatasetFormatsTest.UNPAIRED;

    @TempDir Path dir;

    @Test
    void thousandCorruptionsEndInAParseOrANamedError() throws IOException {
        List<String[]> bases = List.of(new String[] {"standard.jsonl", STANDARD}, new String[] {"conv.jsonl", CONVERSATIONAL},
                new String[] {"implicit.jsonl", IMPLICIT}, new String[] {"openai.jsonl", OPENAI},
                new String[] {"sharegpt.json", SHAREGPT}, new String[] {"standard.jsonl.gz", STANDARD},
                new String[] {"comparisons.jsonl", SUMMARIZE}, new String[] {"comparisons.jsonl.gz", SUMMARIZE},
                new String[] {"scored.jsonl", SCORED}, new String[] {"unpaired.jsonl", UNPAIRED}, new String[] {"unpaired.jsonl.gz", UNPAIRED});
        Random random = new Random(5L);
        int parsed = 0;
        int named = 0;
        int cases = 1980;
        for (int c = 0; c < cases; c++) {
            String[] base = bases.get(c % bases.size());
            byte[] corrupted = corrupt(base[1].getBytes(StandardCharsets.UTF_8), random);
            Path file = dir.resolve(c + "-" + base[0]);
            Files.write(file, base[0].endsWith(".gz") ? gzip(corrupted) : corrupted);
            for (OnError onError : OnError.values()) {
                try {
                    DatasetRead<?> read = base[0].startsWith("unpaired") ? readUnpaired(file, onError) : readPairs(file, onError);
                    if (onError == OnError.FAIL) assertEquals(0, read.problemCount());
                    parsed++;
                } catch (UserError e) {
                    assertTrue(e.getMessage().startsWith(file + " line "), () -> "error without file and line: " + e.getMessage());
                    named++;
                } catch (RuntimeException e) {
                    fail("case " + c + " (" + base[0] + ", " + onError + ") threw " + e + " on:\n"
                            + new String(corrupted, StandardCharsets.UTF_8), e);
                }
            }
        }
        assertEquals(2 * cases, parsed + named);
        // Both outcomes occur often: the corruptions are neither all harmless nor all fatal.
        assertTrue(parsed > cases / 4 && named > cases / 4, "parsed " + parsed + ", named errors " + named);
    }

    /** Every pair valid: a prompt, two different responses (possibly empty), its file and line. */
    private static DatasetRead<PreferenceExample> readPairs(Path file, OnError onError) {
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(file, PreferenceFormat.AUTO, onError);
        for (PreferenceExample e : read.examples()) {
            if (e.isConversation()) {
                assertFalse(e.chosenMessages().equals(e.rejectedMessages()));
            } else {
                // An implicit prompt is the responses' common start, which may be only whitespace; explicit prompts are not blank.
                assertFalse(e.prompt().isEmpty() || e.chosen().equals(e.rejected()), e.source() + ": " + e);
            }
            assertTrue(e.source().startsWith(file + " line "), e.source());
        }
        return read;
    }

    /** Every unpaired example valid: a non-empty prompt, a completion (possibly empty), its file and line. */
    private static DatasetRead<UnpairedExample> readUnpaired(Path file, OnError onError) {
        DatasetRead<UnpairedExample> read = UnpairedDatasets.read(file, onError, false);
        for (UnpairedExample e : read.examples()) {
            assertFalse(!e.example().isConversation() && e.example().prompt().isBlank(), e.source());
            assertTrue(e.source().startsWith(file + " line "), e.source());
        }
        return read;
    }

    private static byte[] corrupt(byte[] bytes, Random random) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        switch (random.nextInt(7)) {
            case 0: { // truncate a line (or the file) at a random point
                int cut = random.nextInt(bytes.length);
                int lineEnd = text.indexOf('\n', cut);
                return random.nextBoolean() || lineEnd < 0 ? Arrays.copyOf(bytes, cut)
                        : (text.substring(0, cut) + text.substring(lineEnd)).getBytes(StandardCharsets.UTF_8);
            }
            case 1: { // flip bits of one to three bytes
                byte[] out = bytes.clone();
                for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
                return out;
            }
            case 2: { // rename a key so it goes missing
                String key = "\"" + KEYS.get(random.nextInt(KEYS.size())) + "\"";
                return replaceOne(text, key, "\"renamed\"", random);
            }
            case 3: { // give a key a value of the wrong type
                String key = "\"" + KEYS.get(random.nextInt(KEYS.size())) + "\": ";
                String[] wrong = {"12, \"was\": ", "null, \"was\": ", "[1, 2], \"was\": ", "{\"a\": 1}, \"was\": ", "true, \"was\": "};
                return replaceOne(text, key, key + wrong[random.nextInt(wrong.length)], random);
            }
            case 4: { // empty a string value
                return replaceOne(text, ": \"", ": \"\", \"was\": \"", random);
            }
            case 5: { // invalid UTF-8 bytes inside the text
                byte[] out = Arrays.copyOf(bytes, bytes.length + 2);
                int at = random.nextInt(bytes.length);
                System.arraycopy(bytes, at, out, at + 2, bytes.length - at);
                out[at] = (byte) 0xC3;
                out[at + 1] = (byte) 0x28;
                return out;
            }
            default: { // make chosen equal rejected
                return text.replace("\"It is 4.\"", "\"It is 5.\"").replace("\"Goodbye!\"", "\"What?\"").replace("\"Hi!\"", "\"No.\"")
                        .replace("\"Hello.\"", "\"Bye.\"").replace("Hello there", "Go away")
                        .replace(" cat hides under bed", " I have a cat").replace("\"content\": \"4\"", "\"content\": \"5\"")
                        .replace("true}", "\"true\"}").getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    private static byte[] replaceOne(String text, String target, String replacement, Random random) {
        int count = 0;
        for (int i = text.indexOf(target); i >= 0; i = text.indexOf(target, i + 1)) count++;
        if (count == 0) return text.getBytes(StandardCharsets.UTF_8);
        int pick = random.nextInt(count);
        int at = text.indexOf(target);
        for (int i = 0; i < pick; i++) at = text.indexOf(target, at + 1);
        return (text.substring(0, at) + replacement + text.substring(at + target.length())).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }
}
