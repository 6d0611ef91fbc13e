package io.align4j.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.align4j.util.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face {@code tokenizer.json}, run by DJL's bindings to the Rust {@code tokenizers}
 * library, read from a local file or folder only (never a hub name, never the network).
 *
 * <p>Special tokens come from {@code tokenizer_config.json} beside it when present
 * ({@code bos_token}, {@code eos_token}, {@code pad_token}, as strings or AddedToken objects),
 * else EOS is {@code </s>} or {@code <|endoftext|>} if the vocabulary has one. The text is
 * encoded without the tokenizer's post-processor; BOS is put first on request only if that
 * post-processor would add it (found by encoding the empty string at load time: Llama adds
 * BOS, GPT-2 adds nothing) and the text does not already start with it (chat templates often
 * write {@code bos_token} themselves).
 */
public final class HfTokenizer implements TextTokenizer, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final int vocabSize;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final String bosToken;
    private final String eosToken;
    private final boolean postProcessorAddsBos;
    private final String chatTemplate;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Path file, JsonNode tokenizerJson, JsonNode config) {
        this.tokenizer = tokenizer;
        this.file = file;
        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        JsonNode vocab = tokenizerJson.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                ids.put(e.getKey(), e.getValue().asInt());
                maxId = Math.max(maxId, e.getValue().asInt());
            }
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) ids.put(vocab.get(i).path(0).asText(), i);
            maxId = vocab.size() - 1;
        }
        for (JsonNode added : tokenizerJson.path("added_tokens")) {
            ids.put(added.path("content").asText(), added.path("id").asInt());
            maxId = Math.max(maxId, added.path("id").asInt());
        }
        this.vocabSize = maxId + 1;
        this.bosToken = specialToken(config, "bos_token");
        String eos = specialToken(config, "eos_token");
        if (eos == null) eos = ids.containsKey("</s>") ? "</s>" : ids.containsKey("<|endoftext|>") ? "<|endoftext|>" : null;
        this.eosToken = eos;
        String pad = specialToken(config, "pad_token");
        this.bosId = bosToken == null ? -1 : ids.getOrDefault(bosToken, -1);
        this.eosId = eosToken == null ? -1 : ids.getOrDefault(eosToken, -1);
        this.padId = pad == null ? -1 : ids.getOrDefault(pad, -1);
        long[] emptyWithSpecials = tokenizer.encode("", true, false).getIds();
        this.postProcessorAddsBos = bosId >= 0 && emptyWithSpecials.length > 0 && emptyWithSpecials[0] == bosId;
        JsonNode template = config.path("chat_template");
        String source = null;
        if (template.isTextual()) {
            source = template.asText();
        } else if (template.isArray()) {
            for (JsonNode named : template) if ("default".equals(named.path("name").asText())) source = named.path("template").asText();
        }
        this.chatTemplate = source;
    }

    /** Loads {@code tokenizer.json}, given as the file or the folder holding it. */
    public static HfTokenizer load(Path fileOrFolder) {
        Path file = Files.isDirectory(fileOrFolder) ? fileOrFolder.resolve("tokenizer.json") : fileOrFolder;
        if (!Files.isRegularFile(file)) {
            throw new UserError("no tokenizer.json at " + file + " (expected a Hugging Face tokenizer.json or a folder holding one)");
        }
        JsonNode tokenizerJson = readJson(file);
        Path configFile = file.resolveSibling("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? readJson(configFile) : JSON.createObjectNode();
        Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
        try {
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, options);
            return new HfTokenizer(hf, file, tokenizerJson, config);
        } catch (IOException | RuntimeException e) {
            throw new UserError("cannot load tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserError("cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
    }

    /** A special token of tokenizer_config.json: a plain string, or an AddedToken object's {@code content}. */
    private static String specialToken(JsonNode config, String key) {
        JsonNode node = config.path(key);
        if (node.isTextual()) return node.asText();
        if (node.isObject() && node.path("content").isTextual()) return node.path("content").asText();
        return null;
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        long[] raw = tokenizer.encode(text, false, false).getIds();
        boolean bos = addBos && postProcessorAddsBos && !(raw.length > 0 && raw[0] == bosId);
        boolean eos = addEos && eosId >= 0;
        int[] ids = new int[raw.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
        int n = 0;
        if (bos) ids[n++] = bosId;
        for (long id : raw) ids[n++] = (int) id;
        if (eos) ids[n] = eosId;
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        long[] raw = new long[ids.length];
        for (int i = 0; i < ids.length; i++) raw[i] = ids[i];
        return tokenizer.decode(raw, true);
    }

    /** The path of the tokenizer.json read. */
    public Path file() { return file; }

    /** The Jinja {@code chat_template} of tokenizer_config.json, if any. */
    public Optional<String> chatTemplate() { return Optional.ofNullable(chatTemplate); }

    /** Text of the BOS token, or {@code ""}. */
    public String bosToken() { return bosToken == null ? "" : bosToken; }

    /** Text of the EOS token, or {@code ""}. */
    public String eosToken() { return eosToken == null ? "" : eosToken; }

    @Override
    public int vocabSize() { return vocabSize; }

    @Override
    public int bosId() { return bosId; }

    @Override
    public int eosId() { return eosId; }

    @Override
    public int padId() { return padId >= 0 ? padId : TextTokenizer.super.padId(); }

    @Override
    public void close() { tokenizer.close(); }
}
