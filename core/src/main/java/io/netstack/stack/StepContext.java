package io.netstack.stack;

import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stats.LinkStat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The {@link LayerContext} of one visit: one layer handling one input (an skb, a frame or a
 * timer). It collects the outputs and builds one {@link SkbEvent} per skb it touched. Both
 * runtimes use it: the in-process stack and every service, so both write the same events.
 * Not thread-safe: one per visit.
 */
public final class StepContext implements LayerContext {

    /** An skb handed to the next queue. */
    public record Output(KernelQueue queue, SkBuff skb) {}

    private final String layer;
    private final String instance;
    private final long now;
    private final LongSupplier ids;
    private final List<Output> outputs = new ArrayList<>();
    private final Map<Long, EventBuilder> events = new LinkedHashMap<>();
    private final Map<String, List<SkbEvent.StatDelta>> looseByNetns = new LinkedHashMap<>();
    private EventBuilder primary;

    public StepContext(String layer, String instance, long nowNanos, LongSupplier ids) {
        this.layer = layer;
        this.instance = instance;
        this.now = nowNanos;
        this.ids = ids;
    }

    /** Marks the skb this visit is about: counters moved in the visit are written on its event. */
    public void begin(SkBuff skb) {
        primary = event(skb);
        skb.hops().add(new SkBuff.Hop(layer, now));
    }

    @Override public long nowNanos() { return now; }

    @Override
    public void trace(SkBuff skb, String function) {
        event(skb).trace.add(new SkbEvent.TraceEntry(function, System.nanoTime()));
    }

    @Override
    public void count(String netns, String counter, long delta) {
        stat(netns, new SkbEvent.StatDelta(counter, "", delta));
    }

    @Override
    public void linkStat(String netns, String dev, LinkStat stat, long delta) {
        stat(netns, new SkbEvent.StatDelta(stat.name(), dev, delta));
    }

    private void stat(String netns, SkbEvent.StatDelta d) {
        if (primary != null && primary.netns.equals(netns)) {
            primary.stats.add(d);
        } else {
            looseByNetns.computeIfAbsent(netns, n -> new ArrayList<>()).add(d);
        }
    }

    @Override
    public void enqueue(KernelQueue queue, SkBuff skb) {
        event(skb).queue = queue.name();
        outputs.add(new Output(queue, skb));
    }

    @Override
    public SkBuff allocSkb(String netns, SkBuff parent, int headroom, int size) {
        SkBuff skb = SkBuff.alloc(ids.getAsLong(), netns, headroom, size);
        born(skb, parent);
        return skb;
    }

    @Override
    public SkBuff copySkb(SkBuff skb) {
        SkBuff copy = skb.copy(ids.getAsLong());
        born(copy, skb);
        return copy;
    }

    private void born(SkBuff skb, SkBuff parent) {
        EventBuilder e = event(skb);
        if (parent == null) {
            e.entered = true;
            if (primary == null) {
                // A frame from the wire or a send: the visit is about the skb it enters as.
                primary = e;
                skb.hops().add(new SkBuff.Hop(layer, now));
            }
        } else {
            // Made while the parent is handled: on its CPU, as the kernel runs icmp_send, the
            // fragmentation or the ARP request in the softirq of the CPU handling the parent. So
            // it takes the parent's backlog and transmit partitions, and keeps its order with
            // the parent (a redirect goes out before the packet it is about, as in ip_forward).
            skb.setCpu(parent.cpu());
            skb.setParentId(parent.id());
            e.parentId = parent.id();
            event(parent).spawned.add(skb.id());
        }
    }

    @Override
    public void drop(SkBuff skb, SkbDropReason reason) {
        fate(skb, new Fate.Dropped(lastFunction(skb), reason));
    }

    @Override
    public void consume(SkBuff skb) {
        fate(skb, new Fate.Consumed(lastFunction(skb)));
    }

    @Override
    public void deliver(SkBuff skb, String socket, String peer, byte[] payload) {
        fate(skb, new Fate.Delivered(lastFunction(skb), socket, peer, payload));
    }

    @Override
    public void transmit(SkBuff skb, String dev, byte[] frame) {
        fate(skb, new Fate.Transmitted(lastFunction(skb), dev, frame));
    }

    private void fate(SkBuff skb, Fate fate) {
        EventBuilder e = event(skb);
        if (e.fate != null) {
            throw new IllegalStateException(skb + " already has a fate: " + e.fate + ", now " + fate);
        }
        e.fate = fate;
    }

    private String lastFunction(SkBuff skb) {
        List<SkbEvent.TraceEntry> t = event(skb).trace;
        return t.isEmpty() ? "" : t.get(t.size() - 1).function();
    }

    /** Sets the one-line, tcpdump-style summary of the skb's event. */
    public void summary(SkBuff skb, String summary) { event(skb).summary = summary; }

    private EventBuilder event(SkBuff skb) {
        return events.computeIfAbsent(skb.id(), id -> new EventBuilder(skb.netns(), id, skb.parentId()));
    }

    public List<Output> outputs() { return outputs; }

    /** The events of this visit: one per skb touched, plus one per host whose counters moved with no skb of its own. */
    public List<SkbEvent> events() {
        List<SkbEvent> out = new ArrayList<>(events.size() + looseByNetns.size());
        for (EventBuilder e : events.values()) {
            out.add(e.build(layer, instance, now));
        }
        looseByNetns.forEach((netns, stats) -> {
            EventBuilder e = new EventBuilder(netns, 0, 0);
            e.stats.addAll(stats);
            out.add(e.build(layer, instance, now));
        });
        return out;
    }

    private static final class EventBuilder {
        final String netns;
        final long skbId;
        long parentId;
        boolean entered;
        final List<Long> spawned = new ArrayList<>();
        final List<SkbEvent.TraceEntry> trace = new ArrayList<>();
        final List<SkbEvent.StatDelta> stats = new ArrayList<>();
        Fate fate;
        String summary = "";
        String queue = "";

        EventBuilder(String netns, long skbId, long parentId) {
            this.netns = netns;
            this.skbId = skbId;
            this.parentId = parentId;
        }

        SkbEvent build(String layer, String instance, long now) {
            return new SkbEvent(netns, skbId, parentId, layer, instance, now, entered,
                    List.copyOf(spawned), List.copyOf(trace), List.copyOf(stats), fate, summary, queue);
        }
    }
}
