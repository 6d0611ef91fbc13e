package io.align4j.train;

import io.align4j.data.ChatTemplate;
import io.align4j.data.PairTokenizer;
import io.align4j.data.SftExample;
import io.align4j.data.TokenLimits;
import io.align4j.data.TokenizedSequence;
import io.align4j.data.Truncation;
import io.align4j.model.RewardModel;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.UserError;
import java.util.ArrayList;
import java.util.List;

/**
 * A reward model fed text the way the reward trainer feeds it: each pair tokenized as one text
 * with the response as its completion, EOS appended, the prompt cut to keep its end when the pair
 * exceeds the context. Scoring with any other tokenization would ask the model about inputs it
 * never saw in training.
 */
public final class RewardModelTexts {
    private RewardModelTexts() {}

    /**
     * Rewards of text pairs, with the model's own tokenizer.
     *
     * @throws UserError when a prompt alone fills the model's context
     */
    public static double[] score(RewardModel model, List<String> prompts, List<String> responses) {
        TextTokenizer tokenizer = model.tokenizer();
        if (tokenizer == null) throw new IllegalStateException("this reward model has no tokenizer; score token ids");
        int context = model.backbone().config().maxSeqLen();
        PairTokenizer pairs = new PairTokenizer(tokenizer, ChatTemplate.forTokenizer(tokenizer),
                new TokenLimits(context, 0, Truncation.KEEP_END));
        List<int[]> promptIds = new ArrayList<>(), responseIds = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int row = i;
            TokenizedSequence t = pairs.tokenize(SftExample.text(prompts.get(i), responses.get(i), "pair " + i))
                    .orElseThrow(() -> new UserError("pair " + row + ": the prompt alone fills the reward model's context of "
                            + context + " tokens"));
            promptIds.add(t.promptIds());
            responseIds.add(t.completionIds());
        }
        return model.score(promptIds, responseIds);
    }
}
