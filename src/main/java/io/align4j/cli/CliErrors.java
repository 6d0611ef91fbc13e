package io.align4j.cli;

import io.align4j.util.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;

/**
 * Turns a {@link UserError} (missing file, malformed record, bad setting) and a failing file
 * system (full disk, no permission, a file gone) into one clear line on stderr and exit code 2;
 * anything else is a bug and keeps its stack trace.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        String line = userMessage(ex);
        if (line == null) throw ex;
        cmd.getErr().println("align4j " + cmd.getCommandName() + ": " + line.replaceAll("\\s*\\R\\s*", " "));
        return 2;
    }

    /** The one line for a user mistake or an environment fault anywhere in the causes; null for a bug. */
    static String userMessage(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) if (t instanceof UserError) return t.getMessage();
        String context = null;
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof UncheckedIOException && context == null) context = t.getMessage();
            if (t instanceof IOException io && !(t.getCause() instanceof IOException)) {
                String what = describe(io);
                return context == null || context.contains(what) ? what : context + ": " + what;
            }
        }
        return null;
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file or folder";
        if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
        if (e instanceof FileAlreadyExistsException x) return x.getFile() + ": exists and is not a folder";
        if (e instanceof NotDirectoryException x) return x.getFile() + ": not a folder";
        if (e instanceof FileSystemException f && f.getReason() != null)
            return (f.getFile() == null ? "" : f.getFile() + ": ") + f.getReason();
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
