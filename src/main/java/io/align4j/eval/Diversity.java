package io.align4j.eval;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Diversity of a set of generated token sequences. */
public final class Diversity {
    private Diversity() {}

    /**
     * distinct-n: the number of distinct n-grams over all sequences divided by the total number
     * of n-grams (Li et al., 2016). 1 means no n-gram repeats; a collapsed policy tends to 0.
     */
    public static double distinctN(List<int[]> sequences, int n) {
        Set<List<Integer>> seen = new HashSet<>();
        long total = 0;
        for (int[] s : sequences) {
            for (int i = 0; i + n <= s.length; i++) {
                Integer[] gram = new Integer[n];
                for (int j = 0; j < n; j++) gram[j] = s[i + j];
                seen.add(List.of(gram));
                total++;
            }
        }
        return total == 0 ? 0 : (double) seen.size() / total;
    }
}
