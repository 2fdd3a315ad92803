package io.netstack.net.core;

import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.stack.LayerContext;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * ptype_all per host (net->ptype_all, dev_add_pack with ETH_P_ALL): the taps that see every
 * frame of a network namespace, on receive in __netif_receive_skb_core and on transmit in
 * dev_queue_xmit_nit.
 */
public final class PacketTaps {

    private final Map<String, List<PacketTap>> byNetns = new ConcurrentHashMap<>();

    /** dev_add_pack(ETH_P_ALL) */
    public void register(String netns, PacketTap tap) {
        byNetns.computeIfAbsent(netns, n -> new CopyOnWriteArrayList<>()).add(tap);
    }

    /** dev_remove_pack */
    public void unregister(String netns, PacketTap tap) {
        List<PacketTap> l = byNetns.get(netns);
        if (l != null) l.remove(tap);
    }

    /** Forgets every tap of a host (the namespace went away). */
    public void remove(String netns) { byNetns.remove(netns); }

    public boolean any(String netns) {
        List<PacketTap> l = byNetns.get(netns);
        return l != null && !l.isEmpty();
    }

    /**
     * deliver_skb, net/core/dev.c: hands every tap of the skb's host the frame from its MAC
     * header to its tail, with {@code pktType} (the skb's on receive, PACKET_OUTGOING on
     * transmit). Traced once per tap, as each tap is one deliver_skb call.
     */
    public void deliverSkb(SkBuff skb, PktType pktType, String function, LayerContext ctx) {
        List<PacketTap> l = byNetns.get(skb.netns());
        if (l == null || l.isEmpty()) return;
        int from = skb.macHeader() >= 0 ? skb.macHeader() : skb.data();
        byte[] frame = skb.bytes(from, skb.tail());
        for (PacketTap tap : l) {
            ctx.trace(skb, function);
            tap.packetRcv(skb.netns(), skb.dev(), pktType, frame.clone(), ctx.nowNanos());
        }
    }
}
