package io.align4j.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a small GPT-2-style byte-level BPE {@code tokenizer.json}, trained here: the 256
 * byte-level symbols (GPT-2's bytes-to-unicode map), then {@code merges} merges, each the most
 * frequent adjacent pair (ties broken by the pair's text) within the GPT-2 pre-tokenizer's
 * chunks of a text written for this purpose, plus {@code <|endoftext|>} as the special token.
 */
public final class ByteLevelBpeFixture {
    public static final String ENDOFTEXT = "<|endoftext|>";

    /** The pre-tokenizer regex of GPT-2 (also what the ByteLevel pre-tokenizer applies). */
    private static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final String TRAINING_TEXT = """
            Once upon a time there was a little girl named Lily. She liked to play in the park with her red ball.
            One day the sun was hot and the sky was blue. Lily and her friend Tom went to the pond to see the ducks.
            The ducks were happy. They swam and played. Tom said, "Look, the ducks want to play with us!"
            Lily smiled and threw some bread into the water. The ducks ate it and quacked. Then they went home.
            The user asks a question and the assistant answers it. The assistant is helpful, honest and kind.
            What is the capital of France? The capital of France is Paris. What is two plus two? It is four.
            Preference data holds a prompt, a chosen response and a rejected response for every example.
            """;

    private ByteLevelBpeFixture() {}

    /** GPT-2's map from bytes to printable unicode symbols. */
    static char[] bytesToUnicode() {
        char[] map = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int next = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char) b : (char) (256 + next++);
        return map;
    }

    /** Writes {@code tokenizer.json} (and a {@code tokenizer_config.json} with EOS and {@code chatTemplate} if not null) into {@code dir}. */
    public static Path write(Path dir, int merges, String chatTemplate) throws IOException {
        char[] symbol = bytesToUnicode();
        Map<List<String>, Integer> words = new HashMap<>();
        Matcher m = GPT2_SPLIT.matcher(TRAINING_TEXT);
        while (m.find()) {
            List<String> word = new ArrayList<>();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) word.add(String.valueOf(symbol[b & 0xFF]));
            words.merge(word, 1, Integer::sum);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(symbol[b]), b);
        List<String> mergeList = new ArrayList<>();
        for (int step = 0; step < merges; step++) {
            Map<String, Integer> pairCounts = new HashMap<>();
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                List<String> s = w.getKey();
                for (int i = 0; i + 1 < s.size(); i++) pairCounts.merge(s.get(i) + " " + s.get(i + 1), w.getValue(), Integer::sum);
            }
            String best = null;
            for (Map.Entry<String, Integer> e : pairCounts.entrySet()) {
                if (best == null || e.getValue() > pairCounts.get(best) || (e.getValue().equals(pairCounts.get(best)) && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                }
            }
            if (best == null) break;
            String left = best.substring(0, best.indexOf(' '));
            String right = best.substring(best.indexOf(' ') + 1);
            mergeList.add(best);
            vocab.put(left + right, vocab.size());
            Map<List<String>, Integer> merged = new HashMap<>();
            for (Map.Entry<List<String>, Integer> w : words.entrySet()) {
                List<String> s = w.getKey();
                List<String> out = new ArrayList<>();
                for (int i = 0; i < s.size(); i++) {
                    if (i + 1 < s.size() && s.get(i).equals(left) && s.get(i + 1).equals(right)) {
                        out.add(left + right);
                        i++;
                    } else {
                        out.add(s.get(i));
                    }
                }
                merged.merge(out, w.getValue(), Integer::sum);
            }
            words = merged;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode eot = added.addObject();
        eot.put("id", vocab.size()).put("content", ENDOFTEXT).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false).put("byte_fallback", false);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        ArrayNode mergeNode = model.putArray("merges");
        mergeList.forEach(mergeNode::add);
        Files.createDirectories(dir);
        Path file = dir.resolve("tokenizer.json");
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        ObjectNode config = json.createObjectNode();
        config.put("bos_token", ENDOFTEXT).put("eos_token", ENDOFTEXT);
        if (chatTemplate != null) config.put("chat_template", chatTemplate);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        return file;
    }

    /**
     * GPT-2's BPE written out plainly, for comparison with DJL: split by the pre-tokenizer regex,
     * map bytes to symbols, then repeatedly merge the adjacent pair of lowest merge rank.
     */
    public static int[] referenceEncode(Path tokenizerJson, String text) throws IOException {
        com.fasterxml.jackson.databind.JsonNode model = new ObjectMapper().readTree(tokenizerJson.toFile()).path("model");
        Map<String, Integer> rank = new HashMap<>();
        for (int i = 0; i < model.path("merges").size(); i++) rank.put(model.path("merges").get(i).asText(), i);
        char[] symbol = bytesToUnicode();
        List<Integer> ids = new ArrayList<>();
        Matcher m = GPT2_SPLIT.matcher(text);
        while (m.find()) {
            List<String> parts = new ArrayList<>();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) parts.add(String.valueOf(symbol[b & 0xFF]));
            while (true) {
                int best = -1;
                int bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < parts.size(); i++) {
                    Integer r = rank.get(parts.get(i) + " " + parts.get(i + 1));
                    if (r != null && r < bestRank) {
                        bestRank = r;
                        best = i;
                    }
                }
                if (best < 0) break;
                parts.set(best, parts.get(best) + parts.get(best + 1));
                parts.remove(best + 1);
            }
            for (String part : parts) ids.add(model.path("vocab").path(part).asInt());
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
