package io.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: parses the command line and delegates to one subcommand. */
@Command(
        name = "align4j",
        mixinStandardHelpOptions = true,
        version = "align4j 0.1.0",
        description = "Align causal language models with preference data.",
        subcommands = {CommandLine.HelpCommand.class, GenerateCommand.class, ScoreCommand.class, ConvertCommand.class,
                DataCommand.class, TrainCommand.class, SftCommand.class, RewardCommand.class, LabCommand.class,
                TaskCommand.class, EvalCommand.class, BenchCommand.class, QuickstartCommand.class, MergeCommand.class})
public final class Main {

    /** Columns of every --help text. */
    static final int USAGE_WIDTH = 80;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        CommandLine cli = new CommandLine(new Main()).setUsageHelpWidth(USAGE_WIDTH);
        cli.setExecutionExceptionHandler(new CliErrors());
        return cli.execute(args);
    }
}
