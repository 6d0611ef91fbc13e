package io.align4j.task;

import io.align4j.reward.RewardFunction;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gold judge of {@code tinystories-happy}: how happy a continuation is, in (−1, 1).
 *
 * <pre>
 *   s(a) = Σ_{w positive} min(c_w, 2) − Σ_{w negative} min(c_w, 2)
 *   r(a) = tanh(2 · s(a) / √max(W, 1))
 * </pre>
 *
 * where {@code c_w} counts the occurrences of word {@code w} in the response and {@code W} is
 * its number of words. The cap of two per word stops a policy from earning reward by repeating
 * one word; dividing by √W makes a sentiment word in a short answer count more than the same
 * word buried in a long one, and tanh keeps the score bounded. The lexicon is written for the
 * vocabulary of TinyStories (children's stories): common emotion, kindness and harm words.
 *
 * <p>As a {@link RewardFunction} it is registered under the name {@value #NAME}
 * ({@code META-INF/services}), which is how {@code --reward gold} finds it without the training
 * code knowing this task.
 */
public final class HappinessJudge implements RewardFunction {

    static final Set<String> POSITIVE = Set.of(
            "happy", "happily", "happier", "happiest", "happiness", "smile", "smiled", "smiles", "smiling",
            "laugh", "laughed", "laughing", "laughs", "fun", "love", "loved", "loves", "loving", "lovely",
            "kind", "kindly", "nice", "good", "great", "best", "friend", "friends", "friendly", "joy",
            "joyful", "glad", "beautiful", "pretty", "wonderful", "amazing", "excited", "exciting",
            "proud", "thank", "thanked", "thanks", "hug", "hugged", "hugs", "together", "safe", "warm",
            "sweet", "yummy", "brave", "cheer", "cheered", "cheerful", "delighted", "enjoy", "enjoyed",
            "favorite", "gift", "sunny", "shine", "shiny", "bright", "share", "shared", "sharing",
            "helped", "helpful", "care", "cared", "cute", "special", "gentle", "cozy", "calm", "peace",
            "hooray", "yay", "giggle", "giggled", "dance", "danced", "sing", "sang", "treat", "surprise",
            "welcome", "comfort", "comforted", "hope", "magic", "magical", "win", "won", "celebrate");

    static final Set<String> NEGATIVE = Set.of(
            "sad", "sadly", "sadness", "cry", "cried", "cries", "crying", "angry", "mad", "scared",
            "scary", "afraid", "fear", "frightened", "hurt", "hurts", "bad", "lost", "broke",
            "broken", "sick", "alone", "lonely", "upset", "worried", "worry", "tears", "dark",
            "danger", "dangerous", "monster", "hate", "hated", "ouch", "pain", "bored", "grumpy",
            "naughty", "ugly", "fight", "fought", "yelled", "shouted", "sorry", "wrong",
            "trouble", "died", "dead", "die", "sore", "bleed", "storm", "terrible",
            "awful", "horrible", "nasty", "rude", "selfish", "jealous", "ruined", "mess", "stuck",
            "trapped", "screamed", "scream", "bite", "pushed", "stole", "punish", "punished");

    private static final Pattern WORD = Pattern.compile("[a-z]+(?:'[a-z]+)?");

    /** Gold reward of a response text, in (−1, 1). */
    /** The name {@code --reward gold} resolves to. */
    public static final String NAME = "gold";

    @Override
    public String name() { return NAME; }

    /** r of each completion alone; the prompts do not enter the judgement. */
    @Override
    public double[] score(List<String> prompts, List<String> completions) {
        return completions.stream().mapToDouble(this::score).toArray();
    }

    public double score(String response) {
        Map<String, Integer> counts = new HashMap<>();
        Matcher m = WORD.matcher(response.toLowerCase(Locale.ROOT));
        int words = 0;
        while (m.find()) {
            words++;
            counts.merge(m.group(), 1, Integer::sum);
        }
        double s = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            int capped = Math.min(e.getValue(), 2);
            if (POSITIVE.contains(e.getKey())) s += capped;
            else if (NEGATIVE.contains(e.getKey())) s -= capped;
        }
        return Math.tanh(2.0 * s / Math.sqrt(Math.max(words, 1)));
    }
}
