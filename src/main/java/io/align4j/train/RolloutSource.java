package io.align4j.train;

import io.align4j.model.CausalLM;
import java.util.List;

/**
 * Where the online methods' rollouts are made: sampling from a snapshot of the policy, scoring
 * with the run's reward and the reference's log-probs. {@link LocalRollouts} does it in this
 * process; a cluster implementation (the align4j-spark module's) ships the policy's weights to
 * its executors once per call and makes the requests there. Either way each request's rollout
 * is a function of the policy's weights and the request alone, so the trainer cannot tell them apart.
 */
public interface RolloutSource extends AutoCloseable {

    /** The rollout of each request, in order, all from the policy's current weights; no gradients recorded. */
    List<Rollout> rollouts(CausalLM policy, List<RolloutRequest> requests);

    /** Ends what the source holds (a cluster session); nothing by default. */
    @Override
    default void close() {}
}
