package io.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.align4j.util.UserError;
import java.util.Locale;

/** The preference-data layouts Align4j reads; {@link #AUTO} detects one from the first record. */
public enum PreferenceFormat {
    AUTO,
    /** {@code {"prompt": "...", "chosen": "...", "rejected": "..."}}. */
    STANDARD,
    /** The same keys holding lists of {@code {role, content}} messages. */
    CONVERSATIONAL,
    /** Only {@code chosen} and {@code rejected}, each the whole dialogue; the prompt is their common start. */
    IMPLICIT,
    /** LLaMA-Factory's {@code {conversations: [{from, value}...], chosen: {from, value}, rejected: {...}}}. */
    SHAREGPT,
    /** OpenAI preference fine-tuning: {@code {input: {messages}, preferred_output, non_preferred_output}}. */
    OPENAI,
    /**
     * OpenAI's summarize-from-feedback comparisons: {@code {info: {post, title, subreddit}, split,
     * summaries: [{text}, {text}], choice, extra: {confidence}}}; see {@link SummarizeFromFeedback}.
     */
    SUMMARIZE_FROM_FEEDBACK,
    /**
     * Scored feedback as UltraFeedback (binarized) publishes it: {@code chosen}/{@code rejected}
     * message lists (whole dialogues, or only the assistant turns after a {@code prompt}) with
     * {@code score_chosen}/{@code score_rejected}, kept in {@link PairAnnotations}.
     */
    SCORED;

    public String label() { return name().toLowerCase(Locale.ROOT); }

    /** Parses a {@code --format} value. */
    public static PreferenceFormat parse(String value) {
        for (PreferenceFormat f : values()) if (f.label().equals(value.trim().toLowerCase(Locale.ROOT))) return f;
        throw new UserError("--format must be one of auto, standard, conversational, implicit, sharegpt, openai,"
                + " summarize_from_feedback, scored; not '" + value + "'");
    }

    /** The format a record's keys announce, or null when they fit none. */
    static PreferenceFormat detect(JsonNode record) {
        if (record.has("input") && record.has("preferred_output")) return OPENAI;
        if (record.has("summaries") && record.has("choice")) return SUMMARIZE_FROM_FEEDBACK;
        if (record.has("chosen") && (record.has("score_chosen") || record.has("score_rejected"))) return SCORED;
        if (record.has("conversations") && record.has("chosen")) return SHAREGPT;
        if (record.has("prompt") && record.has("chosen")) {
            return record.get("prompt").isArray() || record.get("chosen").isArray() ? CONVERSATIONAL : STANDARD;
        }
        if (record.has("chosen") && record.has("rejected")) return IMPLICIT;
        return null;
    }
}
