package io.align4j.generate;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The token choice's radix ranking against a comparison sort, key for key. */
class TokenChoiceTest {
    /**
     * Keys of logits with many exact ties (a few hundred distinct values), of both signs, infinities
     * and zeros of both signs, entered in rising id as the nucleus filter enters them, at sizes on
     * both sides of the comparison-sort cut-off: the same order as {@code Arrays.sort} reversed.
     */
    @Test
    void radixRankingIsTheComparisonSortsOrder() throws ReflectiveOperationException {
        Method key = TokenChoice.class.getDeclaredMethod("key", double.class, int.class);
        key.setAccessible(true);
        Random random = new Random(5);
        for (int n : new int[] {1, 7, 255, 256, 1000, 32000, 151936}) {
            for (int distinct : new int[] {3, 300, Integer.MAX_VALUE}) {
                long[] keys = new long[n], scratch = new long[n];
                for (int id = 0; id < n; id++) {
                    double logit = distinct == Integer.MAX_VALUE ? 4 * random.nextGaussian() : random.nextInt(Math.min(distinct, n)) * 0.37 - 20;
                    if (id % 997 == 1) logit = Double.NEGATIVE_INFINITY;
                    if (id % 991 == 2) logit = Double.POSITIVE_INFINITY;
                    if (id % 983 == 3) logit = id % 2 == 0 ? 0.0 : -0.0;
                    keys[id] = (long) key.invoke(null, logit, id);
                }
                long[] expected = keys.clone();
                Arrays.sort(expected);
                for (int i = 0, j = n - 1; i < j; i++, j--) {
                    long t = expected[i];
                    expected[i] = expected[j];
                    expected[j] = t;
                }
                TokenChoice.sortFalling(keys, n, scratch);
                assertArrayEquals(expected, keys, n + " keys, " + distinct + " distinct logits");
            }
        }
    }
}
