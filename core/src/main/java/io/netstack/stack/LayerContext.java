package io.netstack.stack;

import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stats.LinkStat;

/**
 * What a layer may do while it handles an skb. The runtime (the in-process stack or a
 * service) implements it and turns every call into records: outputs to the next queue,
 * and one {@link SkbEvent} per skb touched, with trace, counters and fate.
 */
public interface LayerContext {

    /** The clock, in nanoseconds; tests drive it. */
    long nowNanos();

    /** Records that the skb passed through a kernel function (`ip_rcv`, `udp_queue_rcv_skb`). */
    void trace(SkBuff skb, String function);

    /** Moves an SNMP counter of a host (names from {@link io.netstack.stats.Snmp}). */
    void count(String netns, String counter, long delta);

    default void count(SkBuff skb, String counter) { count(skb.netns(), counter, 1); }

    default void count(SkBuff skb, String counter, long delta) { count(skb.netns(), counter, delta); }

    /** Moves a link statistic of one of a host's interfaces. */
    void linkStat(String netns, String dev, LinkStat stat, long delta);

    /** Hands the skb to the next kernel queue. The layer must not touch it afterwards. */
    void enqueue(KernelQueue queue, SkBuff skb);

    /**
     * alloc_skb: a new, empty skb with headroom, in {@code netns}. With a parent (an echo
     * request for its reply, a datagram for its fragments) it is recorded as spawned by
     * the parent; without one it enters the stack here (a frame from the wire, a send).
     */
    SkBuff allocSkb(String netns, SkBuff parent, int headroom, int size);

    /** skb_copy: a copy of {@code skb} under a new id, spawned by it. */
    SkBuff copySkb(SkBuff skb);

    /** kfree_skb_reason: the skb is freed for {@code reason}; its fate. */
    void drop(SkBuff skb, SkbDropReason reason);

    /** consume_skb: the skb was used up by the stack; its fate. */
    void consume(SkBuff skb);

    /** The skb's payload is queued to a socket; its fate. */
    void deliver(SkBuff skb, String socket, String peer, byte[] payload);

    /** The frame left the NIC onto the wire of {@code dev}; its fate. */
    void transmit(SkBuff skb, String dev, byte[] frame);
}
