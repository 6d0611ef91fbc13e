package io.align4j.eval;

import io.align4j.generate.BatchSampling;
import java.util.List;

/**
 * What the evaluation needs of a policy π̂: samples, and the log-probability of given responses.
 * Implemented by a language model ({@link ModelPolicy}) and by the known target of a task
 * ({@link TargetPolicy}), so the evaluation scores both the same way.
 */
public interface Policy {

    /** Short name for tables. */
    String name();

    /**
     * {@code k} responses per prompt, each of exactly {@code length} tokens, prompt-major
     * (responses k·p … k·p + k − 1 belong to prompt p). The same seed gives the same responses.
     */
    List<int[]> sample(List<int[]> prompts, int k, int length, long seed);

    /**
     * ln π̂(response_i | prompt_i) for each row, and the mean next-token entropy over each
     * response when the policy has one (null otherwise).
     */
    BatchSampling.Scored score(List<int[]> prompts, List<int[]> responses);
}
