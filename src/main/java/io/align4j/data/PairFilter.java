package io.align4j.data;

/**
 * Which valid pairs a read keeps. Pairs left out are counted by reason ({@link Problem#EMPTY_RESPONSE},
 * {@link Problem#OTHER_SPLIT}, {@link Problem#SCORE_GAP}) with their file and line, whatever
 * {@code --on-error} says, since they are not errors.
 *
 * @param dropEmptyResponses leave out pairs with an empty chosen or rejected response (by default
 *                           they are kept: an empty answer is a real one)
 * @param split              keep only pairs of this split (null = all); a pair whose layout has no
 *                           split is left out, so a misapplied filter shows in the counts
 * @param minScoreGap        keep only pairs with {@code score_chosen − score_rejected >= minScoreGap}
 *                           (null = all); a pair without scores is left out
 */
public record PairFilter(boolean dropEmptyResponses, String split, Double minScoreGap) {
    /** Keeps every valid pair. */
    public static final PairFilter ALL = new PairFilter(false, null, null);

    /** Why {@code example} is left out, as the error that names its line; null when it is kept. */
    RecordError reasonToLeaveOut(PreferenceExample example, RecordLocation where) {
        if (dropEmptyResponses && example.hasEmptyResponse()) {
            return where.error(Problem.EMPTY_RESPONSE, example.chosenIsEmpty() ? "chosen" : "rejected", "empty response, dropped");
        }
        PairAnnotations a = example.annotations();
        if (split != null && !split.equals(a.split())) {
            return where.error(Problem.OTHER_SPLIT, "split", a.split() == null ? "no split to select '" + split + "' by"
                    : "split '" + a.split() + "', not '" + split + "'");
        }
        if (minScoreGap != null) {
            Double gap = a.scoreGap();
            if (gap == null) return where.error(Problem.SCORE_GAP, "score_chosen", "no scores to compare with the minimum gap " + minScoreGap);
            if (gap < minScoreGap) {
                return where.error(Problem.SCORE_GAP, "score_chosen", "score gap " + gap + " under the minimum " + minScoreGap);
            }
        }
        return null;
    }
}
