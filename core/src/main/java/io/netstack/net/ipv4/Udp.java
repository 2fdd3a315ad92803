package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.IcmpHeader;
import io.netstack.wire.Ipv4Header;
import io.netstack.wire.UdpHeader;

import java.util.ArrayList;
import java.util.List;

/**
 * net/ipv4/udp.c for one host, receive side: udp_rcv / __udp4_lib_rcv, the socket lookup,
 * broadcast and multicast delivery, and port unreachable.
 *
 * <p>Where the checksum is verified: Linux checks a short datagram (up to CHECKSUM_BREAK, 76
 * bytes) in udp4_csum_init, a longer one only when no socket wants it, or else in recvmsg
 * (UdpInCsumErrors + UdpInErrors there). The counters are the same in every case, so this
 * checks before queueing: a bad datagram never takes receive-buffer room here (it would,
 * until read, in Linux).
 */
public final class Udp implements java.io.Serializable {

    private volatile HostConfig host;
    private final Icmp icmp;
    /** Sockets bound through the socket API (SOCK_OP_BIND), beside host.yaml's. */
    private final List<HostConfig.SocketSpec> bound = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Udp(HostConfig host, Icmp icmp) {
        this.host = host;
        this.icmp = icmp;
    }

    /** A configuration change: host.yaml's sockets are read anew, sockets bound through the API stay. */
    public void reconfigure(HostConfig next) { this.host = next; }

    /**
     * __udp4_lib_rcv, net/ipv4/udp.c. Data at the UDP header, network_header at the IPv4 header.
     */
    public void udpRcv(LayerContext ctx, SkBuff skb) {
        ctx.trace(skb, "udp_rcv");
        // 1. pskb_may_pull(sizeof(struct udphdr)): no space for the header.
        if (!skb.mayPull(UdpHeader.LEN)) {
            drop(ctx, skb, SkbDropReason.PKT_TOO_SMALL, false);
            return;
        }
        skb.setTransportHeader(skb.data());
        UdpHeader uh = new UdpHeader(skb.head(), skb.data());
        int ulen = uh.length();
        int saddr = Iph.saddr(skb);
        int daddr = Iph.daddr(skb);
        // 2. The length must fit in the packet and cover the header; the rest is trimmed
        //    (pskb_trim_rcsum): bytes past the UDP length are not the datagram's.
        if (ulen > skb.len() || ulen < UdpHeader.LEN) {
            drop(ctx, skb, SkbDropReason.PKT_TOO_SMALL, false);
            return;
        }
        skb.trim(ulen);
        RouteResult rt = skb.cb().route;
        // 3. Broadcast and multicast go to every matching socket.
        if (rt != null && (rt.rtType() == RouteResult.RTN_BROADCAST || rt.rtType() == RouteResult.RTN_MULTICAST)) {
            udp4LibMcastDeliver(ctx, skb, uh, saddr, daddr);
            return;
        }
        // 4. Unicast: the best-scoring socket.
        HostConfig.SocketSpec sk = udp4LibLookup(daddr, uh.dest());
        if (sk != null) {
            udpQueueRcvSkb(ctx, sk, skb, uh, saddr, daddr);
            return;
        }
        // 5. No socket: drop silently if the checksum is wrong (udp_lib_checksum_complete)...
        if (!uh.checksumOk(saddr, daddr, ulen)) {
            drop(ctx, skb, SkbDropReason.UDP_CSUM, true);
            return;
        }
        // 6. ...else port unreachable (RFC 1122 4.1.3.1) and UdpNoPorts.
        ctx.count(skb, Snmp.UdpNoPorts);
        SkBuff err = icmp.icmpSend(ctx, skb, IcmpHeader.ICMP_DEST_UNREACH, IcmpHeader.ICMP_PORT_UNREACH, 0);
        if (err != null) ctx.enqueue(KernelQueue.IP_LOCAL_OUT, err);
        ctx.drop(skb, SkbDropReason.NO_SOCKET);
    }

    /** The csum_error / drop labels of __udp4_lib_rcv: UdpInErrors, and UdpInCsumErrors for a bad sum. */
    private static void drop(LayerContext ctx, SkBuff skb, SkbDropReason reason, boolean csum) {
        if (csum) ctx.count(skb, Snmp.UdpInCsumErrors);
        ctx.count(skb, Snmp.UdpInErrors);
        ctx.drop(skb, reason);
    }

    /**
     * __udp4_lib_lookup / udp4_lib_lookup2 with compute_score: a socket bound to this exact
     * address scores above one bound to INADDR_ANY; the best one wins.
     */
    public HostConfig.SocketSpec udp4LibLookup(int daddr, int dport) {
        HostConfig.SocketSpec best = null;
        int bestScore = -1;
        for (HostConfig.SocketSpec s : all()) {
            if (!"udp".equals(s.proto()) || s.port() != dport) continue;
            int score = 0;
            if (s.addr() != 0) {
                if (s.addr() != daddr) continue;
                score += 4;
            }
            if (score > bestScore) {
                best = s;
                bestScore = score;
            }
        }
        return best;
    }

