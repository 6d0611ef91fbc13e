package io.align4j.cli;

import static io.align4j.testing.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's mistake or a failing file system, driven through the CLI in this JVM: exit code 2 and
 * one line that says what is wrong, never a stack trace. The run's own progress lines may come
 * before it; the error is the last line and the only one that names it.
 */
class UserMistakesTest {
    @TempDir Path dir;
    Path prompts;

    @BeforeEach
    void writePrompts() throws IOException {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        prompts = Files.write(dir.resolve("prompts.jsonl"), List.of("{\"prompt\": \"Sam had a red ball.\"}",
                "{\"prompt\": \"The cat sat in the sun.\"}", "{\"prompt\": \"Mia and Ben found a box.\"}",
                "{\"prompt\": \"There was a big tree.\"}"));
    }

    /** Two quick rollouts of 4 prompts × 2 samples of 8 tokens, a checkpoint after each. */
    private String[] train(String output, String objective, String estimator, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--objective", objective, "--estimator", estimator,
                "--prompts", prompts.toString(), "--reward", "gold", "--output", dir.resolve(output).toString(),
                "--max-steps", "2", "--batch-size", "4", "--set", "eval_fraction=0", "--set", "samples_per_prompt=2",
                "--set", "max_new_tokens=8", "--set", "fixed_length=true", "--set", "inner_epochs=1",
                "--set", "mini_batches=1", "--set", "save_every=1"));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    private static void assertOneLineError(String[] r, String... mentions) {
        assertEquals("2", r[0], r[2]);
        List<String> lines = r[2].lines().filter(l -> !l.isBlank() && !l.contains("WARN ai.djl.util.cuda")).toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("align4j train: "), r[2]);
        for (String m : mentions) {
            assertTrue(last.contains(m), "'" + m + "' in: " + last);
            assertEquals(1, lines.stream().filter(l -> l.contains(m)).count(), r[2]);
        }
        assertFalse(r[2].contains("Exception") || r[2].lines().anyMatch(l -> l.startsWith("\tat ")), "no stack trace: " + r[2]);
    }

    @Test
    void resumingPpoFromAnRlooRunNamesTheMissingValueHead() {
        assertEquals("0", train("rloo", "rlhf", "rloo")[0]);
        assertOneLineError(train("rloo", "rlhf", "ppo", "--resume"), "no value head", "estimator rloo");
    }

    @Test
    void resumingWithAnotherObjectiveNamesBoth() {
        assertEquals("0", train("rloo", "rlhf", "rloo")[0]);
        assertOneLineError(train("rloo", "rkl", "rloo", "--resume"), "objective 'rlhf'", "'rkl'");
    }

    @Test
    void aCheckpointWithoutItsTrainerStateIsNamed() throws IOException {
        assertEquals("0", train("rloo", "rlhf", "rloo")[0]);
        Path state = dir.resolve("rloo/checkpoint-2/trainer_state.json");
        Files.delete(state);
        assertOneLineError(train("rloo", "rlhf", "rloo", "--resume"), state.toString());
    }

    @Test
    void anOutputThatIsAFileIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "not a folder");
        String[] r = run("train", "--objective", "rlhf", "--estimator", "rloo", "--prompts", prompts.toString(), "--reward", "gold",
                "--output", file.toString(), "--max-steps", "1", "--batch-size", "4", "--set", "eval_fraction=0",
                "--set", "samples_per_prompt=2", "--set", "max_new_tokens=8");
        assertOneLineError(r, file + ": exists and is not a folder");
        assertEquals("not a folder", Files.readString(file));
    }

    /**
     * A full disk while checkpoint 2 is written, simulated by the test hook that sends that
     * checkpoint's trainer state to {@code /dev/full} (the kernel answers ENOSPC): one line, the
     * half-written folder removed, checkpoint 1 still the newest.
     */
    @Test
    void aFullDiskDuringACheckpointIsOneLineAndLeavesThePreviousCheckpoint() throws IOException {
        System.setProperty("align4j.test.fullDiskCheckpointStep", "2");
        String[] r;
        try {
            r = train("full", "rlhf", "rloo");
        } finally {
            System.clearProperty("align4j.test.fullDiskCheckpointStep");
        }
        assertOneLineError(r, "could not write checkpoint 2", "No space left on device");
        try (Stream<Path> s = Files.list(dir.resolve("full"))) {
            assertEquals(List.of("checkpoint-1", "config.yaml", "metrics.jsonl"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
