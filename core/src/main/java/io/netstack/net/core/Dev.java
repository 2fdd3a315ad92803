package io.netstack.net.core;

import io.netstack.config.HostConfig;
import io.netstack.net.ethernet.Eth;
import io.netstack.net.ipv6.Ip6Input;
import io.netstack.net.sched.PfifoFast;
import io.netstack.net.sched.SchGeneric;
import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stats.LinkStat;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.VlanHeader;

/**
 * net/core/dev.c: the device-independent receive path (netif_rx, the backlog,
 * __netif_receive_skb_core and its dispatch by protocol) and transmit path
 * (__dev_queue_xmit, dev_hard_start_xmit).
 *
 * <p>The NIC layer uses the receive entry ({@link #devForwardSkb}, {@link #netifRx}); the
 * softirq layer the rest. Each passes the state it owns: the per-CPU softnet statistics,
 * the taps (ptype_all), and the qdiscs.
 */
public final class Dev {

    public static final int NET_RX_SUCCESS = 0;
    public static final int NET_RX_DROP = 1;
    public static final int NET_XMIT_SUCCESS = 0;
    public static final int NET_XMIT_DROP = 1;

    private final SoftnetData softnet;
    private final PacketTaps taps;
    private final SchGeneric sched;

    public Dev(SoftnetData softnet, PacketTaps taps, SchGeneric sched) {
        this.softnet = softnet;
        this.taps = taps;
        this.sched = sched;
    }

    public SoftnetData softnet() { return softnet; }

    public PacketTaps taps() { return taps; }

    public SchGeneric sched() { return sched; }

    // --- receive: the driver's half -----------------------------------------------------------

    /**
     * __dev_forward_skb2 / ____dev_forward_skb, net/core/dev.c: what veth runs on the peer's
     * frame before netif_rx.
     *
     * <ol>
     * <li>__is_skb_forwardable: the device is up (it exists: the caller checked) and the frame
     *     fits dev->mtu + hard_header_len + VLAN_HLEN; else dev_core_stats_rx_dropped_inc
     *     and kfree_skb (SKB_DROP_REASON_NOT_SPECIFIED: no reason is given there).
     * <li>skb_scrub_packet, skb->priority = 0: nothing of the sender's metadata survives.
     * <li>skb->protocol = eth_type_trans(skb, dev).
     * </ol>
     *
     * @return false when the skb was dropped
     */
    public boolean devForwardSkb(SkBuff skb, HostConfig.Interface dev, LayerContext ctx) {
        ctx.trace(skb, "__dev_forward_skb");
        // 1.
        if (skb.len() > dev.mtu() + EthernetHeader.LENGTH + VlanHeader.LENGTH) {
            ctx.linkStat(skb.netns(), dev.name(), LinkStat.rx_dropped, 1);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return false;
        }
        // 2.
        skb.setMark(0);
        skb.setPriority(0);
        // 3.
        ctx.trace(skb, "eth_type_trans");
        skb.setProtocol(Eth.ethTypeTrans(skb, dev));
        return true;
    }

    /**
     * netif_rx / netif_rx_internal, net/core/dev.c: queues the skb to the backlog of
     * {@code cpu} (RPS's choice, get_rps_cpu; here the emulated RSS's).
     */
    public int netifRx(SkBuff skb, int cpu, int maxBacklog, BacklogDepth depth, LayerContext ctx) {
        ctx.trace(skb, "netif_rx");
        return enqueueToBacklog(skb, cpu, maxBacklog, depth, ctx);
    }

