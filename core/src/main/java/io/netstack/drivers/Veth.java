package io.netstack.drivers;

import io.netstack.config.HostConfig;
import io.netstack.net.core.BacklogDepth;
import io.netstack.net.core.Dev;
import io.netstack.net.core.FlowDissector;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;
import io.netstack.stats.LinkStat;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.VlanHeader;

/**
 * drivers/net/veth.c: the NIC of every emulated interface. Each interface is one end of a
 * veth pair; the wire (a pcap, a live wire) is the other end. A frame "arriving" is the
 * peer's veth_xmit forwarding it into this device; a frame leaving is this device's
 * veth_xmit. Offloads are off (no GRO, no XDP), so veth takes the netif_rx path, not NAPI.
 *
 * <p>Link statistics as veth_get_stats64 reports them: rx_packets / rx_bytes are the peer's
 * tx counters, which move once netif_rx accepted the frame, whatever the stack does with it
 * later; tx_packets / tx_bytes are this device's, moved when the peer accepted the frame.
 */
public final class Veth {

    private final Dev dev;
    private final int cpus;

    /**
     * @param cpus the emulated CPUs (backlog partitions) the flow hash spreads frames over
     */
    public Veth(Dev dev, int cpus) {
        if (cpus < 1) throw new IllegalArgumentException("cpus " + cpus);
        this.dev = dev;
        this.cpus = cpus;
    }

    public int cpus() { return cpus; }

    /**
     * The receive path of one frame: veth_xmit on the peer, veth_forward_skb,
     * __dev_forward_skb, eth_type_trans, netif_rx.
     *
     * <ol>
     * <li>Shorter than ETH_HLEN. Linux never lets such a frame onto a veth: AF_PACKET
     *     refuses it (dev_validate_header, min_header_len = ETH_HLEN) and the peer's
     *     veth_xmit frees it if it got one (!pskb_may_pull(skb, ETH_HLEN)). A pcap or live
     *     wire can still hold one, and a real NIC discards a runt in its MAC and reports it in
     *     rx_length_errors, which rx_errors includes (include/uapi/linux/if_link.h); that is
     *     what is counted, with SKB_DROP_REASON_PKT_TOO_SMALL. rx_packets does not move
     *     ("good packets received").
     * <li>__dev_forward_skb: the MTU check and eth_type_trans ({@link Dev#devForwardSkb}).
     * <li>The flow hash (skb_get_hash) and the CPU it selects (RPS's get_rps_cpu; veth has
     *     no RSS, the emulation spreads flows over {@link #cpus} backlogs by it).
     * <li>netif_rx: enqueue_to_backlog, which may drop (CPU_BACKLOG).
     * <li>Accepted: the peer counts tx, which this device reports as rx_packets / rx_bytes
     *     over the whole frame.
     * </ol>
     */
    public void vethRx(SkBuff skb, HostConfig.Interface iface, int maxBacklog, BacklogDepth depth, LayerContext ctx) {
        ctx.trace(skb, "veth_xmit");
        String netns = skb.netns();
        int frameLen = skb.len();
        // 1.
        if (frameLen < EthernetHeader.LENGTH) {
            ctx.linkStat(netns, iface.name(), LinkStat.rx_length_errors, 1);
            ctx.linkStat(netns, iface.name(), LinkStat.rx_errors, 1);
            ctx.drop(skb, SkbDropReason.PKT_TOO_SMALL);
            return;
        }
        // 2.
        ctx.trace(skb, "veth_forward_skb");
        if (!dev.devForwardSkb(skb, iface, ctx)) return;
        // 3.
        int hash = FlowDissector.skbGetHash(skb);
        skb.setHash(hash);
        skb.setCpu(rxCpu(hash));
        // 4.
        if (dev.netifRx(skb, skb.cpu(), maxBacklog, depth, ctx) != Dev.NET_RX_SUCCESS) return;
        // 5.
        ctx.linkStat(netns, iface.name(), LinkStat.rx_packets, 1);
        ctx.linkStat(netns, iface.name(), LinkStat.rx_bytes, frameLen);
    }

    /** The CPU a flow hash selects: hash mod the number of CPUs (an RSS indirection table of one entry per CPU). */
    public int rxCpu(int hash) { return Integer.remainderUnsigned(hash, cpus); }

    /**
     * veth_xmit, drivers/net/veth.c: the frame (data at its Ethernet header) leaves onto the
     * wire, i.e. into the peer.
     *
     * <ol>
     * <li>!pskb_may_pull(skb, ETH_HLEN): freed, priv->dropped++ (this device's tx_dropped).
     * <li>The peer's __dev_forward_skb refuses a frame over its mtu + ETH_HLEN + VLAN_HLEN
     *     (the peer has this device's MTU); veth_forward_skb fails and this device counts
     *     tx_dropped.
     * <li>Sent: dev_sw_netstats_tx_add(dev, 1, skb->len): tx_packets, tx_bytes over the whole
     *     frame. veth pads nothing: a 54-byte TCP RST leaves as 54 bytes.
     * </ol>
     */
    public void vethXmit(SkBuff skb, HostConfig.Interface iface, LayerContext ctx) {
        ctx.trace(skb, "veth_xmit");
        String netns = skb.netns();
        // 1. and 2.
        if (skb.len() < EthernetHeader.LENGTH || skb.len() > iface.mtu() + EthernetHeader.LENGTH + VlanHeader.LENGTH) {
            ctx.linkStat(netns, iface.name(), LinkStat.tx_dropped, 1);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        // 3.
        ctx.linkStat(netns, iface.name(), LinkStat.tx_packets, 1);
        ctx.linkStat(netns, iface.name(), LinkStat.tx_bytes, skb.len());
        ctx.transmit(skb, iface.name(), skb.dataBytes());
    }
}
