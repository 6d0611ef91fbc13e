package io.align4j.cli;

import io.align4j.util.UserError;
import picocli.CommandLine;

/**
 * Turns a {@link UserError} (missing file, malformed record, bad setting) into one clear line
 * on stderr and exit code 2; anything else is a bug and keeps its stack trace.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        Throwable t = ex;
        while (t != null && !(t instanceof UserError)) t = t.getCause();
        if (t != null) {
            cmd.getErr().println("align4j " + cmd.getCommandName() + ": " + t.getMessage());
            return 2;
        }
        throw ex;
    }
}