    /**
     * enqueue_to_backlog, net/core/dev.c.
     *
     * <ol>
     * <li>(netif_running: the device exists and is up; the caller checked.)
     * <li>qlen &gt; netdev_max_backlog: sd->dropped++, dev_core_stats_rx_dropped_inc
     *     (rx_dropped), kfree_skb_reason(SKB_DROP_REASON_CPU_BACKLOG). The test is
     *     "greater than", so a backlog holds up to netdev_max_backlog + 1 skbs.
     *     (skb_flow_limit applies only to CPUs in net.core.flow_limit_cpu_bitmap, empty by default.)
     * <li>Else onto sd->input_pkt_queue: the BACKLOG queue, partition {@code skb.cpu()}.
     * </ol>
     */
    public int enqueueToBacklog(SkBuff skb, int cpu, int maxBacklog, BacklogDepth depth, LayerContext ctx) {
        ctx.trace(skb, "enqueue_to_backlog");
        // 2.
        long qlen = depth.depth(cpu);
        if (qlen > maxBacklog) {
            softnet.incDropped(cpu);
            ctx.linkStat(skb.netns(), skb.dev(), LinkStat.rx_dropped, 1);
            ctx.drop(skb, SkbDropReason.CPU_BACKLOG);
            return NET_RX_DROP;
        }
        // 3.
        ctx.enqueue(KernelQueue.BACKLOG, skb);
        return NET_RX_SUCCESS;
    }

    // --- receive: NET_RX softirq -------------------------------------------------------------

    /** process_backlog, net/core/dev.c: the backlog's NAPI poll, one skb into __netif_receive_skb. */
    public void processBacklog(SkBuff skb, HostConfig host, LayerContext ctx) {
        ctx.trace(skb, "process_backlog");
        ctx.trace(skb, "__netif_receive_skb");
        netifReceiveSkbCore(skb, host, ctx);
    }

    /**
     * __netif_receive_skb_core, net/core/dev.c, in the kernel's order:
     *
     * <ol>
     * <li>network header reset to data (transport header too if unset); skb_iif = dev;
     *     sd->processed++.
     * <li>A VLAN TPID as protocol: skb_vlan_untag takes the tag off into the skb.
     * <li>ptype_all: every tap gets the frame (deliver_skb).
     * <li>(No tc ingress, no netfilter ingress.)
     * <li>A tag present: vlan_do_receive finds no VLAN device (the host has none) and
     *     leaves the skb alone. (No rx_handler: no bridge, bond or macvlan.)
     * <li>check_vlan_id: a non-zero VLAN id nobody took makes the frame PACKET_OTHERHOST
     *     (ip_rcv then drops it and counts rx_otherhost_dropped); a priority tag (id 0) in
     *     front of another tag is untagged again and checked again; the tag is cleared.
     * <li>ptype_base by skb->protocol: ETH_P_IP to ip_rcv, ETH_P_ARP to arp_rcv, ETH_P_IPV6
     *     to ipv6_rcv (handled here: IPv6 is disabled).
     * <li>No handler: deliver_exact is only set by an rx_handler returning RX_HANDLER_EXACT
     *     (a bond's inactive slave), so this is rx_dropped, not rx_nohandler, and
     *     SKB_DROP_REASON_UNHANDLED_PROTO.
     * </ol>
     */
    public void netifReceiveSkbCore(SkBuff skb, HostConfig host, LayerContext ctx) {
        ctx.trace(skb, "__netif_receive_skb_core");
        // 1.
        skb.resetNetworkHeader();
        if (skb.transportHeader() < 0) skb.resetTransportHeader();
        skb.setIif(skb.dev());
        softnet.incProcessed(skb.cpu() % softnet.cpus());
        // 2.
        int tci = -1;
        if (Eth.ethTypeVlan(skb.protocol())) {
            ctx.trace(skb, "skb_vlan_untag");
            tci = Skbuff.skbVlanUntag(skb);
            if (tci == Skbuff.UNTAG_FAILED) {
                // skb_vlan_untag frees a tag it cannot pull with kfree_skb: no reason, no counter.
                ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
                return;
            }
        }
        // 3.
        taps.deliverSkb(skb, skb.pktType(), "deliver_skb", ctx);
        // 5. and 6.
        while (tci >= 0) {
            ctx.trace(skb, "vlan_do_receive");
            if ((tci & VlanHeader.VID_MASK) != 0) {
                skb.setPktType(PktType.PACKET_OTHERHOST);
                tci = -1;
            } else if (Eth.ethTypeVlan(skb.protocol())) {
                ctx.trace(skb, "skb_vlan_untag");
                tci = Skbuff.skbVlanUntag(skb);
                if (tci == Skbuff.UNTAG_FAILED) {
                    ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
                    return;
                }
            } else {
                tci = -1; // __vlan_hwaccel_clear_tag: the priority bits are ignored
            }
        }
        // 7.
        int type = skb.protocol();
        if (type == Eth.ETH_P_IP) {
            ctx.enqueue(KernelQueue.PTYPE_IP, skb);
        } else if (type == Eth.ETH_P_ARP) {
            ctx.enqueue(KernelQueue.PTYPE_ARP, skb);
        } else if (type == Eth.ETH_P_IPV6) {
            Ip6Input.ipv6Rcv(skb, host, ctx);
        } else if (type == Eth.ETH_P_802_2) {
            // llc_rcv (net/llc/llc_input.c) is registered for ETH_P_802_2 on the recording
            // kernel (/proc/net/ptype lists it): a frame for no open SAP (or one STP's SAP does
            // not take) is freed with kfree_skb, so there is a handler and no rx_dropped.
            ctx.trace(skb, "llc_rcv");
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
        } else {
            // 8.
            ctx.linkStat(skb.netns(), skb.dev(), LinkStat.rx_dropped, 1);
            ctx.drop(skb, SkbDropReason.UNHANDLED_PROTO);
        }
    }

