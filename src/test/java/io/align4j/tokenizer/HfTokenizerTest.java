package io.align4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.testing.ByteLevelBpeFixture;
import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DJL's HF tokenizer on a byte-level BPE tokenizer.json trained by the test, against a plain GPT-2 BPE. */
class HfTokenizerTest {
    static final int MERGES = 200;

    @Test
    void encodesAsPlainGpt2BpeAndRoundTrips(@TempDir Path dir) throws IOException {
        Path json = ByteLevelBpeFixture.write(dir, MERGES, "{{ messages[0]['content'] }}");
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertEquals(256 + MERGES + 1, tokenizer.vocabSize());
            assertEquals(256 + MERGES, tokenizer.eosId());
            assertEquals(256 + MERGES, tokenizer.bosId());
            assertEquals("<|endoftext|>", tokenizer.eosToken());
            assertEquals("{{ messages[0]['content'] }}", tokenizer.chatTemplate().orElseThrow());
            for (String s : List.of("Once upon a time there was a little girl named Lily.", "the ducks  swam\n\nhome",
                    "Ünïcödé 😊 text, 12345!", " leading space", "What is the capital of France?")) {
                int[] ids = tokenizer.encode(s, true, false);
                // A byte-level post-processor adds no BOS, so none is put first.
                assertArrayEquals(ByteLevelBpeFixture.referenceEncode(json, s), ids, s);
                assertEquals(s, tokenizer.decode(ids));
                int[] withEos = tokenizer.encode(s, true, true);
                assertEquals(tokenizer.eosId(), withEos[withEos.length - 1]);
            }
            assertTrue(tokenizer.encode("the ducks", false, false).length <= 3, "trained merges apply");
        }
    }

    @Test
    void tokenizersLoadPicksTheImplementation(@TempDir Path dir) throws IOException {
        ByteLevelBpeFixture.write(dir.resolve("hf"), 20, null);
        assertInstanceOf(HfTokenizer.class, Tokenizers.load(dir.resolve("hf")));
        assertInstanceOf(HfTokenizer.class, Tokenizers.load(dir.resolve("hf/tokenizer.json")));
        Files.createDirectories(dir.resolve("empty"));
        UserError e = assertThrows(UserError.class, () -> Tokenizers.load(dir.resolve("empty")));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("tokenizer.bin"), e.getMessage());
        assertThrows(UserError.class, () -> Tokenizers.load(dir.resolve("missing.bin")));
        assertInstanceOf(Llama2cTokenizer.class, Tokenizers.load(SharedData.require(DataPaths.STORIES260K_TOKENIZER)));
    }
}
