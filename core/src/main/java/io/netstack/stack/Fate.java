package io.netstack.stack;

import io.netstack.skb.SkbDropReason;

/** How an skb's life ended: written once per skb (DESIGN.md principle 3). */
public sealed interface Fate {

    /** The kernel function that decided it. */
    String function();

    /** Queued to a socket (sock_queue_rcv_skb). */
    record Delivered(String function, String socket, String peer, byte[] payload) implements Fate {}

    /** Left a NIC (ndo_start_xmit). */
    record Transmitted(String function, String dev, byte[] frame) implements Fate {}

    /** kfree_skb_reason. */
    record Dropped(String function, SkbDropReason reason) implements Fate {}

    /** consume_skb: the stack used it up (an answered echo, a fragment merged into its datagram). */
    record Consumed(String function) implements Fate {}
}