    /**
     * __udp4_lib_mcast_deliver: a copy to every socket on the port bound to INADDR_ANY or to
     * the destination (__udp_is_mcast_sock; IP_MULTICAST_ALL is on by default, so a wildcard
     * socket takes groups it did not join); none: UdpIgnoredMulti.
     */
    void udp4LibMcastDeliver(LayerContext ctx, SkBuff skb, UdpHeader uh, int saddr, int daddr) {
        ctx.trace(skb, "__udp4_lib_mcast_deliver");
        List<HostConfig.SocketSpec> match = new ArrayList<>();
        for (HostConfig.SocketSpec s : all()) {
            if ("udp".equals(s.proto()) && s.port() == uh.dest() && (s.addr() == 0 || s.addr() == daddr)) {
                match.add(s);
            }
        }
        if (match.isEmpty()) {
            ctx.count(skb, Snmp.UdpIgnoredMulti);
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return;
        }
        // The first socket gets the skb itself, every other one a clone (skb_clone).
        for (int i = 1; i < match.size(); i++) {
            SkBuff nskb = ctx.copySkb(skb);
            udpQueueRcvSkb(ctx, match.get(i), nskb, new UdpHeader(nskb.head(), nskb.transportHeader()), saddr, daddr);
        }
        udpQueueRcvSkb(ctx, match.get(0), skb, uh, saddr, daddr);
    }

    /**
     * udp_queue_rcv_skb / udp_queue_rcv_one_skb: udp_csum_pull_header, then the skb goes to
     * the socket's receive queue, where the socket layer charges it (__udp_enqueue_schedule_skb).
     */
    void udpQueueRcvSkb(LayerContext ctx, HostConfig.SocketSpec sk, SkBuff skb, UdpHeader uh, int saddr, int daddr) {
        ctx.trace(skb, "udp_queue_rcv_skb");
        if (!uh.checksumOk(saddr, daddr, skb.len())) {
            // udp_recvmsg's csum_copy_err, moved before the queue (see the class comment).
            drop(ctx, skb, SkbDropReason.UDP_CSUM, true);
            return;
        }
        int sport = uh.source();
        int dport = uh.dest();
        skb.pull(UdpHeader.LEN);
        skb.cb().socket = sk.key();
        skb.cb().saddr = saddr;
        skb.cb().sport = sport;
        skb.cb().daddr = daddr;
        skb.cb().dport = dport;
        skb.cb().ipProtocol = UdpHeader.IPPROTO_UDP;
        ctx.enqueue(KernelQueue.SK_RECEIVE_QUEUE, skb);
    }

    private List<HostConfig.SocketSpec> all() {
        if (bound.isEmpty()) return host.sockets();
        List<HostConfig.SocketSpec> l = new ArrayList<>(host.sockets());
        l.addAll(bound);
        return l;
    }

    /**
     * udp_sendmsg, net/ipv4/udp.c, for what the socket layer sends (SK_SENDMSG, data at the
     * payload; cb.saddr:sport the bound source, cb.daddr:dport the destination): the UDP
     * header and its checksum (udp_send_skb; 0 goes as 0xffff), then IP (ip_send_skb);
     * UdpOutDatagrams. SOCK_OP_BIND / SOCK_OP_CLOSE add and remove a bound socket.
     */
    public void udpSendmsg(LayerContext ctx, SkBuff skb) {
        ctx.trace(skb, "udp_sendmsg");
        io.netstack.skb.ControlBlock cb = skb.cb();
        if (cb.sockOp == io.netstack.skb.ControlBlock.SOCK_OP_BIND) {
            bound.add(new HostConfig.SocketSpec("udp", cb.saddr, cb.sport, false, 0));
            ctx.consume(skb);
            return;
        }
        if (cb.sockOp == io.netstack.skb.ControlBlock.SOCK_OP_CLOSE) {
            bound.removeIf(b -> b.addr() == cb.saddr && b.port() == cb.sport);
            ctx.consume(skb);
            return;
        }
        if (cb.sockOp != io.netstack.skb.ControlBlock.SOCK_OP_DATA) {
            ctx.drop(skb, SkbDropReason.NOT_EMULATED);
            return;
        }
        int ulen = UdpHeader.LEN + skb.len();
        if (ulen > 0xffff) {
            // EMSGSIZE: never reaches IP.
            ctx.drop(skb, SkbDropReason.PKT_TOO_BIG);
            return;
        }
        int at = skb.push(UdpHeader.LEN);
        skb.setTransportHeader(at);
        UdpHeader uh = new UdpHeader(skb.head(), at);
        uh.setSource(cb.sport);
        uh.setDest(cb.dport);
        uh.setLength(ulen);
        uh.fillChecksum(cb.saddr, cb.daddr, ulen);
        cb.ipProtocol = UdpHeader.IPPROTO_UDP;
        // __ip_make_skb: DF only on a datagram that fits the route's MTU (IP_PMTUDISC_WANT, the
        // default unless ip_no_pmtu_disc); a larger one goes without DF and is fragmented
        // (ip_fragment). With DF on everything, a datagram over the MTU was dropped (IpFragFails).
        boolean want = host.sysctl().get(SysctlRegistry.IP_NO_PMTU_DISC) == 0;
        cb.df = want && Ipv4Header.MIN_LEN + ulen <= TcpIpv4.routeMtu(host, cb.daddr, null);
        ctx.trace(skb, "udp_send_skb");
        ctx.count(skb, Snmp.UdpOutDatagrams);
        ctx.enqueue(KernelQueue.IP_LOCAL_OUT, skb);
    }
}
