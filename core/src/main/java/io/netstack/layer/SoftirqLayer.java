package io.netstack.layer;

import io.netstack.stack.LayerName;
import io.netstack.config.HostConfig;
import io.netstack.net.core.Dev;
import io.netstack.net.core.PacketTaps;
import io.netstack.net.core.SoftnetData;
import io.netstack.net.sched.SchGeneric;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The NET_RX and NET_TX softirqs. From the backlog: process_backlog,
 * __netif_receive_skb_core (taps, VLAN, dispatch by EtherType to PTYPE_IP / PTYPE_ARP, or a
 * drop). From dev_queue_xmit: the qdisc (pfifo_fast) and dev_hard_start_xmit to the driver.
 *
 * <p>Not emulated: GRO, RPS/RFS steering (the NIC layer picked the CPU), tc ingress/egress
 * filters, netfilter ingress/egress, rx_handlers (bridge, bond, macvlan), VLAN devices,
 * IPv6 beyond its disabled drop, the NET_TX reschedule after dev_tx_weight packets.
 */
public final class SoftirqLayer implements Layer {

    private final Map<String, HostConfig> hosts = new ConcurrentHashMap<>();
    private final PacketTaps taps = new PacketTaps();
    private final SchGeneric sched = new SchGeneric();
    private final SoftnetData softnet;
    private final Dev dev;

    public SoftirqLayer() { this(NicLayer.DEFAULT_CPUS); }

    /** @param cpus the emulated CPUs (as many as the NIC layer spreads over) */
    public SoftirqLayer(int cpus) {
        this.softnet = new SoftnetData(cpus);
        this.dev = new Dev(softnet, taps, sched);
    }

    @Override public String name() { return LayerName.SOFTIRQ.id(); }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.BACKLOG, KernelQueue.DEV_QUEUE_XMIT); }

    /** ptype_all of every host: register a tap here to see every frame received and sent. */
    public PacketTaps taps() { return taps; }

    /** The qdiscs (statistics; the transmit queue depth function). */
    public SchGeneric sched() { return sched; }

    /** The per-CPU statistics this layer moves (softnet_stat's processed column). */
    public SoftnetData softnet() { return softnet; }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        HostConfig host = hosts.get(skb.netns());
        if (queue == KernelQueue.BACKLOG) {
            if (host == null) {
                // The host went away with the skb on its backlog: flush_backlog, run when a
                // device unregisters, frees its skbs with SKB_DROP_REASON_DEV_READY.
                ctx.trace(skb, "process_backlog");
                ctx.drop(skb, SkbDropReason.DEV_READY);
                return;
            }
            dev.processBacklog(skb, host, ctx);
            return;
        }
        Optional<HostConfig.Interface> iface = host == null ? Optional.empty() : host.iface(skb.dev());
        if (iface.isEmpty()) {
            // No such output device: __dev_queue_xmit's "device is down" case (the kernel
            // cannot name a device that does not exist); DEV_READY, no statistics.
            ctx.trace(skb, "__dev_queue_xmit");
            ctx.drop(skb, SkbDropReason.DEV_READY);
            return;
        }
        dev.devQueueXmit(skb, iface.get(), ctx);
    }

    @Override public void configure(HostConfig host) { hosts.put(host.netns(), host); }

    @Override
    public void remove(String netns) {
        hosts.remove(netns);
        taps.remove(netns);
        sched.remove(netns);
    }
}
