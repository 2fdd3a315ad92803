package io.netstack.layer;

import io.netstack.stack.LayerName;
import io.netstack.config.HostConfig;
import io.netstack.net.ipv4.Icmp;
import io.netstack.net.ipv4.TcpIpv4;
import io.netstack.net.ipv4.Udp;
import io.netstack.skb.SkBuff;
import io.netstack.state.ObjectJournal;
import io.netstack.state.ObjectJournals;
import io.netstack.state.StateCodec;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The transport layer: the handlers of inet_protos (icmp_rcv, udp_rcv, tcp_v4_rcv) for each
 * host, with their per-host state (ICMP rate limits, TCP request socks).
 *
 * <p>Emulated: see {@link Icmp}, {@link Udp}, {@link TcpIpv4} (with TcpInput, TcpOutput,
 * TcpTimer, TcpMinisocks). SK_SENDMSG carries what sockets send: udp_sendmsg, and the TCP
 * requests of {@link io.netstack.skb.ControlBlock#sockOp}.
 */
public final class L4Layer implements Layer {

    /** One host's transport state. */
    public record Host(HostConfig config, Icmp icmp, Udp udp, TcpIpv4 tcp) {}

    private final Map<String, Host> hosts = new ConcurrentHashMap<>();

    @Override public String name() { return LayerName.L4.id(); }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.INET_PROTO_ICMP, KernelQueue.INET_PROTO_UDP, KernelQueue.INET_PROTO_TCP, KernelQueue.SK_SENDMSG); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        Host h = hosts.get(skb.netns());
        if (h == null) {
            ctx.trace(skb, "l4_no_host");
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        switch (queue) {
            case INET_PROTO_ICMP:
                h.icmp().icmpRcv(ctx, skb);
                return;
            case INET_PROTO_UDP:
                h.udp().udpRcv(ctx, skb);
                return;
            case INET_PROTO_TCP:
                h.tcp().tcpV4Rcv(ctx, skb);
                return;
            default:
                // SK_SENDMSG: udp_sendmsg or the TCP requests, by the socket's protocol.
                io.netstack.skb.SockProto proto = skb.cb().socketProto();
                if (proto == io.netstack.skb.SockProto.UDP) {
                    h.udp().udpSendmsg(ctx, skb);
                } else if (proto == io.netstack.skb.SockProto.TCP) {
                    h.tcp().tcpSendmsg(ctx, skb);
                } else {
                    ctx.trace(skb, "sendmsg");
                    ctx.drop(skb, SkbDropReason.NO_SOCKET);
                }
        }
    }

    /** The TCP timers (tcp_timer.c) and SYN-ACK timers of every host that are due now. */
    @Override
    public void tick(LayerContext ctx) {
        for (Host h : hosts.values()) h.tcp().tick(ctx);
    }

    /** The state of one host, for tests and the services' inspection; null if unknown. */
    public Host host(String netns) { return hosts.get(netns); }

    @Override
    public void configure(HostConfig host) {
        Host old = hosts.get(host.netns());
        if (old == null) {
            Icmp icmp = new Icmp(host);
            TcpIpv4 tcp = new TcpIpv4(host);
            tcp.journal(journals.of(host.netns()));
            hosts.put(host.netns(), new Host(host, icmp, new Udp(host, icmp), tcp));
            return;
        }
        // A change of a running host (sysctl -w, ip route, iptables...): connections, request
        // socks, API-bound sockets and rate-limit buckets stay, as they do in Linux; only
        // host.yaml's own sockets follow the new text.
        old.icmp().reconfigure(host);
        old.udp().reconfigure(host);
        old.tcp().reconfigure(host);
        hosts.put(host.netns(), new Host(host, old.icmp(), old.udp(), old.tcp()));
    }

    @Override public void remove(String netns) {
        hosts.remove(netns);
        journals.forget(netns);
    }

    /**
     * The host's ICMP rate limits, UDP and TCP state (listeners, request socks, every TCP control
     * block with its retransmit and out-of-order queues); the send buffers' bytes are objects.
     */
    @Override
    public byte[] snapshot(String netns) {
        Host h = hosts.get(netns);
        if (h == null) return null;
        return StateCodec.write(new Object[] {h.icmp(), h.udp(), h.tcp()}, o -> null);
    }

    // ---- objects: the TCP send buffers' chunks ----

    private final ObjectJournals journals = new ObjectJournals();

    @Override public void keepObjectJournal() { journals.keep(); }

    @Override public Map<String, byte[]> takeObjectChanges(String netns) { return journals.take(netns); }

    @Override
    public Map<String, byte[]> objects(String netns) {
        Map<String, byte[]> objects = new java.util.LinkedHashMap<>();
        Host h = hosts.get(netns);
        if (h != null) h.tcp().objects(objects);
        return objects;
    }

    @Override
    public void restore(String netns, byte[] state) {
        restore(netns, state, Map.of());
    }

    @Override
    public void restore(String netns, byte[] state, Map<String, byte[]> objects) {
        Host current = hosts.get(netns);
        if (current == null) return;
        HostConfig cfg = current.config();
        ObjectJournal journal = journals.reset(netns);
        Map<String, byte[]> unclaimed = new java.util.HashMap<>(objects);
        if (state == null) {
            // Fresh state, as the configuration alone makes it (configure() of a known host keeps state).
            hosts.remove(netns);
            configure(cfg);
        } else {
            Object[] s = (Object[]) StateCodec.read(state, java.util.Map.of("config", cfg, "sysctl", cfg.sysctl()));
            TcpIpv4 tcp = (TcpIpv4) s[2];
            tcp.restoreObjects(unclaimed, journal);
            hosts.put(netns, new Host(cfg, (Icmp) s[0], (Udp) s[1], tcp));
        }
        // Objects of connections that are gone (closed before a crash wrote their removal).
        journals.removeUnclaimed(netns, unclaimed.keySet());
    }
}
