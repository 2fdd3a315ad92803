package io.netstack.stack;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;

import java.util.Map;
import java.util.Set;

/**
 * One layer of the stack as plain Java: a function of (skb, the layer's state, the host's
 * configuration) to what happens next, told through the {@link LayerContext}. A service
 * wires a layer to its topics; the in-process stack wires all five to FIFOs.
 *
 * <p>A layer keeps its state per network namespace ({@link SkBuff#netns()}), created by
 * {@link #configure} and removed by {@link #remove}.
 */
public interface Layer {

    /** The layer's {@link LayerName#id()}: "nic", "softirq", "l3", "l4" or "socket". */
    String name();

    /** The queues this layer reads. */
    Set<KernelQueue> inputs();

    /** Handles one skb taken from {@code queue}. Never throws for a packet; bad packets are dropped with a reason. */
    void receive(KernelQueue queue, SkBuff skb, LayerContext ctx);

    /** Installs or replaces a host's configuration (netlink: the host's interfaces, routes, sysctls...). */
    void configure(HostConfig host);

    /** Forgets a host and all its state. */
    void remove(String netns);

    /** Runs the timers that are due at {@link LayerContext#nowNanos()} (neighbour, reassembly, TCP). */
    default void tick(LayerContext ctx) {}

    /**
     * What this layer has learned about a host (neighbours, fragment queues, conntrack, TCP
     * control blocks, socket queues), as bytes that {@link #restore} reads back into a fresh
     * instance of the layer; null when the layer keeps no state for hosts (or does not know
     * the host). The configuration is not part of it: the restoring layer has its own.
     */
    default byte[] snapshot(String netns) { return null; }

    /**
     * Replaces a configured host's state by a {@link #snapshot} (the instance that takes over
     * the host's partition after a crash), or, with null, by the fresh state its configuration
     * makes (the instance that gave the partition up: it must not act on state it no longer owns).
     */
    default void restore(String netns, byte[] state) {}

    /*
     * Objects: what grows with traffic (a socket's receive queue) is kept as objects of their
     * own beside the snapshot, so a runtime writes only the objects that changed.
     */

    /**
     * From now on, record which objects change, for {@link #takeObjectChanges}: a runtime that
     * writes them to a changelog asks once; an in-process stack does not, and keeps no record.
     */
    default void keepObjectJournal() {}

    /** The host's objects written (key to bytes) or removed (key to null) since the last call. */
    default Map<String, byte[]> takeObjectChanges(String netns) { return Map.of(); }

    /** Every object of the host as it is now (a full copy: tests, an in-process restart). */
    default Map<String, byte[]> objects(String netns) { return Map.of(); }

    /**
     * {@link #restore(String, byte[])} with the host's objects as the changelog holds them; the
     * objects no part of the restored state claims are recorded as removed.
     */
    default void restore(String netns, byte[] state, Map<String, byte[]> objects) { restore(netns, state); }
}
