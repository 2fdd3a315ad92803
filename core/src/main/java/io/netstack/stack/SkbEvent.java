package io.netstack.stack;

import java.util.List;

/**
 * What one layer did with one skb in one visit: the kernel functions it passed, the
 * counters it moved, the skbs it created and, once in the skb's life, its fate.
 * Summed over the events topic this gives every counter and proves nothing was lost:
 * entered + spawned = fates + in flight.
 *
 * @param skbId    0 for an event that belongs to no skb (a timer moved counters)
 * @param entered  the skb entered the stack in this visit (from the wire, or a socket's send)
 * @param fate     null while the skb lives on
 * @param queue    the kernel queue (a {@link KernelQueue} name) the skb was handed to in this visit,
 *                 empty if none: an skb with neither a fate nor a queue is held by the layer
 *                 (a fragment awaiting its datagram, a packet awaiting ARP), not on its way
 */
public record SkbEvent(
        String netns,
        long skbId,
        long parentId,
        String layer,
        String instance,
        long timeNanos,
        boolean entered,
        List<Long> spawned,
        List<TraceEntry> trace,
        List<StatDelta> stats,
        Fate fate,
        String summary,
        String queue) {

    /** An event that handed the skb to no queue. */
    public SkbEvent(String netns, long skbId, long parentId, String layer, String instance, long timeNanos,
                    boolean entered, List<Long> spawned, List<TraceEntry> trace, List<StatDelta> stats, Fate fate,
                    String summary) {
        this(netns, skbId, parentId, layer, instance, timeNanos, entered, spawned, trace, stats, fate, summary, "");
    }

    /** One kernel function an skb passed, as pwru prints it. */
    public record TraceEntry(String function, long timeNanos) {}

    /** A counter movement: an SNMP counter (dev empty) or a link statistic of dev. */
    public record StatDelta(String name, String dev, long delta) {
        public boolean isLinkStat() { return !dev.isEmpty(); }
    }
}
