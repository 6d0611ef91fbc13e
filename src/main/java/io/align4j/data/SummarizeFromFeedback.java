package io.align4j.data;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * OpenAI's summarize-from-feedback comparisons (Stiennon et al. 2020), the preference data of the
 * TL;DR summarisation task the distribution-learning source evaluates on: one JSON object per
 * line, {@code {"info": {"id", "post", "title", "subreddit"}, "split", "summaries": [{"text",
 * "policy", "note"}, {...}], "choice": 0|1, "worker", "batch", "extra": {"confidence"}}}.
 *
 * <p>The prompt is rendered with the template of vwxyzjn/summarize_from_feedback_details
 * ({@code tldr_dataset.py}, {@code tldr_params.format_str}), the reproduction in "The N
 * Implementation Details of RLHF with PPO" (Huang et al. 2024) that TRL's TL;DR examples and the
 * DPO/distribution-learning TL;DR experiments train on:
 * <pre>SUBREDDIT: r/{subreddit}\n\nTITLE: {title}\n\nPOST: {post}\n\nTL;DR:</pre>
 * The summaries are used verbatim (they start with a space, so prompt + summary reads
 * {@code "TL;DR: ..."}). That script also cuts a post at its last newline until the prompt fits
 * 512 tokens; here {@code max_prompt_length} and {@code truncation} limit prompts instead. The
 * CNN/DM rows of the validation file ({@code info.article}, no post) use the same script's
 * {@code cnndm_params.format_str}, {@value #CNNDM_TEMPLATE}.
 *
 * <p>Chosen is {@code summaries[choice].text}, rejected the other; {@code split} and
 * {@code extra.confidence} go to {@link PairAnnotations}. A summary may be empty; two equal
 * summaries are an error, as in every layout.
 */
final class SummarizeFromFeedback {
    static final String TLDR_TEMPLATE = "SUBREDDIT: r/{subreddit}\n\nTITLE: {title}\n\nPOST: {post}\n\nTL;DR:";
    static final String CNNDM_TEMPLATE = "Article:\n{article}\n\nTL;DR:\n";

    private SummarizeFromFeedback() {}

    static PreferenceExample parse(JsonNode record, RecordLocation where, String source) {
        JsonNode info = Fields.object(record, "info", "info", where);
        String prompt = info.has("article") && !info.has("post")
                ? CNNDM_TEMPLATE.replace("{article}", Fields.text(info, "article", "info.article", where))
                : TLDR_TEMPLATE.replace("{subreddit}", Fields.text(info, "subreddit", "info.subreddit", where))
                        .replace("{title}", Fields.text(info, "title", "info.title", where))
                        .replace("{post}", Fields.text(info, "post", "info.post", where));
        JsonNode summaries = Fields.require(record, "summaries", "summaries", where);
        if (!summaries.isArray()) throw where.error(Problem.WRONG_TYPE, "summaries", "expected a list, got " + Fields.typeName(summaries));
        if (summaries.size() != 2) throw where.error(Problem.WRONG_TYPE, "summaries", "expected 2 summaries, got " + summaries.size());
        JsonNode choiceNode = Fields.require(record, "choice", "choice", where);
        if (!choiceNode.isInt() || (choiceNode.asInt() != 0 && choiceNode.asInt() != 1)) {
            throw where.error(Problem.WRONG_TYPE, "choice", "expected 0 or 1, got " + choiceNode);
        }
        int choice = choiceNode.asInt();
        String chosen = summary(summaries, choice, where);
        String rejected = summary(summaries, 1 - choice, where);
        JsonNode extra = record.get("extra");
        if (extra != null && !extra.isNull() && !extra.isObject()) {
            throw where.error(Problem.WRONG_TYPE, "extra", "expected an object, got " + Fields.typeName(extra));
        }
        Double confidence = extra == null || extra.isNull() ? null : Fields.optionalNumber(extra, "confidence", "extra.confidence", where);
        String split = Fields.optionalText(record, "split", "split", where);
        return PreferenceExample.text(prompt, chosen, rejected, source)
                .withAnnotations(new PairAnnotations(split, confidence, null, null));
    }

    private static String summary(JsonNode summaries, int index, RecordLocation where) {
        String field = "summaries[" + index + "]";
        JsonNode summary = summaries.get(index);
        if (!summary.isObject()) throw where.error(Problem.WRONG_TYPE, field, "expected an object, got " + Fields.typeName(summary));
        return Fields.string(summary, "text", field + ".text", where);
    }
}
