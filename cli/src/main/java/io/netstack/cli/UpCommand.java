package io.netstack.cli;

import io.netstack.launcher.StackLauncher;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * `netstack up`: starts the broker and the five services (StackLauncher), says where each
 * listens, records them in the state file for the other commands, and stays in the foreground
 * until Ctrl-C (or `netstack down` from another terminal), then stops everything it started.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start a Kafka broker and the five services, and keep them running until Ctrl-C.",
                "replay, demo and trace in other terminals use this stack; `netstack down` stops it."})
public final class UpCommand implements Callable<Integer> {

    @CommandLine.Mixin
    StackOptions stack = new StackOptions();

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "where the broker's data and the services' logs go (default: .netstack/run-<time> beside the state file)")
    Path runDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path file = StackState.file();
        Optional<StackState> existing = StackState.read(file);
        if (existing.isPresent() && existing.get().launcherAlive()) {
            err.printf("netstack: a stack is already up (launcher pid %d, broker %s); `netstack down` stops it%n",
                    existing.get().launcherPid(), existing.get().bootstrapServers());
            err.flush();
            return 1;
        }
        Files.deleteIfExists(file); // a launcher that died without removing it
        StackLauncher.Builder b;
        try {
            b = stack.builder();
        } catch (IllegalArgumentException e) {
            err.println("netstack: " + e.getMessage());
            err.flush();
            return 2;
        }
        Path dir = runDir != null ? runDir
                : file.getParent().resolve("run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        o.println("netstack: starting a Kafka broker and the five services (" + stack.delivery + ", " + stack.cpus
                + " cpus) ...");
        o.flush();
        StackLauncher launcher;
        try {
            launcher = b.runDir(dir).build().start();
        } catch (RuntimeException e) {
            err.println("netstack: the stack did not start: " + e.getMessage());
            err.flush();
            return 1;
        }
        StackState state = StackState.of(launcher, stack.delivery, stack.cpus);
        state.write(file);
        try {
            // Where `netstack nc` (and any client) finds the socket API.
            StackState.putEntry(file, "socketApi", launcher.socketApiAddress());
        } catch (RuntimeException e) {
            err.println("netstack: the socket API's address is not known: " + e.getMessage());
            err.flush();
        }
        // Where deploy/prometheus/prometheus.yml's file_sd looks for a stack started by `up`.
        launcher.writePrometheusTargets(file.getParent().resolve("prometheus-targets.json"));
        String written = Files.readString(file);
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            o.println("netstack: stopping the services and the broker ...");
            o.flush();
            launcher.stop();
            removeIfOurs(file, written);
            o.println("netstack: stopped");
            o.flush();
        }, "netstack-up-shutdown"));

        o.printf("netstack: stack up in %.1f s%n", launcher.startupTime().toMillis() / 1000.0);
        o.printf("  broker      pid %-7d bootstrap servers %s%n", launcher.broker().pid(), launcher.bootstrapServers());
        for (StackLauncher.Service s : launcher.services()) {
            o.printf("  %-11s pid %-7d %s/actuator/prometheus   log %s%n", s.instance(), s.pid(), s.url(), s.log());
        }
        o.println("  state file  " + file);
        o.println();
        o.println("Now, in another terminal:  netstack demo  |  netstack replay DIR  |  netstack trace --follow");
        o.println("Ctrl-C here (or `netstack down`) stops the stack.");
        o.flush();

        // Stay in the foreground; a process that dies on its own ends the stack too.
        while (true) {
            Thread.sleep(1000);
            if (stopping.get()) continue; // the shutdown hook is stopping them
            if (!launcher.broker().process().isAlive()) return died(launcher, file, written, err, "the broker (pid " + launcher.broker().pid() + ")");
            for (StackLauncher.Service s : launcher.services()) {
                if (!stopping.get() && !s.process().isAlive()) {
                    return died(launcher, file, written, err, s.instance() + " (pid " + s.pid() + ", log " + s.log() + ")");
                }
            }
        }
    }

    private static int died(StackLauncher launcher, Path file, String written, PrintWriter err, String who) {
        err.println("netstack: " + who + " exited; stopping the rest");
        err.flush();
        launcher.stop();
        removeIfOurs(file, written);
        return 1;
    }

    /**
     * Removes the state file if it is still the one this process wrote. A plain comparison of
     * the text: at shutdown no class should need loading (the jar may have been rebuilt since).
     */
    static void removeIfOurs(Path file, String written) {
        try {
            if (Files.isRegularFile(file) && Files.readString(file).equals(written)) Files.deleteIfExists(file);
        } catch (IOException | RuntimeException ignored) {
            // nothing more to do while shutting down
        }
    }
}
