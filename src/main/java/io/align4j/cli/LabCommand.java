package io.align4j.cli;

import ai.djl.ndarray.NDManager;
import io.align4j.lab.BaseSupportExperiment;
import io.align4j.lab.ChosenRewardExperiment;
import io.align4j.lab.ConvergenceExperiment;
import io.align4j.lab.LmConvergence;
import io.align4j.lab.TiltedOptimumExperiment;
import io.align4j.util.DataPaths;
import io.align4j.util.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j lab ...}: the exact experiments on tabular policies, and the convergence study on a
 * language model whose target is known; each writes a CSV, a PNG and a summary.
 */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = {"Exact experiments on tabular policies, and lm-convergence on stories260K with a known target:",
                "each writes <out>/<name>.csv and .png and prints a summary."},
        subcommands = {LabCommand.Convergence.class, LabCommand.TiltedOptimum.class,
                LabCommand.ChosenReward.class, LabCommand.BaseSupport.class, LabCommand.LmConvergenceCommand.class})
public final class LabCommand {

    /** Options every experiment takes. */
    static final class Common {
        @Option(names = "--out", defaultValue = "out/lab", description = "Folder for the CSV and PNG (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--quick", description = "The small size the tests run.")
        boolean quick;

        @Option(names = "--seed", description = "Seed of the data draws (default: the experiment's fixed seed).")
        Long seed;

        Path file(String name) {
            if (Files.exists(out) && !Files.isDirectory(out)) throw new UserError("--out " + out + " is a file, not a folder");
            return out.resolve(name);
        }
    }

    @Command(name = "convergence", mixinStandardHelpOptions = true,
            description = "E_x KL(pi* || pi_hat) against n for PMLE, PD, RKL, RLHF (beta tuned per n) and DPO.")
    static final class Convergence implements Callable<Integer> {
        @Mixin Common common;

        @Override public Integer call() {
            ConvergenceExperiment.Config c = common.quick ? ConvergenceExperiment.Config.quick() : ConvergenceExperiment.Config.defaults();
            if (common.seed != null) {
                c = new ConvergenceExperiment.Config(c.sigmas(), c.seeds(), c.log2MinN(), c.log2MaxN(), c.prompts(), c.responses(),
                        c.gamma(), c.dpoBeta(), c.rlhfBetas(), common.seed, c.maxIterations());
            }
            try (NDManager m = NDManager.newBaseManager()) {
                ConvergenceExperiment.Result r = ConvergenceExperiment.run(m, c);
                r.writeCsv(common.file("convergence.csv"));
                r.plot(common.file("convergence.png"));
                System.out.print(r.summary());
            }
            return 0;
        }
    }

    @Command(name = "tilted-optimum", mixinStandardHelpOptions = true,
            description = "Gradient descent on RLHF and RKL reaches pi_0 exp(r/beta) and pi_0^(beta/(beta+gamma)) exp(r/(beta+gamma)).")
    static final class TiltedOptimum implements Callable<Integer> {
        @Mixin Common common;

        @Override public Integer call() {
            TiltedOptimumExperiment.Config c = common.quick ? TiltedOptimumExperiment.Config.quick() : TiltedOptimumExperiment.Config.defaults();
            if (common.seed != null) {
                c = new TiltedOptimumExperiment.Config(c.prompts(), c.responses(), c.beta(), c.gamma(), c.learningRate(),
                        c.maxSteps(), c.chunk(), common.seed);
            }
            try (NDManager m = NDManager.newBaseManager()) {
                TiltedOptimumExperiment.Result r = TiltedOptimumExperiment.run(m, c);
                r.writeCsv(common.file("tilted-optimum.csv"));
                r.plot(common.file("tilted-optimum.png"));
                System.out.print(r.summary());
            }
            return 0;
        }
    }

    @Command(name = "chosen-reward", mixinStandardHelpOptions = true,
            description = "DPO's chosen reward declines late in training; MIO's plateaus.")
    static final class ChosenReward implements Callable<Integer> {
        @Mixin Common common;

        @Override public Integer call() {
            ChosenRewardExperiment.Config c = common.quick ? ChosenRewardExperiment.Config.quick() : ChosenRewardExperiment.Config.defaults();
            if (common.seed != null) {
                c = new ChosenRewardExperiment.Config(c.responses(), c.pairs(), c.beta(), c.learningRate(), c.steps(), c.every(), common.seed);
            }
            try (NDManager m = NDManager.newBaseManager()) {
                ChosenRewardExperiment.Result r = ChosenRewardExperiment.run(m, c);
                r.writeCsv(common.file("chosen-reward.csv"));
                r.plot(common.file("chosen-reward.png"));
                System.out.print(r.summary());
            }
            return 0;
        }
    }

    @Command(name = "base-support", mixinStandardHelpOptions = true,
            description = "On-policy RLHF cannot raise a correct response the base policy never samples.")
    static final class BaseSupport implements Callable<Integer> {
        @Mixin Common common;

        @Override public Integer call() {
            BaseSupportExperiment.Config c = common.quick ? BaseSupportExperiment.Config.quick() : BaseSupportExperiment.Config.defaults();
            if (common.seed != null) {
                c = new BaseSupportExperiment.Config(c.baseProbabilities(), c.responses(), c.beta(), c.samplesPerStep(), c.steps(),
                        c.learningRate(), common.seed);
            }
            try (NDManager m = NDManager.newBaseManager()) {
                BaseSupportExperiment.Result r = BaseSupportExperiment.run(m, c);
                r.writeCsv(common.file("base-support.csv"));
                r.plot(common.file("base-support.png"));
                System.out.print(r.summary());
            }
            return 0;
        }
    }

    @Command(name = "lm-convergence", mixinStandardHelpOptions = true,
            description = {"On tinystories-happy (stories260K, known target pi*): train each method at its theory settings on nested",
                    "n = 1k, 4k, 16k pairs, and measure KL to pi* and to the method's predicted optimum, both ways, against n.",
                    "Writes <out>/lm-convergence.csv, .png and .txt; running it again continues an interrupted sweep."})
    static final class LmConvergenceCommand implements Callable<Integer> {
        @Option(names = "--out", defaultValue = "out/lm-convergence", description = "Working and output folder (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--quick", description = "The small size the tests run (seconds; the numbers mean nothing).")
        boolean quick;

        @Option(names = "--model", description = "stories260K.bin with tok512.bin beside it (default: the shared data folder's).")
        Path model;

        @Option(names = "--pairs", split = ",", description = "The n of each round, ascending (default: 1000,4000,16000).")
        List<Integer> pairs;

        @Option(names = "--methods", split = ",", description = "Methods to train (default: dpo,pmle,mio,pd,rlhf,rkl; rebel may be added).")
        List<String> methods;

        @Override public Integer call() throws Exception {
            LmConvergence.Config c = quick ? LmConvergence.Config.quick() : LmConvergence.Config.defaults();
            if (pairs != null) c = c.withPairCounts(pairs);
            if (methods != null) c = c.withMethods(methods);
            Path bin = model != null ? model : DataPaths.root().resolve(DataPaths.STORIES260K_MODEL);
            if (Files.isDirectory(bin)) bin = bin.resolve("stories260K.bin");
            if (!Files.isRegularFile(bin)) throw new UserError("no model at " + bin + " (give --model stories260K.bin)");
            LmConvergence.Result r = LmConvergence.run(bin, out, c, msg -> System.err.println("align4j lab lm-convergence: " + msg));
            System.out.print(r.summary());
            return 0;
        }
    }
}
