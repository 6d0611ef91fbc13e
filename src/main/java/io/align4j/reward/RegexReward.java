package io.align4j.reward;

import io.align4j.util.UserError;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code --reward-regex PATTERN}: 1 when the completion contains a match of the Java regular
 * expression, else 0. A keyword is a pattern too ({@code \bhappy\b}); {@code (?i)} ignores case.
 * The prompt is not looked at.
 */
public final class RegexReward implements RewardFunction {
    private final Pattern pattern;

    public RegexReward(String regex) {
        try {
            this.pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new UserError("--reward-regex '" + regex + "' is not a valid regular expression: " + e.getDescription());
        }
    }

    @Override
    public String name() { return "regex:" + pattern.pattern(); }

    @Override
    public double[] score(List<String> prompts, List<String> completions) {
        double[] out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) out[i] = pattern.matcher(completions.get(i)).find() ? 1 : 0;
        return out;
    }
}
