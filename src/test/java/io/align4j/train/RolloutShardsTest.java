package io.align4j.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import io.align4j.generate.BatchSampling;
import io.align4j.generate.Generation;
import io.align4j.generate.SamplingConfig;
import io.align4j.model.CausalLM;
import io.align4j.model.family.Models;
import io.align4j.model.io.ModelLoader;
import io.align4j.testing.SharedData;
import io.align4j.tokenizer.TextTokenizer;
import io.align4j.util.DataPaths;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A rollout is a function of the policy's weights and its request alone: a request cut into
 * shards (each row drawing from the stream of its global index) samples exactly what it samples
 * whole, and the value survives serialisation, which is what lets a cluster make it.
 */
class RolloutShardsTest {

    /**
     * The Java decoder computes each row on its own, so a row's log-probs are bitwise the same in any
     * batch; the engine's batched forward is not batch-invariant (see the reference's below). The
     * sampler's path is measured per machine ({@code DecodePathChoice}), so these tests pin the Java
     * path: on the engine path the shards are still a setting whose same value gives the same bits.
     */
    @org.junit.jupiter.api.BeforeEach
    void onTheJavaPath() {
        System.setProperty(io.align4j.generate.Sampler.PATH_PROPERTY, "java");
    }

    @org.junit.jupiter.api.AfterEach
    void measuredPathAgain() {
        System.clearProperty(io.align4j.generate.Sampler.PATH_PROPERTY);
    }

    @Test
    void shardsSampleAndScoreWhatTheWholeRequestDoes() {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, manager);
             RewardSource gold = OnlineTrainerTest.gold(start.tokenizer(), manager)) {
            TextTokenizer tok = start.tokenizer();
            CausalLM reference = Models.frozenCopy(start.model(), manager);
            LocalRollouts local = new LocalRollouts(reference, gold, tok.padId());
            RolloutRequest whole = new RolloutRequest(prompts(tok, 5), 3,
                    SamplingConfig.sampling(1.0, 20, 1234, tok.stopIds()).withSuppressIds(tok.bosId()), 0, true);
            Rollout one = local.rollout(start.model(), whole);
            List<RolloutRequest> shards = whole.shards(3);
            assertEquals(List.of(0L, 3L, 9L), shards.stream().map(RolloutRequest::firstRow).toList(), "groups 0, 1-2, 3-4 of 3 rows each");
            Rollout sharded = Rollout.concat(local.rollouts(start.model(), shards));

            assertEquals(one.groups(), sharded.groups());
            for (int r = 0; r < one.rows(); r++) {
                assertArrayEquals(one.responses().get(r), sharded.responses().get(r), "row " + r);
                assertArrayEquals(one.tokenLogProbs()[r], sharded.tokenLogProbs()[r], 0, "row " + r);
            }
            assertArrayEquals(one.logProbs(), sharded.logProbs(), 0);
            assertArrayEquals(one.scores(), sharded.scores(), 0);
            // the reference's batched forward is not batch-invariant (measured: −27.132139 whole, −27.132137 in a
            // shard), which is why the shards are a setting: the same rollout_shards anywhere gives the same bits
            assertArrayEquals(one.refLogProbs(), sharded.refLogProbs(), 1e-4);
        }
    }

    @Test
    void batchSamplingOfAShardDrawsItsGlobalRowsStreams() {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, manager)) {
            TextTokenizer tok = start.tokenizer();
            List<int[]> rows = prompts(tok, 11);
            int[] suppress = {tok.bosId(), tok.eosId()};
            List<Generation> whole = BatchSampling.sample(start.model(), rows, 8, suppress, 99, 4);
            List<Generation> parts = new ArrayList<>(BatchSampling.sample(start.model(), rows.subList(0, 5), 8, suppress, 99, 4, 0));
            parts.addAll(BatchSampling.sample(start.model(), rows.subList(5, 11), 8, suppress, 99, 4, 5));
            for (int r = 0; r < rows.size(); r++) {
                assertArrayEquals(whole.get(r).tokens(), parts.get(r).tokens(), "row " + r);
                assertArrayEquals(whole.get(r).logProbs(), parts.get(r).logProbs(), 0, "row " + r);
            }
        }
    }

    @Test
    void aRolloutAndASnapshotSurviveSerialisation() throws Exception {
        SharedData.require(DataPaths.STORIES260K_MODEL);
        try (NDManager manager = NDManager.newBaseManager();
             ModelLoader.LoadedModel start = ModelLoader.load(DataPaths.root().resolve(DataPaths.STORIES260K_MODEL), null, manager);
             RewardSource gold = OnlineTrainerTest.gold(start.tokenizer(), manager)) {
            TextTokenizer tok = start.tokenizer();
            PolicySnapshot snapshot = roundTrip(PolicySnapshot.of(start.model()));
            CausalLM rebuilt = snapshot.model(start.model().config(), manager);
            RolloutRequest request = roundTrip(new RolloutRequest(prompts(tok, 2), 2,
                    SamplingConfig.sampling(1.0, 10, 5, tok.stopIds()), 7, false));
            LocalRollouts local = new LocalRollouts(start.model(), gold, tok.padId());
            Rollout here = local.rollout(start.model(), request), there = roundTrip(local.rollout(rebuilt, request));
            for (int r = 0; r < here.rows(); r++) assertArrayEquals(here.responses().get(r), there.responses().get(r));
            assertArrayEquals(here.logProbs(), there.logProbs(), 0);
            assertArrayEquals(here.refLogProbs(), there.refLogProbs(), 0);
            assertArrayEquals(here.scores(), there.scores(), 0);
            assertEquals(here.rewardMetrics(), there.rewardMetrics());
        }
    }

    static List<int[]> prompts(TextTokenizer tok, int n) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(tok.encode(OnlineTrainerTest.OPENINGS[i % OnlineTrainerTest.OPENINGS.length], true, false));
        return out;
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }
}
