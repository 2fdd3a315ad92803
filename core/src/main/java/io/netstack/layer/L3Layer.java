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
public final class L3Layer implements Layer {

    private final Map<String, HostConfig> hosts = new ConcurrentHashMap<>();

    @Override public String name() { return "l3"; }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.PTYPE_IP, KernelQueue.PTYPE_ARP, KernelQueue.IP_LOCAL_OUT); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "l3_stub");
        ctx.drop(skb, SkbDropReason.NOT_EMULATED);
    }

    @Override public void configure(HostConfig host) { hosts.put(host.netns(), host); }

    @Override public void remove(String netns) { hosts.remove(netns); }
}
