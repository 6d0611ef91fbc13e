package io.align4j.data;

/**
 * What a preference record says about its pair besides the texts; each part is null when the
 * layout has none.
 *
 * @param split         the source's split ({@code train}, {@code valid1}, ... in OpenAI's
 *                      summarize-from-feedback comparisons), usable as a filter ({@link PairFilter})
 * @param confidence    the labeller's confidence in the choice (summarize-from-feedback's
 *                      {@code extra.confidence}, 1 to 9), kept as a per-pair weight an objective
 *                      may use; no objective weights by it yet, each pair counts once
 * @param scoreChosen   the chosen response's score (UltraFeedback's {@code score_chosen})
 * @param scoreRejected the rejected response's score ({@code score_rejected})
 */
public record PairAnnotations(String split, Double confidence, Double scoreChosen, Double scoreRejected) {
    public static final PairAnnotations NONE = new PairAnnotations(null, null, null, null);

    public static PairAnnotations scores(double chosen, double rejected) {
        return new PairAnnotations(null, null, chosen, rejected);
    }

    /**
     * {@code score_chosen − score_rejected}, or null without scores: the margin a reward model
     * may be asked to keep (TRL's {@code margin} column), and what {@link PairFilter#minScoreGap}
     * compares.
     */
    public Double scoreGap() {
        return scoreChosen == null || scoreRejected == null ? null : scoreChosen - scoreRejected;
    }
}
