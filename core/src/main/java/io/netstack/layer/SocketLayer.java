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
public final class SocketLayer implements Layer {

    private final Map<String, HostConfig> hosts = new ConcurrentHashMap<>();

    @Override public String name() { return "socket"; }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.SK_RECEIVE_QUEUE); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "socket_stub");
        ctx.drop(skb, SkbDropReason.NOT_EMULATED);
    }

    @Override public void configure(HostConfig host) { hosts.put(host.netns(), host); }

    @Override public void remove(String netns) { hosts.remove(netns); }
}
