package io.netstack.layer;

import io.netstack.stack.LayerName;
import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.drivers.Veth;
import io.netstack.net.core.BacklogDepth;
import io.netstack.net.core.Dev;
import io.netstack.net.core.PacketTaps;
import io.netstack.net.core.SoftnetData;
import io.netstack.net.sched.SchGeneric;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import io.netstack.stack.WireFrame;
import io.netstack.stack.WireReceiver;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The driver and the wire: every interface is a veth ({@link Veth}). Receive: a frame from
 * the wire becomes an skb, eth_type_trans classifies it, the flow hash picks a CPU and
 * netif_rx queues it to that CPU's backlog. Transmit: a frame from the qdisc
 * (HARD_START_XMIT) leaves through veth_xmit onto the wire.
 *
 * <p>Not emulated: a hardware MAC filter (veth has none, so IFF_PROMISC changes nothing),
 * GRO/XDP/NAPI on veth (offloads are off), VLAN devices, RPS sysctls.
 */
public final class NicLayer implements Layer, WireReceiver {

    /** The emulated CPUs when none are given. */
    public static final int DEFAULT_CPUS = 4;
    /** NET_SKB_PAD: the headroom a driver reserves in front of a received frame. */
    public static final int NET_SKB_PAD = 64;

    private final Map<String, HostConfig> hosts = new ConcurrentHashMap<>();
    private final SoftnetData softnet;
    private final Veth veth;
    private volatile BacklogDepth backlogDepth = BacklogDepth.EMPTY;

    public NicLayer() { this(DEFAULT_CPUS); }

    /** @param cpus the emulated CPUs, i.e. the backlog partitions flows are spread over */
    public NicLayer(int cpus) {
        this.softnet = new SoftnetData(cpus);
        this.veth = new Veth(new Dev(softnet, new PacketTaps(), new SchGeneric()), cpus);
    }

    @Override public String name() { return LayerName.NIC.id(); }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.HARD_START_XMIT); }

    /** The per-CPU statistics this layer moves (softnet_stat's dropped column). */
    public SoftnetData softnet() { return softnet; }

    public int cpus() { return veth.cpus(); }

    /** Plugs in the depth of each CPU's backlog (the distributed runtime: the consumer lag). */
    public void setBacklogDepth(BacklogDepth depth) { this.backlogDepth = depth; }

    /**
     * A frame on the wire of {@code frame.dev()}: the driver allocates an skb (it enters the
     * stack here), copies the frame in and runs the receive path.
     */
    @Override
    public void receiveFrame(WireFrame frame, LayerContext ctx) {
        byte[] bytes = frame.frame();
        SkBuff skb = ctx.allocSkb(frame.netns(), null, NET_SKB_PAD, bytes.length);
        skb.putData(bytes);
        skb.setDev(frame.dev());
        skb.setIif(frame.dev());
        skb.setTstamp(frame.timeNanos());   // __net_timestamp in netif_rx: the frame's time on the wire
        Optional<HostConfig.Interface> iface = iface(frame.netns(), frame.dev());
        if (iface.isEmpty()) {
            // No such device in this namespace: nothing can receive the frame. The kernel's
            // nearest case is enqueue_to_backlog's !netif_running(skb->dev), which frees the
            // skb with SKB_DROP_REASON_DEV_READY; there is no device whose statistics move.
            ctx.trace(skb, "netif_rx");
            ctx.drop(skb, SkbDropReason.DEV_READY);
            return;
        }
        HostConfig host = hosts.get(frame.netns());
        int maxBacklog = host.sysctl().get(SysctlRegistry.NETDEV_MAX_BACKLOG);
        veth.vethRx(skb, iface.get(), maxBacklog, backlogDepth, ctx);
    }

    /** HARD_START_XMIT: ndo_start_xmit of the skb's device. */
    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        Optional<HostConfig.Interface> iface = iface(skb.netns(), skb.dev());
        if (iface.isEmpty()) {
            // The device went away between the qdisc and the driver: like a device that is
            // not up (DEV_READY); no statistics of a device that does not exist.
            ctx.trace(skb, "dev_hard_start_xmit");
            ctx.drop(skb, SkbDropReason.DEV_READY);
            return;
        }
        veth.vethXmit(skb, iface.get(), ctx);
    }

    private Optional<HostConfig.Interface> iface(String netns, String dev) {
        HostConfig host = hosts.get(netns);
        return host == null ? Optional.empty() : host.iface(dev);
    }

    @Override public void configure(HostConfig host) { hosts.put(host.netns(), host); }

    @Override public void remove(String netns) { hosts.remove(netns); }
}
