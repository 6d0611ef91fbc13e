package io.align4j.util;

/**
 * A problem with the user's input (a missing or malformed file, a bad setting) rather than a
 * bug. The message must say what is wrong and where: the file, the line or tensor, the field.
 * The CLI prints it as one line, without a stack trace.
 */
public class UserError extends RuntimeException {
    public UserError(String message) { super(message); }

    public UserError(String message, Throwable cause) { super(message, cause); }
}
