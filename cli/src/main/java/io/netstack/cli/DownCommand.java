package io.netstack.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * `netstack down`: stops the stack `netstack up` started, from another terminal: SIGTERM to the
 * `up` process (which stops its services and broker as on Ctrl-C), waits, then ends any recorded
 * process still running (only if it is still the process that was recorded), and removes the
 * state file.
 */
@Command(name = "down", mixinStandardHelpOptions = true, description = "Stop the stack that `netstack up` started.")
public final class DownCommand implements Callable<Integer> {

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "how long to wait for the stack to stop before killing what is left (default: ${DEFAULT-VALUE})")
    int timeoutSeconds = 60;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        Path file = StackState.file();
        Optional<StackState> read = StackState.read(file);
        if (read.isEmpty()) {
            o.println("netstack: no stack is up (no " + file + ")");
            o.flush();
            return 0;
        }
        StackState s = read.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        Optional<ProcessHandle> launcher = s.launcher();
        if (launcher.isPresent()) {
            o.printf("netstack: stopping the stack of `netstack up` (pid %d) ...%n", s.launcherPid());
            o.flush();
            launcher.get().destroy();
            awaitExit(launcher.get(), deadline);
        } else {
            o.println("netstack: the `netstack up` process is gone; stopping what it recorded");
        }
        int killed = 0;
        for (StackState.Proc p : s.processes()) {
            if (!StackState.sameProcessAlive(p.pid(), p.start())) continue;
            ProcessHandle h = ProcessHandle.of(p.pid()).orElse(null);
            if (h == null) continue;
            h.destroy();
            if (!awaitExit(h, Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(15)))) h.destroyForcibly();
            killed++;
        }
        if (launcher.isPresent() && launcher.get().isAlive()) {
            launcher.get().destroyForcibly();
            killed++;
        }
        Files.deleteIfExists(file);
        o.println("netstack: stack stopped" + (killed > 0 ? " (" + killed + " process(es) had to be stopped one by one)" : ""));
        o.flush();
        return 0;
    }

    private static boolean awaitExit(ProcessHandle h, long deadlineNanos) throws InterruptedException {
        while (h.isAlive()) {
            if (System.nanoTime() > deadlineNanos) return false;
            Thread.sleep(100);
        }
        return true;
    }
}
