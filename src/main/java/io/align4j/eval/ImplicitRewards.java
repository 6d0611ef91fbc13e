package io.align4j.eval;

import io.align4j.data.ChatTemplate;
import io.align4j.data.OnError;
import io.align4j.data.PairTokenizer;
import io.align4j.data.PreferenceDatasets;
import io.align4j.data.PreferenceExample;
import io.align4j.data.PreferenceFormat;
import io.align4j.data.TokenLimits;
import io.align4j.data.TokenizedPair;
import io.align4j.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO's implicit reward on a held-out preference file: r(x, a) = β (ln π_θ(a|x) − ln π_0(a|x)),
 * reported as {@code rewards/chosen}, {@code rewards/rejected}, {@code rewards/margins} (chosen
 * minus rejected) and {@code rewards/accuracies} (share with chosen strictly above rejected),
 * each with its standard error over pairs. Pairs are tokenized as trainers do
 * ({@link PairTokenizer}: EOS appended to each response).
 */
public final class ImplicitRewards {
    private ImplicitRewards() {}

    public static Map<String, Estimate> evaluate(Policy policy, Policy reference, Path file, TextTokenizer tokenizer,
                                                 double beta, TokenLimits limits) {
        List<PreferenceExample> examples = PreferenceDatasets.read(file, PreferenceFormat.AUTO, OnError.FAIL).examples();
        PairTokenizer pairs = new PairTokenizer(tokenizer, ChatTemplate.forTokenizer(tokenizer), limits);
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (PreferenceExample e : examples) {
            TokenizedPair t = pairs.tokenize(e).orElse(null);
            if (t == null) continue;
            prompts.add(t.promptIds());
            prompts.add(t.promptIds());
            responses.add(t.chosenIds());
            responses.add(t.rejectedIds());
        }
        double[] policyLogp = policy.score(prompts, responses).logProbs();
        double[] refLogp = policy == reference ? policyLogp : reference.score(prompts, responses).logProbs();
        int n = prompts.size() / 2;
        double[] chosen = new double[n], rejected = new double[n], margin = new double[n], correct = new double[n];
        for (int i = 0; i < n; i++) {
            chosen[i] = beta * (policyLogp[2 * i] - refLogp[2 * i]);
            rejected[i] = beta * (policyLogp[2 * i + 1] - refLogp[2 * i + 1]);
            margin[i] = chosen[i] - rejected[i];
            correct[i] = chosen[i] > rejected[i] ? 1 : 0;
        }
        Map<String, Estimate> out = new LinkedHashMap<>();
        out.put("rewards/chosen", Estimate.of(chosen));
        out.put("rewards/rejected", Estimate.of(rejected));
        out.put("rewards/margins", Estimate.of(margin));
        out.put("rewards/accuracies", Estimate.of(correct));
        return out;
    }
}
