package io.netstack.stack;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;

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

    /** "nic", "softirq", "l3", "l4" or "socket": the layer names of {@link KernelQueue#layer()}. */
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
}
