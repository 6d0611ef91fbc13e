package io.align4j.train;

import ai.djl.ndarray.NDManager;
import io.align4j.model.CausalLM;
import io.align4j.model.Compute;
import io.align4j.model.io.ModelLoader;
import java.nio.file.Path;
import java.util.List;

/**
 * The executor's side of a cluster rollout: the run's reference and rewards, built once from a
 * {@link RolloutWorkerSpec}, and {@link LocalRollouts} over a policy rebuilt from each call's
 * {@link PolicySnapshot}. One worker serves one thread at a time (the rewards keep the metrics of
 * their last call).
 */
public final class RolloutWorker implements AutoCloseable {
    private final NDManager manager;
    private final ModelLoader.LoadedModel start;
    private final RewardSource reward;
    private final LocalRollouts local;

    public RolloutWorker(RolloutWorkerSpec spec) {
        Compute compute = Compute.parse(spec.device(), spec.dtype());
        this.manager = compute.newManager();
        Path tokenizer = spec.tokenizer() == null ? null : Path.of(spec.tokenizer());
        this.start = ModelLoader.load(Path.of(spec.model()), tokenizer, manager, compute.dtype());
        CausalLM reference = !spec.needsReference() ? null
                : spec.reference() != null ? ModelLoader.load(Path.of(spec.reference()), tokenizer, manager, compute.dtype()).model()
                : start.model(); // nothing trains here, so the start itself is π_0
        this.reward = spec.reward().build(start.tokenizer(), manager);
        this.local = new LocalRollouts(reference, reward, start.tokenizer().padId());
    }

    /** The rollout of each request from the snapshot's weights. */
    public List<Rollout> rollouts(PolicySnapshot weights, List<RolloutRequest> requests) {
        try (NDManager m = manager.newSubManager()) {
            CausalLM policy = weights.model(start.model().config(), m);
            return local.rollouts(policy, requests);
        }
    }

    @Override
    public void close() {
        try (manager; start; reward) {
            // closed in reverse order: the rewards, the model, then every tensor
        }
    }
}
