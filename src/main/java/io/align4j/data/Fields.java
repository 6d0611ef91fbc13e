package io.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Typed access to the fields of a JSON record, each failure a {@link RecordError} naming the field. */
final class Fields {
    /** ShareGPT speaker names ({@code from}) to chat roles. */
    private static final Map<String, String> SHAREGPT_ROLES = Map.of(
            "human", "user", "user", "user", "gpt", "assistant", "assistant", "assistant", "model", "assistant",
            "system", "system", "observation", "tool", "function_call", "assistant", "tool", "tool");

    private Fields() {}

    static String typeName(JsonNode node) {
        if (node == null || node.isMissingNode()) return "nothing";
        if (node.isNull()) return "null";
        if (node.isTextual()) return "a string";
        if (node.isNumber()) return "a number";
        if (node.isBoolean()) return "a boolean";
        if (node.isArray()) return "a list";
        return "an object";
    }

    static JsonNode require(JsonNode record, String key, String field, RecordLocation where) {
        JsonNode node = record.get(key);
        if (node == null || node.isNull()) throw where.error(Problem.MISSING_FIELD, field, "missing");
        return node;
    }

    /** A non-blank string field. */
    static String text(JsonNode record, String key, String field, RecordLocation where) {
        String text = string(record, key, field, where);
        if (text.isBlank()) throw where.error(Problem.EMPTY_FIELD, field, "empty");
        return text;
    }

    /**
     * A string field, possibly empty: responses may be, since saying nothing is a real answer
     * (hh-rlhf has such pairs, and TRL keeps them).
     */
    static String string(JsonNode record, String key, String field, RecordLocation where) {
        JsonNode node = require(record, key, field, where);
        if (!node.isTextual()) throw where.error(Problem.WRONG_TYPE, field, "expected a string, got " + typeName(node));
        return node.asText();
    }

    /** An object field. */
    static JsonNode object(JsonNode record, String key, String field, RecordLocation where) {
        JsonNode node = require(record, key, field, where);
        if (!node.isObject()) throw where.error(Problem.WRONG_TYPE, field, "expected an object, got " + typeName(node));
        return node;
    }

    /** A finite number field. */
    static double number(JsonNode record, String key, String field, RecordLocation where) {
        JsonNode node = require(record, key, field, where);
        if (!node.isNumber()) throw where.error(Problem.WRONG_TYPE, field, "expected a number, got " + typeName(node));
        double value = node.asDouble();
        if (!Double.isFinite(value)) throw where.error(Problem.WRONG_TYPE, field, "expected a finite number, got " + node);
        return value;
    }

    /** A number field that may be absent or null (then null). */
    static Double optionalNumber(JsonNode record, String key, String field, RecordLocation where) {
        JsonNode node = record.get(key);
        return node == null || node.isNull() ? null : number(record, key, field, where);
    }

    /** A string field that may be absent or null (then null). */
    static String optionalText(JsonNode record, String key, String field, RecordLocation where) {
        JsonNode node = record.get(key);
        return node == null || node.isNull() ? null : string(record, key, field, where);
    }

    /** A boolean field ({@code true} or {@code false}, not a string or number). */
    static boolean bool(JsonNode record, String key, String field, RecordLocation where) {
        JsonNode node = require(record, key, field, where);
        if (!node.isBoolean()) throw where.error(Problem.WRONG_TYPE, field, "expected true or false, got " + typeName(node));
        return node.asBoolean();
    }

    /**
     * A non-empty list of messages, each {@code {role, content}} or ShareGPT's {@code {from, value}}
     * (speakers mapped: human to user, gpt to assistant, observation to tool). A single message
     * object is accepted where a list is expected. Content may be empty unless {@code requireContent}
     * (SFT completions, which have nothing to train on otherwise); preference responses may be empty.
     */
    static List<Message> messages(JsonNode record, String key, String field, RecordLocation where, boolean requireContent) {
        JsonNode node = require(record, key, field, where);
        return messages(node, field, where, requireContent);
    }

    static List<Message> messages(JsonNode node, String field, RecordLocation where, boolean requireContent) {
        if (node.isObject()) return List.of(message(node, field, where, requireContent));
        if (!node.isArray()) throw where.error(Problem.WRONG_TYPE, field, "expected a list of messages, got " + typeName(node));
        if (node.isEmpty()) throw where.error(Problem.EMPTY_FIELD, field, "empty list of messages");
        List<Message> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) out.add(message(node.get(i), field + "[" + i + "]", where, requireContent));
        return out;
    }

    private static Message message(JsonNode node, String field, RecordLocation where, boolean requireContent) {
        if (!node.isObject()) throw where.error(Problem.WRONG_TYPE, field, "expected a message object, got " + typeName(node));
        boolean shareGpt = node.has("from") && !node.has("role");
        String roleKey = shareGpt ? "from" : "role";
        String contentKey = shareGpt ? "value" : "content";
        JsonNode role = node.get(roleKey);
        if (role == null || role.isNull()) throw where.error(Problem.MISSING_FIELD, field + "." + roleKey, "missing");
        if (!role.isTextual()) throw where.error(Problem.WRONG_TYPE, field + "." + roleKey, "expected a string, got " + typeName(role));
        JsonNode content = node.get(contentKey);
        if (content == null || content.isNull()) throw where.error(Problem.MISSING_FIELD, field + "." + contentKey, "missing");
        if (!content.isTextual()) {
            throw where.error(Problem.WRONG_TYPE, field + "." + contentKey, "expected a string, got " + typeName(content));
        }
        if (requireContent && content.asText().isBlank()) throw where.error(Problem.EMPTY_FIELD, field + "." + contentKey, "empty");
        String roleName = shareGpt ? SHAREGPT_ROLES.get(role.asText()) : role.asText();
        if (roleName == null) {
            throw where.error(Problem.WRONG_TYPE, field + ".from", "unknown speaker '" + role.asText()
                    + "' (expected human, gpt, system, observation or function_call)");
        }
        return new Message(roleName, content.asText());
    }
}