    // --- transmit ----------------------------------------------------------------------------

    /**
     * __dev_queue_xmit, net/core/dev.c: a finished frame (data at its Ethernet header) to
     * the device's qdisc.
     *
     * <ol>
     * <li>skb_reset_mac_header. The device must exist (the caller looked it up).
     * <li>noqueue (txqueuelen 0): straight to dev_hard_start_xmit.
     * <li>pfifo_fast, empty: TCQ_F_CAN_BYPASS, sch_direct_xmit without enqueueing, as
     *     __dev_xmit_skb does for a lockless qdisc with nothing queued.
     * <li>Else pfifo_fast_enqueue (a full band drops: QDISC_DROP), then qdisc_run.
     * </ol>
     * The sender learns nothing of a qdisc drop here (NET_XMIT_DROP is returned, but the
     * skb crossed a queue to get here: ip_finish_output2 cannot count IpOutDiscards for it).
     */
    public int devQueueXmit(SkBuff skb, HostConfig.Interface dev, LayerContext ctx) {
        ctx.trace(skb, "__dev_queue_xmit");
        // 1.
        skb.resetMacHeader();
        // 2.
        PfifoFast q = sched.qdisc(skb.netns(), dev);
        if (q == null) {
            devHardStartXmit(skb, ctx);
            return NET_XMIT_SUCCESS;
        }
        // 3.
        if (q.isEmpty()) {
            sched.schDirectXmit(q, skb, ctx, this::devHardStartXmit);
            return NET_XMIT_SUCCESS;
        }
        // 4.
        int rc = q.enqueue(skb, ctx);
        sched.qdiscRun(q, ctx, this::devHardStartXmit);
        return rc;
    }

    /**
     * dev_hard_start_xmit / xmit_one, net/core/dev.c: the taps see the frame going out
     * (dev_queue_xmit_nit, PACKET_OUTGOING), then the driver's ndo_start_xmit gets it: the
     * HARD_START_XMIT queue, read by the NIC layer.
     */
    public void devHardStartXmit(SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "dev_hard_start_xmit");
        taps.deliverSkb(skb, PktType.PACKET_OUTGOING, "dev_queue_xmit_nit", ctx);
        ctx.enqueue(KernelQueue.HARD_START_XMIT, skb);
    }
}
