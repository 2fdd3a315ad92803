package io.netstack.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A JVM this process started, with stdout and stderr in one log file. Knows how to wait for a
 * line in that log, and how to stop the process: SIGTERM, then SIGKILL after a grace period.
 * Stops only the process it started (and that process's descendants), by pid.
 */
public final class ChildProcess {

    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} in {@code workDir}, output to {@code log}. */
    public static ChildProcess start(String name, List<String> command, Path workDir, Path log) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            return new ChildProcess(name, pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** The java executable of this JVM. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public String name() { return name; }
    public long pid() { return process.pid(); }
    public Path log() { return log; }
    public boolean isAlive() { return process.isAlive(); }
    public Process process() { return process; }

    /**
     * Waits until a line of the log matches; returns it.
     *
     * @throws IllegalStateException naming the process and quoting the tail of its log when it
     *                               dies or the time runs out
     */
    public String awaitLine(Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : lines()) {
                if (match.test(line)) return line;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " (pid " + pid() + ") exited with " + process.exitValue()
                        + " before it was ready" + rootCause() + "; the end of " + log + ":\n" + tail(40));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " (pid " + pid() + ") not ready after " + timeout.toSeconds()
                        + " s" + rootCause() + "; the end of " + log + ":\n" + tail(40));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
        }
    }

    private List<String> lines() {
        try {
            if (!Files.exists(log)) return List.of();
            return Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    /** The innermost "Caused by:" of the log (a JVM's stack traces end with the root cause), if any. */
    private String rootCause() {
        String cause = null;
        for (String l : lines()) if (l.startsWith("Caused by: ")) cause = l;
        return cause == null ? "" : " (" + cause + ")";
    }

    /** The last {@code n} lines of the log. */
    public String tail(int n) {
        List<String> all = lines();
        return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - n), all.size())));
    }

    /** SIGTERM, wait up to {@code grace}, then SIGKILL; waits until the process is gone. */
    public void stop(Duration grace) {
        List<ProcessHandle> descendants = process.descendants().toList();
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        for (ProcessHandle d : descendants) {
            if (d.isAlive()) d.destroyForcibly();
        }
    }

    @Override
    public String toString() { return name + "[pid " + pid() + "]"; }
}
