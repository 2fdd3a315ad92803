package io.netstack.replay;

import io.netstack.config.HostConfig;
import io.netstack.stack.Fate;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Replays a {@link Scenario} through the five layers in one process (no broker): a new
 * {@link InProcessStack}, the host configured under a fresh netns name, every input frame
 * put on its interface's wire in order, 2 ms apart on the driven clock as the recording
 * harness did, then the clock moved {@code settle_ms} on so that timers due in the window
 * fire. Repeatable: the clock only moves when told.
 *
 * <p>An skb may still be held when the window ends, as on Linux (a reply on the arp_queue of a
 * neighbour that never answers, a fragment waiting for the rest): the result is taken at the
 * end of the window, then the clock runs on, up to {@link #HELD_LIMIT_NANOS}, until each held
 * skb has met its fate, and the result's accounting says where each was held and how it ended
 * ({@link ReplayResult.Held}). So "without a fate" means lost, never merely early.
 */
public final class InProcessReplay {
    private InProcessReplay() {}

    public static final String REFERENCE = "netstack in-process";
    private static final AtomicLong RUNS = new AtomicLong();
    /** How far the clock runs on for held skbs: past net.ipv4.ipfrag_time (30 s) and any neighbour's probes. */
    static final long HELD_LIMIT_NANOS = 120_000_000_000L;
    private static final long HELD_STEP_NANOS = 100_000_000L;

    public static ReplayResult run(Scenario s) {
        return run(s, e -> { });
    }

    /** As {@link #run(Scenario)}, also handing every event of the host to {@code events} (a demo's trace). */
    public static ReplayResult run(Scenario s, Consumer<SkbEvent> events) {
        HostConfig host = s.host().withNetns(s.name() + "-" + RUNS.incrementAndGet());
        InProcessStack stack = InProcessStack.create();
        ReplayCollector collector = new ReplayCollector(host, REFERENCE);
        stack.onEvent(collector);
        boolean[] inWindow = {true};
        stack.onEvent(e -> {
            if (inWindow[0] && e.netns().equals(host.netns())) events.accept(e);
        });
        stack.configure(host);
        int k = 0;
        for (Scenario.Frame f : s.frames()) {
            if (k > 0) stack.advance(ResultJson.INPUT_SPACING_NANOS);
            collector.beginInput(stack.nowNanos());
            stack.receiveFrame(new WireFrame(host.netns(), f.iface(), f.bytes(), stack.nowNanos()));
            k++;
        }
        stack.advance(s.settleMs() * 1_000_000L);
        ReplayResult r = collector.result();
        if (r.accounting().inFlight() == 0) return r;
        inWindow[0] = false; // what follows is not the scenario's (nor a demo's trace)
        return withHeldSkbsFollowed(r, stack, host.netns(), collector.unfated());
    }

    /** Runs the clock on until every held skb has a fate (or the limit); the result stays as it was at the end of the window. */
    private static ReplayResult withHeldSkbsFollowed(ReplayResult r, InProcessStack stack, String netns, Map<Long, String> held) {
        long windowEnd = stack.nowNanos();
        Map<Long, ReplayResult.Held> followed = new LinkedHashMap<>();
        stack.onEvent(e -> {
            if (e.netns().equals(netns) && e.fate() != null && held.containsKey(e.skbId())) {
                followed.put(e.skbId(), new ReplayResult.Held(e.skbId(), held.get(e.skbId()), describe(e.fate()),
                        e.timeNanos() - windowEnd));
            }
        });
        while (followed.size() < held.size() && stack.nowNanos() - windowEnd < HELD_LIMIT_NANOS) {
            stack.advance(HELD_STEP_NANOS);
        }
        List<ReplayResult.Held> out = new ArrayList<>();
        held.forEach((id, where) -> out.add(followed.getOrDefault(id, new ReplayResult.Held(id, where, null, 0))));
        ReplayResult.Accounting a = r.accounting().withHeld(out);
        return new ReplayResult(r.reference(), r.transmitted(), r.counters(), r.links(), r.sockets(), a);
    }

    /** "Dropped NEIGH_FAILED in __icmp_send", "Transmitted on eth0 by veth_xmit". */
    static String describe(Fate f) {
        if (f instanceof Fate.Dropped d) return "Dropped " + d.reason().name() + " in " + d.function();
        if (f instanceof Fate.Transmitted t) return "Transmitted on " + t.dev() + " by " + t.function();
        if (f instanceof Fate.Delivered d) return "Delivered to " + d.socket() + " by " + d.function();
        return "Consumed by " + f.function();
    }
}
