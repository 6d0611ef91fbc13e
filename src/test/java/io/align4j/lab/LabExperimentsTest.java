package io.align4j.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The acceptance criteria of `lab tilted-optimum`, `lab chosen-reward` and `lab base-support`, quick sizes, fixed seeds. */
class LabExperimentsTest {
    private static NDManager manager;

    @BeforeAll static void open() { manager = NDManager.newBaseManager(); }

    @AfterAll static void close() { manager.close(); }

    @Test
    void gradientDescentReachesTheTiltedOptima() {
        TiltedOptimumExperiment.Result r = TiltedOptimumExperiment.run(manager, TiltedOptimumExperiment.Config.quick());
        System.out.print(r.summary());
        for (String method : new String[] {"RLHF", "RKL"}) {
            double tv = r.trace(method).finalTv();
            assertTrue(tv < 1e-4, method + " ends " + tv + " from its closed form in TV");
        }
    }

    @Test
    void dpoChosenRewardDeclinesWhileMioPlateaus() {
        ChosenRewardExperiment.Result r = ChosenRewardExperiment.run(manager, ChosenRewardExperiment.Config.quick());
        System.out.print(r.summary());
        assertTrue(r.dpo().maxChosen() - r.dpo().finalChosen() >= 0.2, "DPO's chosen reward declines by only "
                + (r.dpo().maxChosen() - r.dpo().finalChosen()));
        assertTrue(r.mio().maxChosen() - r.mio().finalChosen() <= 0.1, "MIO's chosen reward falls "
                + (r.mio().maxChosen() - r.mio().finalChosen()) + " below its plateau");
        assertTrue(r.mio().finalChosen() - r.dpo().finalChosen() >= 0.5, "MIO ends only "
                + (r.mio().finalChosen() - r.dpo().finalChosen()) + " above DPO");
        assertTrue(r.mio().minMarginAfterStart() > 0, "MIO's margin fell to " + r.mio().minMarginAfterStart());
    }

    @Test
    void rlhfCannotReinforceWhatTheBaseNeverSamples() {
        BaseSupportExperiment.Result r = BaseSupportExperiment.run(manager, BaseSupportExperiment.Config.quick());
        System.out.print(r.summary());
        assertTrue(r.trace(1e-6).finalProbability() < 1e-3, "from 1e-6: " + r.trace(1e-6).finalProbability());
        assertTrue(r.trace(1e-2).finalProbability() > 0.5, "from 1e-2: " + r.trace(1e-2).finalProbability());
        assertTrue(r.trace(1e-6).optimumProbability() > 0.1, "the RLHF optimum itself favours the correct response");
    }
}
