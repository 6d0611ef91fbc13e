package io.align4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A small synthetic preference file for training tests on stories260K: happy endings chosen over sad ones. */
final class StoryPairs {
    private StoryPairs() {}

    /** Writes 40 pairs (seed 3) to {@code dir/prefs.jsonl} and returns the file. */
    static Path write(Path dir) throws IOException {
        Random r = new Random(3);
        String[] names = {"Tom", "Lily", "Sam", "Mia", "Ben", "Sue"}, things = {"ball", "kite", "cat", "tree", "cake", "boat"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String n = names[r.nextInt(names.length)], t = things[r.nextInt(things.length)];
            lines.add(String.format("{\"prompt\": \"Once upon a time, %s had a %s.\", \"chosen\": \" %s was happy and played with the %s.\", "
                    + "\"rejected\": \" %s was sad because the %s was lost %d.\"}", n, t, n, t, n, t, i));
        }
        Path data = dir.resolve("prefs.jsonl");
        Files.write(data, lines);
        return data;
    }
}
