package io.align4j.train;

import io.align4j.model.RewardModel;
import io.align4j.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What scores the online methods' samples: a trained reward model R̂, or (through
 * {@link RewardSpec}) a {@link io.align4j.reward.RewardFunction} such as the gold judge that
 * {@code --reward gold} names for oracle runs. Both see text: the prompt and response ids are
 * decoded with the policy's tokenizer, so a reward model is fed exactly what its trainer fed it
 * ({@link RewardModelTexts}). User-written rewards ({@link io.align4j.reward.RewardFunction},
 * a regular expression, an external command) and weighted sums of several rewards come in
 * through {@link RewardSpec}, which makes a {@link WeightedRewards} source.
 */
@FunctionalInterface
public interface RewardSource extends AutoCloseable {
    /** One score per (prompt, response) row. */
    double[] score(List<int[]> prompts, List<int[]> responses);

    /** Metrics of the last {@link #score} call, e.g. each combined reward's mean ({@code rewards/NAME/mean}); empty by default. */
    default Map<String, Double> lastMetrics() { return Map.of(); }

    /** Ends what the source holds (an external process); nothing by default. */
    @Override
    default void close() {}

    /** A Bradley–Terry reward model on the decoded prompt and response texts. */
    static RewardSource model(RewardModel model, TextTokenizer tokenizer) {
        return (prompts, responses) -> {
            List<String> p = new ArrayList<>(prompts.size()), r = new ArrayList<>(responses.size());
            for (int i = 0; i < prompts.size(); i++) {
                p.add(tokenizer.decode(prompts.get(i)));
                r.add(tokenizer.decode(responses.get(i)));
            }
            try (NoGradient noGrad = new NoGradient()) {
                return RewardModelTexts.score(model, p, r);
            }
        };
    }
}
