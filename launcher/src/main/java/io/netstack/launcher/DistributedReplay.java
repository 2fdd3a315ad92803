package io.netstack.launcher;

import io.netstack.config.HostConfig;
import io.netstack.replay.ReplayCollector;
import io.netstack.replay.ReplayResult;
import io.netstack.replay.Scenario;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Replays a {@link Scenario} through a running distributed stack, the way the recording harness
 * drove real Linux (conformance/README.md):
 * <ol>
 *   <li>a fresh host: netns {@code <scenario>-<random>}, its host.yaml published on the
 *       configuration topic;</li>
 *   <li>the input frames on the wire topic one by one, in order; after each, wait until its
 *       effects are done (its {@code entered} event seen at the NIC and no skb of the host on
 *       its way in a queue: every skb has its fate or is held by a layer, like a fragment
 *       awaiting the rest of its datagram), bounded by a timeout: real Linux had 2 ms between
 *       frames, which was time enough for each frame's whole path;</li>
 *   <li>{@code settle_ms} of wall time for late effects (timers);</li>
 *   <li>the result, collected by {@link ReplayCollector} from the host's events on the events
 *       topic; then a tombstone removes the host from every service.</li>
 * </ol>
 * Thread-safe: several scenarios may run side by side (each its own host) over one
 * {@link EventTail} and one {@link StackClient}.
 */
public final class DistributedReplay {

    public static final String REFERENCE = "netstack distributed";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final StackClient client;
    private final EventTail tail;
    private final Duration frameTimeout;

    /** What one replay produced, with its host's name, wall time and anything worth a note. */
    public record Run(String netns, ReplayResult result, Duration wallTime, List<String> notes) {}

    /**
     * @param frameTimeout how long one input frame's effects may take before the next frame is sent anyway
     *                     (and a note says so)
     */
    public DistributedReplay(StackClient client, EventTail tail, Duration frameTimeout) {
        this.client = client;
        this.tail = tail;
        this.frameTimeout = frameTimeout;
    }

    /** A host name no other replay uses: {@code <scenario>-<12 hex digits>}. */
    public static String freshNetns(String scenario) {
        byte[] r = new byte[6];
        RANDOM.nextBytes(r);
        return scenario + "-" + HexFormat.of().formatHex(r);
    }

    /** Replays {@code s}; every event of its host also goes to {@code events} (on the tail's thread). */
    public Run run(Scenario s, Consumer<SkbEvent> events) throws InterruptedException {
        long t0 = System.nanoTime();
        String netns = freshNetns(s.name());
        HostConfig host = s.host().withNetns(netns);
        String yaml;
        try {
            yaml = Files.readString(s.dir().resolve("host.yaml"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Host h = new Host(new ReplayCollector(host, REFERENCE), events);
        List<String> notes = new ArrayList<>();
        tail.subscribe(netns, h::accept);
        try {
            client.publishConfig(netns, yaml);
            int k = 0;
            // The inputs are stamped 2 ms apart, as the recording harness sent them: the stack waits
            // for each frame's effects before the next, but what reads skb->tstamp (ICMP rate
            // limits) sees the scenario's own spacing, not the pipeline's.
            long start = epochNanos();
            for (Scenario.Frame f : s.frames()) {
                client.publishFrame(new WireFrame(netns, f.iface(), f.bytes(), start + k * 2_000_000L));
                k++;
                if (!h.awaitDone(k, frameTimeout)) {
                    notes.add("input " + k + " (" + f.iface() + "): " + h.describeWait(k) + " after "
                            + frameTimeout.toMillis() + " ms; the next input was sent anyway");
                }
            }
            Thread.sleep(s.settleMs());
            ReplayResult r = h.result();
            if (r.accounting().inFlight() != 0) {
                // Named by where each was last seen: on a neighbour's arp_queue or in a reassembly queue, as
                // Linux would hold it too (the in-process replay follows such an skb to its fate; here the
                // wall clock would have to wait for it).
                List<String> where = new ArrayList<>();
                h.unfated().forEach((id, function) -> where.add("skb " + id + " last in " + function + ", "
                        + ReplayResult.Held.whereHeld(function)));
                notes.add(r.accounting().inFlight() + " skb(s) without a fate after settle_ms " + s.settleMs()
                        + " (held by a layer, or still on their way)" + (where.isEmpty() ? "" : ": " + String.join("; ", where)));
            }
            return new Run(netns, r, Duration.ofNanos(System.nanoTime() - t0), List.copyOf(notes));
        } finally {
            tail.unsubscribe(netns);
            try {
                client.removeConfig(netns);
            } catch (RuntimeException e) {
                notes.add("the host's tombstone was not published: " + e.getMessage());
            }
        }
    }

    /** Nanoseconds since the epoch (the clock the services stamp events with). */
    static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** One replayed host: its collector, fed by the tail's thread, waited on by the replay's. */
    static final class Host {
        private final ReplayCollector collector;
        private final Consumer<SkbEvent> events;
        private int enteredFromWire;
        /**
         * Skbs on their way: the last event handed them to a queue, or they were spawned and
         * their own event (same visit, next record) is not read yet.
         */
        private final Set<Long> queued = new HashSet<>();
        private final Set<Long> seen = new HashSet<>();

        Host(ReplayCollector collector, Consumer<SkbEvent> events) {
            this.collector = collector;
            this.events = events;
        }

        synchronized void accept(SkbEvent e) {
            if (e.entered() && "nic".equals(e.layer())) {
                // The input's own clock: what it transmitted follows its entry at the NIC.
                collector.beginInput(e.timeNanos());
                enteredFromWire++;
            }
            collector.accept(e);
            if (e.skbId() != 0) {
                seen.add(e.skbId());
                if (e.fate() == null && e.queue() != null && !e.queue().isEmpty()) queued.add(e.skbId());
                else queued.remove(e.skbId());
            }
            for (Long child : e.spawned()) {
                if (!seen.contains(child)) queued.add(child);
            }
            try {
                events.accept(e);
            } finally {
                notifyAll();
            }
        }

        /** Input {@code k} (1-based) entered and no skb is on its way (each has its fate or is held by a layer). */
        synchronized boolean awaitDone(int k, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (enteredFromWire < k || !queued.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }

        synchronized String describeWait(int k) {
            if (enteredFromWire < k) return "not seen at the NIC";
            return queued.size() + " skb(s) still on their way in a queue " + queued;
        }

        synchronized Map<Long, String> unfated() {
            return collector.unfated();
        }

        synchronized ReplayResult result() {
            return collector.result();
        }
    }
}
