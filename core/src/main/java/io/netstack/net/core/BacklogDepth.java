package io.netstack.net.core;

/**
 * How many skbs wait on a CPU's backlog (skb_queue_len(&sd->input_pkt_queue)), which
 * enqueue_to_backlog compares with netdev_max_backlog. In the in-process stack the backlog
 * is drained after each frame, so the depth is 0; the distributed runtime plugs in the
 * consumer lag of the backlog partition standing for the CPU.
 */
@FunctionalInterface
public interface BacklogDepth {

    /** The backlog depth of emulated CPU {@code cpu}. */
    long depth(int cpu);

    /** An always empty backlog. */
    BacklogDepth EMPTY = cpu -> 0;
}
