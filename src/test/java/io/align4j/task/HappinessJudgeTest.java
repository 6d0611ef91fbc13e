package io.align4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HappinessJudgeTest {
    private final HappinessJudge judge = new HappinessJudge();

    @Test
    void scoresFollowTheFormula() {
        assertEquals(0.0, judge.score(""), 0);
        assertEquals(0.0, judge.score("The dog ran to the park."), 0);
        // W = 3 words, s = +1
        assertEquals(Math.tanh(2.0 / Math.sqrt(3)), judge.score("They were happy."), 1e-12);
        // W = 4, s = +1 - 1
        assertEquals(0.0, judge.score("happy but sad today"), 1e-12);
        assertEquals(Math.tanh(-2.0 * 2 / Math.sqrt(5)), judge.score("She cried. Tom was angry."), 1e-12);
    }

    @Test
    void repeatingOneWordDoesNotPayWithoutBound() {
        // Each word counts at most twice, so "happy" x 4 scores s = 2 over W = 4 words...
        assertEquals(Math.tanh(2.0 * 2 / 2), judge.score("happy happy happy happy"), 1e-12);
        // ...and x 100 scores less, not more.
        String many = "happy ".repeat(100);
        assertEquals(Math.tanh(2.0 * 2 / 10), judge.score(many), 1e-12);
    }

    @Test
    void caseAndPunctuationDoNotMatter() {
        assertEquals(judge.score("they smiled and laughed"), judge.score("They SMILED, and laughed!"), 0);
    }
}
