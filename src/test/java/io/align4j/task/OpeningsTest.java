package io.align4j.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OpeningsTest {
    private static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun";

    @Test
    void prefersASentenceEndWithinTheWindow() {
        // "Lily." ends at 53; a target of 60 finds it within 20 characters back.
        assertEquals("Once upon a time, there was a little girl named Lily.", Openings.cut(STORY, 60));
        assertEquals("Once upon a time, there was a little girl named Lily.", Openings.cut(STORY, 53));
    }

    @Test
    void otherwiseCutsAtTheLastWordBoundary() {
        assertEquals("Once upon a time, there was a", Openings.cut(STORY, 30));
        assertEquals("Once upon a time, there was", Openings.cut(STORY, 28));
        assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outside", Openings.cut(STORY, 80));
        assertEquals("Once upon a time, there was a little girl named Lily. She loved to play", Openings.cut(STORY, 78));
    }

    @Test
    void theEndOfTheSampleIsNotABoundary() {
        // The sampled text stops inside "sun" (or inside a longer word): never cut there.
        assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outside in the",
                Openings.cut(STORY, 500));
        assertEquals("", Openings.cut("Once", 10));
        assertEquals("He smiled.", Openings.cut("He smiled.\" She", 12).replace("\"", ""));
    }
}
