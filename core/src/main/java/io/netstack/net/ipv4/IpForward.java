package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.net.core.Skbuff;
import io.netstack.net.netfilter.NfHook;
import io.netstack.skb.ControlBlock;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Ipv4Header;

import java.util.HashMap;
import java.util.Map;

/** net/ipv4/ip_forward.c, and ip_rt_send_redirect of net/ipv4/route.c. */
public final class IpForward {

    public static final int ICMP_TIME_EXCEEDED = 11;
    public static final int ICMP_EXC_TTL = 0;
    public static final int ICMP_REDIRECT = 5;
    public static final int ICMP_REDIR_HOST = 1;

    private static final long MS = 1_000_000L;
    /** ip_rt_redirect_number, ip_rt_redirect_load (HZ/50), ip_rt_redirect_silence ((HZ/50) << 10). */
    static final int REDIRECT_NUMBER = 9;
    static final long REDIRECT_LOAD = 20 * MS;
    static final long REDIRECT_SILENCE = (20 * MS) << 10;

    private final IpOutput out;
    /** inet_peer's redirect state per (host, source): n_redirects and rate_last. */
    private final Map<String, long[]> peers = new HashMap<>();

    public IpForward(IpOutput out) {
        this.out = out;
    }

    /**
     * ip_forward, net/ipv4/ip_forward.c: 1. only PACKET_HOST is forwarded; 2. TTL &lt;= 1 is
     * IpInHdrErrors and ICMP time exceeded; 3. IpForwDatagrams (IPSTATS_MIB_INFORWDATAGRAMS,
     * counted before the MTU check since Linux 6.6); 4. DF and longer than the next hop's MTU
     * is IpFragFails and ICMP fragmentation needed; 5. ip_decrease_ttl; 6. a redirect when
     * __mkroute_input asked for one; 7. the FORWARD hook.
     */
    public void ipForward(L3Host h, SkBuff skb, RouteResult rt, LayerContext ctx) {
        ctx.trace(skb, "ip_forward");
        // 1.
        if (skb.pktType() != PktType.PACKET_HOST) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        // 2.
        if (iph.ttl() <= 1) {
            ctx.count(skb, Snmp.IpInHdrErrors);
            out.icmpSend(h, skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, ctx);
            ctx.drop(skb, SkbDropReason.IP_INHDR);
            return;
        }
        // 3.
        ctx.count(skb, Snmp.IpForwDatagrams);
        skb.cb().ipFlags |= ControlBlock.IPSKB_FORWARDED;
        // 4. ip_dst_mtu_maybe_forward with ip_forward_use_pmtu 0: the device MTU.
        int mtu = h.mtu(rt.outDev());
        if (ipExceedsMtu(skb, iph, mtu)) {
            ctx.count(skb, Snmp.IpFragFails);
            out.icmpSend(h, skb, IpOutput.ICMP_DEST_UNREACH, IpOutput.ICMP_FRAG_NEEDED, mtu, ctx);
            ctx.drop(skb, SkbDropReason.PKT_TOO_BIG);
            return;
        }
        // 5.
        iph.decreaseTtl();
        // 6.
        if ((skb.cb().ipFlags & Route.IPSKB_DOREDIRECT) != 0 && IpOptions.srr(skb.cb().ipOptFlags) == 0) {
            ipRtSendRedirect(h, skb, rt, ctx);
        }
        // 7.
        String in = skb.dev();
        if (!out.nfHook(h, NfHook.FORWARD, skb, in, rt.outDev(), ctx)) return;
        ipForwardFinish(h, skb, in, ctx);
    }

    /**
     * ip_exceeds_mtu: longer than mtu with DF set; a datagram conntrack reassembled exceeds it
     * only if one of its fragments did (it leaves in pieces no larger than it came in).
     */
    static boolean ipExceedsMtu(SkBuff skb, Ipv4Header iph, int mtu) {
        if (skb.len() <= mtu || !iph.df()) return false;
        int fragMax = skb.cb().fragMaxSize;
        return fragMax == 0 || fragMax > mtu;
    }

    /** ip_forward_finish: (IPSTATS_MIB_OUTFORWDATAGRAMS is not an nstat counter) then dst_output. */
    void ipForwardFinish(L3Host h, SkBuff skb, String in, LayerContext ctx) {
        ctx.trace(skb, "ip_forward_finish");
        // NAT in FORWARD never changes the route here; re-read nothing but the route.
        if (Iph.ihl(skb) > Iph.LEN) ipForwardOptions(h, skb);
        out.ipOutput(h, skb, in, ctx);
    }

    /**
     * ip_forward_options, net/ipv4/ip_options.c: Record Route and TSANDADDR slots get the
     * output route's source (ip_rt_get_source); a hit source route moves the destination to
     * its next hop and records us in its slot; the checksum is recomputed if anything changed.
     */
    void ipForwardOptions(L3Host h, SkBuff skb) {
        int flags = skb.cb().ipOptFlags;
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        RouteResult rt = skb.cb().route;
        Route.Output o = Route.ipRouteOutputKey(h, iph.daddr(), 0, null);
        int src = o.rt() != null && o.rt().prefsrc() != 0 ? o.rt().prefsrc()
                : h.icmp().inetSelectAddr(rt.outDev(), iph.daddr());
        boolean changed = IpOptions.forward(skb.head(), skb.networkHeader(), flags, src);
        if ((flags & IpOptions.SRR_IS_HIT) != 0) {
            byte[] b = skb.head();
            int opt = skb.networkHeader() + IpOptions.srr(flags);
            int srrspace = b[opt + 1] & 0xff;
            int srrptr = b[opt + 2] & 0xff;
            // opt->nexthop: the first hop from the pointer that is not ours (ip_options_rcv_srr).
            for (; srrptr + 3 <= srrspace; srrptr += 4) {
                if (!IpOptions.isLocal(h.config(), io.netstack.wire.Bytes.u32(b, opt + srrptr - 1))) break;
            }
            if (srrptr + 3 <= srrspace) {
                iph.setDaddr(io.netstack.wire.Bytes.u32(b, opt + srrptr - 1));
                io.netstack.wire.Bytes.put32(b, opt + srrptr - 1, src);
                b[opt + 2] = (byte) (srrptr + 4);
                changed = true;
            }
        }
        if (changed) iph.fillChecksum();
    }

    /**
     * ip_rt_send_redirect, net/ipv4/route.c: an ICMP host redirect to the next hop, limited
     * per source by inet_peer: the first at once, then after ip_rt_redirect_load &lt;&lt;
     * n_redirects, at most ip_rt_redirect_number until ip_rt_redirect_silence passes.
     */
    void ipRtSendRedirect(L3Host h, SkBuff skb, RouteResult rt, LayerContext ctx) {
        if (!h.sysctl().confOr(skb.dev(), SysctlRegistry.CONF_SEND_REDIRECTS)) return;
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        long now = Skbuff.arrivalNanos(skb, ctx);
        long[] peer = peers.computeIfAbsent(h.netns() + "/" + iph.saddr(), k -> new long[] {0, Long.MIN_VALUE / 4});
        if (now > peer[1] + REDIRECT_SILENCE) peer[0] = 0;
        if (peer[0] >= REDIRECT_NUMBER) {
            peer[1] = now;
            return;
        }
        if (peer[0] == 0 || now > peer[1] + (REDIRECT_LOAD << peer[0])) {
            int gw = rt.gateway() != 0 ? rt.gateway() : iph.daddr();
            out.icmpSend(h, skb, ICMP_REDIRECT, ICMP_REDIR_HOST, gw, ctx);
            peer[1] = now;
            peer[0]++;
        }
    }
}
