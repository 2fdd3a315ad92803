package io.netstack.layer;

import io.netstack.stack.LayerName;
import io.netstack.config.HostConfig;
import io.netstack.net.core.Neighbour;
import io.netstack.net.ipv4.Arp;
import io.netstack.net.ipv4.Fib;
import io.netstack.net.netfilter.IpTables;
import io.netstack.net.netfilter.NfConntrack;
import io.netstack.state.StateCodec;
import io.netstack.net.ipv4.IpForward;
import io.netstack.net.ipv4.IpInput;
import io.netstack.net.ipv4.IpOutput;
import io.netstack.net.ipv4.L3Host;
import io.netstack.net.netfilter.Netfilter;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The network layer: ARP and neighbours, IPv4 input, routing, forwarding, reassembly,
 * output and fragmentation, with the netfilter hooks where the kernel calls them.
 *
 * <pre>
 *   PTYPE_ARP    -> arp_rcv -> arp_process -> (reply) DEV_QUEUE_XMIT
 *   PTYPE_IP     -> ip_rcv -> [PRE_ROUTING] -> ip_rcv_finish -> ip_local_deliver -> [LOCAL_IN] -> INET_PROTO_*
 *                                                           \-> ip_forward -> [FORWARD] -> ip_output
 *   IP_LOCAL_OUT -> ip_queue_xmit -> __ip_local_out -> [LOCAL_OUT] -> ip_output -> [POST_ROUTING]
 *                -> ip_finish_output (ip_fragment) -> ip_finish_output2 -> neigh_output -> DEV_QUEUE_XMIT
 * </pre>
 */
public final class L3Layer implements Layer {

    private final Netfilter nf;
    private final IpOutput out;
    private final IpForward fwd;
    private final IpInput in;
    private final Arp arp = new Arp();
    private final Map<String, L3Host> hosts = new ConcurrentHashMap<>();

    public L3Layer() {
        this(Netfilter.acceptAll());
    }

    public L3Layer(Netfilter nf) {
        this.nf = nf;
        this.out = new IpOutput(nf);
        this.fwd = new IpForward(out);
        this.in = new IpInput(out, fwd);
        // loopback_xmit -> netif_rx -> ip_rcv: a packet routed to one of our own addresses.
        this.out.setLoopbackRcv(in::ipRcv);
    }

    @Override public String name() { return LayerName.L3.id(); }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.PTYPE_IP, KernelQueue.PTYPE_ARP, KernelQueue.IP_LOCAL_OUT); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        L3Host h = hosts.get(skb.netns());
        if (h == null) {
            ctx.trace(skb, "l3_no_host");
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        switch (queue) {
            case PTYPE_IP: in.ipRcv(h, skb, ctx); break;
            case PTYPE_ARP: arp.arpRcv(h, skb, ctx); break;
            case IP_LOCAL_OUT: out.ipQueueXmit(h, skb, ctx); break;
            default:
                ctx.trace(skb, "l3");
                ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
        }
    }

    @Override
    public void configure(HostConfig host) {
        // Parse the firewall first: a ruleset that does not load leaves the host as it was.
        nf.configure(host);
        L3Host h = hosts.get(host.netns());
        if (h == null) {
            hosts.put(host.netns(), new L3Host(host, this::neighOps));
        } else {
            // A change of a running host (ip route/neigh/addr, sysctl -w, iptables): its
            // neighbours, reassembly queues and conntrack entries stay, as in Linux.
            h.reconfigure(host);
        }
    }

    @Override
    public void remove(String netns) {
        hosts.remove(netns);
        nf.remove(netns);
    }

    /** Neighbour and reassembly timers. */
    @Override
    public void tick(LayerContext ctx) {
        for (L3Host h : hosts.values()) {
            h.neigh().tick(ctx);
            h.frags().tick(ctx, out);
        }
    }

    /**
     * The host's L3Host (neighbours, fragment queues, ICMP rate limits, IP ID) and, when the
     * netfilter is iptables, its conntrack table and whether tracking is on.
     */
    @Override
    public byte[] snapshot(String netns) {
        L3Host h = hosts.get(netns);
        if (h == null) return null;
        Object[] state = {h, nf instanceof IpTables t ? t.conntrack(netns) : null,
                nf instanceof IpTables t2 && t2.tracking(netns)};
        return StateCodec.write(state, o -> o instanceof Fib ? "fib" : o instanceof Neighbour.Ops ? "ops" : null);
    }

    @Override
    public void restore(String netns, byte[] state) {
        L3Host current = hosts.get(netns);
        if (current == null) return;
        HostConfig cfg = current.config();
        L3Host fresh = new L3Host(cfg, this::neighOps);
        if (state == null) {
            hosts.put(netns, fresh);
            if (nf instanceof IpTables t) t.restoreConntrack(netns, null, false);
            return;
        }
        DeferredOps ops = new DeferredOps();
        Object[] s = (Object[]) StateCodec.read(state, java.util.Map.of("config", cfg, "sysctl", cfg.sysctl(),
                "fib", fresh.fib(), "ops", ops));
        L3Host restored = (L3Host) s[0];
        ops.target = neighOps(restored);
        hosts.put(netns, restored);
        if (nf instanceof IpTables t) t.restoreConntrack(netns, (NfConntrack) s[1], (Boolean) s[2]);
    }

    /** The neighbour callbacks of a restored host, bound once the host object exists. */
    private static final class DeferredOps implements Neighbour.Ops {
        Neighbour.Ops target;

        @Override public void solicit(Neighbour.Entry n, SkBuff lastQueued, LayerContext ctx) { target.solicit(n, lastQueued, ctx); }
        @Override public void errorReport(Neighbour.Entry n, SkBuff skb, LayerContext ctx) { target.errorReport(n, skb, ctx); }
        @Override public void xmit(SkBuff frame, LayerContext ctx) { target.xmit(frame, ctx); }
        @Override public int addrType(int ip, String dev) { return target.addrType(ip, dev); }
    }

    /** The netfilter hooks (IpTables in the services: rule counters, conntrack), for diagnostics. */
    public Netfilter netfilter() { return nf; }

    /** The host's state, for tests and diagnostics. */
    public L3Host host(String netns) { return hosts.get(netns); }

    private Neighbour.Ops neighOps(L3Host h) {
        return new Neighbour.Ops() {
            @Override public void solicit(Neighbour.Entry n, SkBuff lastQueued, LayerContext ctx) {
                arp.arpSolicit(h, n, lastQueued, ctx);
            }

            @Override public void errorReport(Neighbour.Entry n, SkBuff skb, LayerContext ctx) {
                // arp_error_report -> dst_link_failure -> ipv4_link_failure: host unreachable.
                ctx.trace(skb, "arp_error_report");
                out.icmpSend(h, skb, IpInput.ICMP_DEST_UNREACH, IpInput.ICMP_HOST_UNREACH, 0, ctx);
                ctx.drop(skb, SkbDropReason.NEIGH_FAILED);
            }

            @Override public void xmit(SkBuff frame, LayerContext ctx) {
                ctx.trace(frame, "dev_queue_xmit");
                ctx.enqueue(KernelQueue.DEV_QUEUE_XMIT, frame);
            }

            @Override public int addrType(int ip, String dev) {
                return h.fib().inetAddrType(ip, dev);
            }
        };
    }
}
