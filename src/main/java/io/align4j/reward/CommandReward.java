package io.align4j.reward;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code --reward-command CMD}: an external program that scores samples, started once (with
 * {@code sh -c CMD}, at the first batch) and kept running for the whole run. For each sample it
 * reads one JSON line {@code {"prompt": ..., "completion": ...}} on stdin and writes one number
 * per line on stdout, in order; a batch's lines are all written before its answers are read, so
 * the program may answer line by line or buffer. Its stderr is kept (the last lines) for error
 * messages. Each answer must come within the timeout; a non-number, an exit or silence names the
 * sample. At the end its stdin is closed and it gets two seconds to exit before it is killed.
 */
public final class CommandReward implements RewardFunction {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String END = "\u0000end-of-stream";
    private static final int STDERR_LINES = 5;

    private final String command;
    private final long timeoutMillis;
    private Process process;
    private BufferedWriter stdin;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();

    /** @param timeoutSeconds longest wait for each answer */
    public CommandReward(String command, double timeoutSeconds) {
        this.command = command;
        this.timeoutMillis = (long) Math.ceil(timeoutSeconds * 1000);
    }

    @Override
    public String name() { return "command:" + command; }

    @Override
    public double[] score(List<String> prompts, List<String> completions) throws IOException, SampleFailure, InterruptedException {
        if (process == null) start();
        int n = completions.size();
        try {
            for (int i = 0; i < n; i++) {
                Map<String, String> line = new LinkedHashMap<>();
                line.put("prompt", prompts.get(i));
                line.put("completion", completions.get(i));
                stdin.write(JSON.writeValueAsString(line));
                stdin.write('\n');
            }
            stdin.flush();
        } catch (IOException e) {
            throw new SampleFailure(0, "could not write to the command (" + e.getMessage() + ")" + exitNote());
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            String answer = answers.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (answer == null)
                throw new SampleFailure(i, "no answer within " + timeoutMillis / 1000.0 + " s" + exitNote());
            if (answer.equals(END)) throw new SampleFailure(i, "the command closed its output" + exitNote());
            try {
                out[i] = Double.parseDouble(answer.trim());
            } catch (NumberFormatException e) {
                throw new SampleFailure(i, "answered '" + abbreviate(answer) + "', not a number");
            }
        }
        return out;
    }

    private void start() throws IOException {
        process = new ProcessBuilder("sh", "-c", command).start();
        stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        InputStream out = process.getInputStream(), err = process.getErrorStream();
        daemon("align4j-reward-stdout", () -> {
            drain(out, answers::add);
            answers.add(END); // the reader of the answers learns that the process is gone
        });
        daemon("align4j-reward-stderr", () -> drain(err, line -> {
            synchronized (stderrTail) {
                stderrTail.addLast(line);
                if (stderrTail.size() > STDERR_LINES) stderrTail.removeFirst();
            }
        }));
    }

    private static void drain(InputStream stream, java.util.function.Consumer<String> sink) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) sink.accept(line);
        } catch (IOException ignored) {
            // the process is gone
        }
    }

    /** ", it exited with code C; its stderr ended: ..." when the process is gone, or its stderr alone. */
    private String exitNote() {
        StringBuilder sb = new StringBuilder();
        try {
            if (process.waitFor(200, TimeUnit.MILLISECONDS)) sb.append("; it exited with code ").append(process.exitValue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (stderrTail) {
            if (!stderrTail.isEmpty()) sb.append("; its stderr ended: ").append(abbreviate(String.join(" | ", stderrTail)));
        }
        return sb.toString();
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    @Override
    public void close() throws InterruptedException {
        if (process == null) return;
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(2, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
    }
}
