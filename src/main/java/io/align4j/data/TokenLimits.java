package io.align4j.data;

import io.align4j.util.UserError;

/**
 * Length limits in tokens; 0 means no limit.
 *
 * @param maxLength       longest prompt + response (EOS included)
 * @param maxPromptLength longest prompt; longer prompts are cut by {@code truncation}
 * @param truncation      which end of a long prompt to keep
 */
public record TokenLimits(int maxLength, int maxPromptLength, Truncation truncation) {
    public static final TokenLimits NONE = new TokenLimits(0, 0, Truncation.KEEP_END);

    public TokenLimits {
        if (maxLength < 0) throw new UserError("max length must be >= 0 (0 = no limit), not " + maxLength);
        if (maxPromptLength < 0) throw new UserError("max prompt length must be >= 0 (0 = no limit), not " + maxPromptLength);
        if (truncation == null) truncation = Truncation.KEEP_END;
    }
}
