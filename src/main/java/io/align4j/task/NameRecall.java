package io.align4j.task;

import io.align4j.reward.RewardFunction;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The verifiable reward of {@code name-recall}: a completion succeeds (1) when it names a
 * character the prompt introduced, else 0. A character is introduced the way TinyStories does
 * it, {@code named X} (optionally quoted), with X a capitalised word; the completion must
 * contain X as a whole, case-sensitive word. The answer is checked, not judged: no model, no
 * threshold (success is score ≥ 0.5, or any threshold in (0, 1]). Registered with
 * {@link java.util.ServiceLoader} as {@code --reward-class name-recall}.
 */
public final class NameRecall implements RewardFunction {
    public static final String NAME = "name-recall";
    private static final Pattern INTRODUCED = Pattern.compile("\\bnamed\\s+\"?([A-Z][a-z]+)\\b");

    @Override
    public String name() { return NAME; }

    /** The characters a prompt introduces, in order of first appearance. */
    public static List<String> names(String prompt) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = INTRODUCED.matcher(prompt);
        while (m.find()) names.add(m.group(1));
        return new ArrayList<>(names);
    }

    /** 1 when {@code completion} names one of the prompt's characters, else 0 (also for a prompt that introduces none). */
    public static double score(String prompt, String completion) {
        for (String name : names(prompt))
            if (Pattern.compile("\\b" + name + "\\b").matcher(completion).find()) return 1;
        return 0;
    }

    @Override
    public double[] score(List<String> prompts, List<String> completions) {
        double[] out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) out[i] = score(prompts.get(i), completions.get(i));
        return out;
    }
}
