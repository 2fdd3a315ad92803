package io.netstack.cli;

import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A distributed stack to work with: the one {@code netstack up} started (found through its
 * state file; left running on close), or one started here for the duration (stopped on close,
 * its temporary directory removed).
 */
public final class StackSession implements AutoCloseable {

    private final StackLauncher started;
    private final StackState attached;
    private final StackClient client;
    private final long startupMillis;

    private StackSession(StackLauncher started, StackState attached, long startupMillis) {
        this.started = started;
        this.attached = attached;
        this.startupMillis = startupMillis;
        this.client = new StackClient(bootstrapServers());
    }

    /** The running stack if there is one, else a new one with {@code options} (progress to {@code err}). */
    public static StackSession attachOrStart(StackOptions options, PrintWriter err) {
        Optional<StackState> up = StackState.running();
        if (up.isPresent()) {
            StackState s = up.get();
            err.printf("netstack: using the stack started by `netstack up` (pid %d, broker %s, %s)%n",
                    s.launcherPid(), s.bootstrapServers(), s.delivery());
            err.flush();
            return new StackSession(null, s, 0);
        }
        err.println("netstack: starting a broker and the five services for this command"
                + " (start one with `netstack up` to keep it between commands) ...");
        err.flush();
        Path dir;
        try {
            dir = Files.createTempDirectory("netstack-run-");
        } catch (IOException e) {
            throw new IllegalStateException("no temporary directory: " + e.getMessage(), e);
        }
        StackLauncher l = options.builder().runDir(dir).build().start();
        err.printf("netstack: stack up in %.1f s (broker %s; %s)%n", l.startupTime().toMillis() / 1000.0,
                l.bootstrapServers(), options.delivery);
        err.flush();
        return new StackSession(l, null, l.startupTime().toMillis());
    }

    /** The stack recorded by {@code netstack up}, if it runs. */
    public static Optional<StackSession> attach() {
        return StackState.running().map(s -> new StackSession(null, s, 0));
    }

    public String bootstrapServers() {
        return started != null ? started.bootstrapServers() : attached.bootstrapServers();
    }

    public StackClient client() { return client; }

    /** Whether this session started the stack (and stops it on close). */
    public boolean startedHere() { return started != null; }

    public long startupMillis() { return startupMillis; }

    public String delivery() {
        return attached != null ? attached.delivery() : null;
    }

    /** Instance name to pid and HTTP port, for the output. */
    public Map<String, String> instances() {
        Map<String, String> out = new LinkedHashMap<>();
        if (started != null) {
            for (StackLauncher.Service s : started.services()) out.put(s.instance(), "pid " + s.pid() + ", " + s.url());
        } else {
            for (StackState.Proc p : attached.processes()) {
                if (!p.layer().isEmpty()) out.put(p.name(), "pid " + p.pid() + ", " + p.url());
            }
        }
        return out;
    }

    @Override
    public void close() {
        client.close();
        if (started != null) {
            started.stop();
            deleteTree(started.runDir());
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException ignored) {
            // a leftover temporary file is harmless
        }
    }
}
