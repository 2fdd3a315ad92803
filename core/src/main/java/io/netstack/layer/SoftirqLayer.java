package io.netstack.layer;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** STUB: drops everything as not emulated, until the layer's work lands. */
public final class SoftirqLayer implements Layer {

    private final Map<String, HostConfig> hosts = new ConcurrentHashMap<>();

    @Override public String name() { return "softirq"; }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.BACKLOG, KernelQueue.DEV_QUEUE_XMIT); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "softirq_stub");
        ctx.drop(skb, SkbDropReason.NOT_EMULATED);
    }

    @Override public void configure(HostConfig host) { hosts.put(host.netns(), host); }

    @Override public void remove(String netns) { hosts.remove(netns); }
}
