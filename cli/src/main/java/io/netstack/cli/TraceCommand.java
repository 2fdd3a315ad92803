package io.netstack.cli;

import io.netstack.launcher.EventTail;
import io.netstack.stack.SkbEvent;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * `netstack trace`: what pwru shows on a real kernel, for the running stack: one line per kernel
 * function an skb passed, with its host, the layer and service instance that ran it and the
 * time, and the skb's fate, read from the events topic. Without --follow it prints what the
 * topic holds and exits; with --follow it prints events as they are written until Ctrl-C.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Follow packets through the running stack (from `netstack up`), like pwru:",
                "one line per kernel function with its layer, service instance and time, then the skb's fate."})
public final class TraceCommand implements Callable<Integer> {

    @Option(names = "--netns", paramLabel = "HOST",
            description = "only this host (a replay's host <scenario>-<random> also matches its scenario's name)")
    String netns;

    @Option(names = {"-f", "--follow"}, description = "keep following new events until Ctrl-C (default: print what is there and exit)")
    boolean follow;

    @Option(names = "--from-beginning", description = "with --follow: first print every event the topic holds")
    boolean fromBeginning;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "the broker (default: the one in the state file of `netstack up`)")
    String bootstrap;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS").withZone(ZoneId.systemDefault());

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String servers = bootstrap;
        if (servers == null) {
            Optional<StackState> up = StackState.running();
            if (up.isEmpty()) {
                err.println("netstack: no stack is up (no running `netstack up` in " + StackState.file()
                        + "); start one with `netstack up`, or give --bootstrap");
                err.flush();
                return 1;
            }
            servers = up.get().bootstrapServers();
        }
        Printer printer = new Printer(o, netns);
        boolean history = !follow || fromBeginning;
        try (EventTail tail = history ? EventTail.fromBeginning(servers) : EventTail.fromEnd(servers)) {
            tail.onEvery(printer::print);
            printer.header();
            if (!follow) {
                while (!tail.caughtUp()) Thread.sleep(50);
                Thread.sleep(200);
                o.printf("(%d event(s) shown; --follow to keep watching)%n", printer.shown);
                o.flush();
                return 0;
            }
            while (true) Thread.sleep(1000); // until Ctrl-C
        }
    }

    /** Formats events as pwru lines; remembers each skb's last visit for the hop times. */
    static final class Printer {
        private final PrintWriter o;
        private final String netns;
        private final Map<Long, Long> lastSeen = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<Long, Long> e) { return size() > 100_000; }
        };
        long shown;

        Printer(PrintWriter o, String netns) {
            this.o = o;
            this.netns = netns;
        }

        boolean matches(String host) {
            return netns == null || host.equals(netns) || host.startsWith(netns + "-");
        }

        synchronized void header() {
            o.printf("%-15s %-40s %-22s %-8s %-11s %10s  %s%n", "TIME", "NETNS", "SKB", "LAYER", "INSTANCE", "HOP", "FUNC / FATE");
            o.flush();
        }

        synchronized void print(SkbEvent e) {
            if (!matches(e.netns()) || e.skbId() == 0) return;
            Long before = lastSeen.get(e.skbId());
            if (before == null && e.parentId() != 0) before = lastSeen.get(e.parentId());
            String hop = before == null ? "" : String.format("+%.1f ms", (e.timeNanos() - before) / 1e6);
            String skb = e.skbId() + (e.parentId() != 0 ? " <" + e.parentId() : "") + (e.entered() ? " new" : "");
            boolean first = true;
            for (SkbEvent.TraceEntry t : e.trace()) {
                // The visit's time: a trace entry's own stamp is its JVM's nanoTime, not comparable across services.
                line(e.timeNanos(), e, skb, first ? hop : "", t.function());
                first = false;
            }
            if (e.fate() != null) line(e.timeNanos(), e, skb, first ? hop : "", "=> " + DemoReport.fate(e.fate()));
            else if (!e.queue().isEmpty()) line(e.timeNanos(), e, skb, first ? hop : "", "-> queued to " + e.queue());
            else line(e.timeNanos(), e, skb, first ? hop : "", "-- held by " + e.layer());
            lastSeen.put(e.skbId(), e.timeNanos());
            shown++;
            o.flush();
        }

        private void line(long nanos, SkbEvent e, String skb, String hop, String what) {
            String time = TIME.format(Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L));
            o.printf("%-15s %-40s %-22s %-8s %-11s %10s  %s%n", time, e.netns(), skb, e.layer(), e.instance(), hop, what);
        }
    }
}
