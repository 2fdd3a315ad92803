package io.netstack.layer;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import io.netstack.stack.WireFrame;
import io.netstack.stack.WireReceiver;
import io.netstack.stats.LinkStat;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The driver and the wire (STUB: replaced by the link-layer work). */
public final class NicLayer implements Layer, WireReceiver {

    private final Map<String, HostConfig> hosts = new ConcurrentHashMap<>();

    @Override public String name() { return "nic"; }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.HARD_START_XMIT); }

    @Override
    public void receiveFrame(WireFrame frame, LayerContext ctx) {
        SkBuff skb = ctx.allocSkb(frame.netns(), null, 0, frame.frame().length);
        skb.putData(frame.frame());
        skb.setDev(frame.dev());
        ctx.trace(skb, "netif_rx");
        ctx.linkStat(frame.netns(), frame.dev(), LinkStat.rx_packets, 1);
        ctx.linkStat(frame.netns(), frame.dev(), LinkStat.rx_bytes, frame.frame().length);
        ctx.enqueue(KernelQueue.BACKLOG, skb);
    }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "dev_hard_start_xmit");
        ctx.linkStat(skb.netns(), skb.dev(), LinkStat.tx_packets, 1);
        ctx.linkStat(skb.netns(), skb.dev(), LinkStat.tx_bytes, skb.len());
        ctx.transmit(skb, skb.dev(), skb.dataBytes());
    }

    @Override public void configure(HostConfig host) { hosts.put(host.netns(), host); }

    @Override public void remove(String netns) { hosts.remove(netns); }
}
