package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.net.netfilter.NfHook;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stats.LinkStat;
import io.netstack.stats.Snmp;
import io.netstack.wire.Ipv4Header;

/** net/ipv4/ip_input.c: ip_rcv .. ip_local_deliver_finish, and ip_error of net/ipv4/route.c. */
public final class IpInput {

    public static final int ICMP_DEST_UNREACH = 3;
    public static final int ICMP_NET_UNREACH = 0;
    public static final int ICMP_HOST_UNREACH = 1;
    public static final int ICMP_PROT_UNREACH = 2;
    public static final int ICMP_PKT_FILTERED = 13;
    public static final int ICMP_PARAMETERPROB = 12;

    private final IpOutput out;
    private final IpForward fwd;

    public IpInput(IpOutput out, IpForward fwd) {
        this.out = out;
        this.fwd = fwd;
    }

    /** ip_rcv: ip_rcv_core, then the PRE_ROUTING hook, then ip_rcv_finish. */
    public void ipRcv(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_rcv");
        skb.resetNetworkHeader();
        if (!ipRcvCore(h, skb, ctx)) return;
        if (out.conntrackActive(h) && new Ipv4Header(skb.head(), skb.networkHeader()).isFragment()) {
            // ipv4_conntrack_defrag (nf_defrag_ipv4.c), first on PRE_ROUTING: conntrack sees whole
            // datagrams, so a router with conntrack reassembles what it forwards.
            ctx.trace(skb, "ipv4_conntrack_defrag");
            skb = h.frags().ipDefrag(skb, ctx);
            if (skb == null) return;
        }
        if (!out.nfHook(h, NfHook.PRE_ROUTING, skb, skb.dev(), "", ctx)) return;
        ipRcvFinish(h, skb, ctx);
    }

    /**
     * ip_rcv_core, net/ipv4/ip_input.c: the sanity checks of a received IPv4 header in the
     * kernel's order. False when the skb was dropped.
     */
    boolean ipRcvCore(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_rcv_core");
        // 1. Frames for another host (promiscuous mode) are dropped before any Ip counter.
        if (skb.pktType() == PktType.PACKET_OTHERHOST) {
            ctx.linkStat(skb.netns(), skb.dev(), LinkStat.rx_otherhost_dropped, 1);
            ctx.drop(skb, SkbDropReason.OTHERHOST);
            return false;
        }
        // 2. IpInReceives and IpExtInOctets over skb->len, padding included.
        ctx.count(skb, Snmp.IpInReceives);
        ctx.count(skb, Snmp.IpExtInOctets, skb.len());
        // 3. The fixed header must be there; version 4, IHL at least 5.
        if (!skb.mayPull(Ipv4Header.MIN_LEN)) return inhdrError(skb, ctx, SkbDropReason.IP_INHDR);
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.data());
        if (iph.ihl() < 5 || iph.version() != 4) return inhdrError(skb, ctx, SkbDropReason.IP_INHDR);
        // 4. ECN counters, by the two low TOS bits.
        String[] ecn = {Snmp.IpExtInNoECTPkts, Snmp.IpExtInECT1Pkts, Snmp.IpExtInECT0Pkts, Snmp.IpExtInCEPkts};
        ctx.count(skb, ecn[iph.ecn()]);
        // 5. The options must be there too.
        if (!skb.mayPull(iph.headerLength())) return inhdrError(skb, ctx, SkbDropReason.IP_INHDR);
        // 6. Header checksum (ip_fast_csum).
        if (iph.verifyChecksum() != 0) {
            ctx.count(skb, Snmp.IpExtInCsumErrors);
            return inhdrError(skb, ctx, SkbDropReason.IP_CSUM);
        }
        // 7. Total length: more than we have is truncated; less than the header is bogus.
        int len = iph.totalLength();
        if (skb.len() < len) {
            ctx.count(skb, Snmp.IpExtInTruncatedPkts);
            ctx.drop(skb, SkbDropReason.PKT_TOO_SMALL);
            return false;
        } else if (len < iph.headerLength()) {
            return inhdrError(skb, ctx, SkbDropReason.IP_INHDR);
        }
        // 8. pskb_trim_rcsum: link-layer padding goes.
        skb.trim(len);
        skb.setTransportHeader(skb.networkHeader() + iph.headerLength());
        // 9. IPCB is cleared (skb_dst is not: loopback_xmit kept the output route).
        skb.cb().ipFlags = 0;
        skb.cb().ipOptFlags = 0;
        if (!L3Host.LOOPBACK.equals(skb.dev())) skb.cb().route = null;
        return true;
    }

    /** The inhdr_error label: IpInHdrErrors and the drop. */
    private static boolean inhdrError(SkBuff skb, LayerContext ctx, SkbDropReason reason) {
        ctx.count(skb, Snmp.IpInHdrErrors);
        ctx.drop(skb, reason);
        return false;
    }

    /**
     * ip_rcv_finish / ip_rcv_finish_core: the input route (on the header as NAT left it),
     * options, IpExtIn{Bcast,Mcast}*, the drop_unicast_in_l2_multicast check, dst_input.
     */
    void ipRcvFinish(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_rcv_finish");
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        String dev = skb.dev();
        // 1. Route, unless the skb has a valid dst (skb_valid_dst: it came back through lo).
        Route.Input r;
        if (skb.cb().route != null && L3Host.LOOPBACK.equals(dev)) {
            RouteResult lo = skb.cb().route;
            r = new Route.Input(null, new RouteResult(lo.rtType(), "", 0, 0, iph.daddr(), true), 0);
        } else {
            r = Route.ipRouteInputNoref(h, skb, iph.daddr(), iph.saddr(), iph.tos(), dev);
        }
        if (r.reason() != null) {
            if (r.reason() == SkbDropReason.IP_RPFILTER) ctx.count(skb, Snmp.TcpExtIPReversePathFilter);
            ctx.drop(skb, r.reason());
            return;
        }
        RouteResult rt = r.rt();
        skb.cb().route = rt;
        // 2. Options.
        if (iph.ihl() > 5) {
            if (!ipRcvOptions(h, skb, iph, ctx)) return;
            rt = skb.cb().route;
        }
        // 3. Broadcast / multicast counters.
        if (rt.rtType() == RouteResult.RTN_MULTICAST) {
            ctx.count(skb, Snmp.IpExtInMcastPkts);
            ctx.count(skb, Snmp.IpExtInMcastOctets, skb.len());
        } else if (rt.rtType() == RouteResult.RTN_BROADCAST) {
            ctx.count(skb, Snmp.IpExtInBcastPkts);
            ctx.count(skb, Snmp.IpExtInBcastOctets, skb.len());
        } else if ((skb.pktType() == PktType.PACKET_BROADCAST || skb.pktType() == PktType.PACKET_MULTICAST)
                && h.sysctl().confOr(dev, SysctlRegistry.CONF_DROP_UNICAST_IN_L2_MULTICAST)) {
            // RFC 1122 3.3.6: unicast IP in a link-layer broadcast may be dropped.
            ctx.drop(skb, SkbDropReason.UNICAST_IN_L2_MULTICAST);
            return;
        }
        // 4. dst_input.
        if (rt.rtType() == RouteResult.RTN_BROADCAST && !rt.outDev().isEmpty()) {
            // A directed broadcast under bc_forwarding: dst.input is ip_forward.
            fwd.ipForward(h, skb, rt, ctx);
            return;
        }
        switch (rt.rtType()) {
            case RouteResult.RTN_LOCAL:
            case RouteResult.RTN_BROADCAST:
            case RouteResult.RTN_MULTICAST:
                ipLocalDeliver(h, skb, ctx);
                return;
            case RouteResult.RTN_UNICAST:
                fwd.ipForward(h, skb, rt, ctx);
                return;
            default:
                ipError(h, skb, r.error(), ctx);
        }
    }

    /**
     * ip_rcv_options, net/ipv4/ip_input.c: ip_options_compile (IpOptions.compile: a malformed
     * option is IpInHdrErrors and ICMP parameter problem pointing at it; Record Route and
     * timestamps get our address, fib_compute_spec_dst); a source route is dropped unless
     * accept_source_route (IN_DEV_SOURCE_ROUTE, all AND device), then ip_options_rcv_srr.
     */
    boolean ipRcvOptions(L3Host h, SkBuff skb, Ipv4Header iph, LayerContext ctx) {
        ctx.trace(skb, "ip_rcv_options");
        // 1. ip_options_compile.
        IpOptions.Compiled c = IpOptions.compile(h.config(), skb.head(), skb.networkHeader(), iph.headerLength(),
                fibComputeSpecDst(h, skb, iph), Icmp.inetCurrentTimestamp(ctx));
        skb.cb().ipOptFlags = c.flags();
        if (!c.ok()) {
            out.icmpSend(h, skb, ICMP_PARAMETERPROB, 0, c.ppPtr() << 24, ctx);
            ctx.count(skb, Snmp.IpInHdrErrors);
            ctx.drop(skb, SkbDropReason.IP_INHDR);
            return false;
        }
        skb.cb().ipOptFlags = c.flags();
        // 2. Source routes.
        if (IpOptions.srr(c.flags()) != 0) {
            if (!h.sysctl().confAnd(skb.dev(), SysctlRegistry.CONF_ACCEPT_SOURCE_ROUTE)) {
                ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
                return false;
            }
            return ipOptionsRcvSrr(h, skb, iph, ctx);
        }
        return true;
    }

    /**
     * fib_compute_spec_dst, net/ipv4/fib_frontend.c: the packet's destination when it was
     * local unicast; else the preferred source of the route back to its sender.
     */
    static int fibComputeSpecDst(L3Host h, SkBuff skb, Ipv4Header iph) {
        RouteResult rt = skb.cb().route;
        if (rt != null && rt.rtType() == RouteResult.RTN_LOCAL) return iph.daddr();
        Route.Output o = Route.ipRouteOutputKey(h, iph.saddr(), 0, null);
        if (o.rt() != null && o.rt().prefsrc() != 0) return o.rt().prefsrc();
        return h.icmp().inetSelectAddr(skb.dev(), iph.saddr());
    }

    /**
     * ip_options_rcv_srr, net/ipv4/ip_options.c: a source-routed packet must be PACKET_HOST;
     * routed as unicast it is forwarded as it is (a strict route is parameter problem 16);
     * addressed to us, the route's next hops that are ours are skipped and the first one that
     * is not becomes the destination of an input route (srr_is_hit): it is forwarded there.
     */
    boolean ipOptionsRcvSrr(L3Host h, SkBuff skb, Ipv4Header iph, LayerContext ctx) {
        ctx.trace(skb, "ip_options_rcv_srr");
        RouteResult rt = skb.cb().route;
        int flags = skb.cb().ipOptFlags;
        if (skb.pktType() != PktType.PACKET_HOST) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return false;
        }
        if (rt.rtType() == RouteResult.RTN_UNICAST) {
            if ((flags & IpOptions.IS_STRICTROUTE) == 0) return true;
            out.icmpSend(h, skb, ICMP_PARAMETERPROB, 0, 16 << 24, ctx);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return false;
        }
        if (rt.rtType() != RouteResult.RTN_LOCAL) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return false;
        }
        byte[] b = skb.head();
        int opt = skb.networkHeader() + IpOptions.srr(flags);
        int srrspace = b[opt + 1] & 0xff;
        int srrptr = b[opt + 2] & 0xff;
        int nexthop = 0;
        for (; srrptr <= srrspace; srrptr += 4) {
            if (srrptr + 3 > srrspace) {
                out.icmpSend(h, skb, ICMP_PARAMETERPROB, 0, (IpOptions.srr(flags) + 2) << 24, ctx);
                ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
                return false;
            }
            nexthop = io.netstack.wire.Bytes.u32(b, opt + srrptr - 1);
            Route.Input r2 = Route.ipRouteInputNoref(h, skb, nexthop, iph.saddr(), iph.tos(), skb.dev());
            RouteResult rt2 = r2.rt();
            if (r2.reason() != null || rt2 == null
                    || (rt2.rtType() != RouteResult.RTN_UNICAST && rt2.rtType() != RouteResult.RTN_LOCAL)) {
                ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
                return false;
            }
            skb.cb().route = rt2;
            if (rt2.rtType() != RouteResult.RTN_LOCAL) break;
            // Superfast 8) loopback forward
            iph.setDaddr(nexthop);
            flags |= IpOptions.IS_CHANGED;
        }
        if (srrptr <= srrspace) flags |= IpOptions.SRR_IS_HIT | IpOptions.IS_CHANGED;
        skb.cb().ipOptFlags = flags;
        return true;
    }

    /**
     * ip_error, net/ipv4/route.c: the input of an RTN_UNREACHABLE route. A non-forwarding
     * interface only counts (IpInAddrErrors or IpExtInNoRoutes); a forwarding one answers
     * host/net unreachable or packet filtered (blackhole: nothing).
     */
    void ipError(L3Host h, SkBuff skb, int error, LayerContext ctx) {
        ctx.trace(skb, "ip_error");
        SkbDropReason reason = SkbDropReason.NOT_SPECIFIED;
        if (!h.forwarding(skb.dev())) {
            if (error == Fib.EHOSTUNREACH) {
                reason = SkbDropReason.IP_INADDRERRORS;
                ctx.count(skb, Snmp.IpInAddrErrors);
            } else if (error == Fib.ENETUNREACH) {
                reason = SkbDropReason.IP_INNOROUTES;
                ctx.count(skb, Snmp.IpExtInNoRoutes);
            }
            ctx.drop(skb, reason);
            return;
        }
        int code;
        if (error == Fib.EHOSTUNREACH) {
            code = ICMP_HOST_UNREACH;
        } else if (error == Fib.ENETUNREACH) {
            code = ICMP_NET_UNREACH;
            reason = SkbDropReason.IP_INNOROUTES;
            ctx.count(skb, Snmp.IpExtInNoRoutes);
        } else if (error == Fib.EACCES) {
            code = ICMP_PKT_FILTERED;
        } else {
            ctx.drop(skb, reason);
            return;
        }
        // The inet_peer token bucket (ip_rt_error_burst) lets the first errors through; not emulated further.
        out.icmpSend(h, skb, ICMP_DEST_UNREACH, code, 0, ctx);
        ctx.drop(skb, reason);
    }

    /** ip_local_deliver: reassembly, then the LOCAL_IN hook, then ip_local_deliver_finish. */
    public void ipLocalDeliver(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_local_deliver");
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        if (iph.isFragment()) {
            skb = h.frags().ipDefrag(skb, ctx);
            if (skb == null) return;
        }
        if (!out.nfHook(h, NfHook.LOCAL_IN, skb, skb.dev(), "", ctx)) return;
        ipLocalDeliverFinish(h, skb, ctx);
    }

    /**
     * ip_local_deliver_finish / ip_protocol_deliver_rcu: the IP header is pulled and the
     * transport protocol's handler (inet_protos) takes it, IpInDelivers; with no handler,
     * IpInUnknownProtos and ICMP protocol unreachable.
     */
    void ipLocalDeliverFinish(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_local_deliver_finish");
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        skb.resetDataTo(skb.networkHeader());
        skb.pull(iph.headerLength());
        skb.resetTransportHeader();
        // conntrack's reference goes here (nf_reset_ct) for protocols with a handler.
        KernelQueue q;
        switch (iph.protocol()) {
            case Ipv4Header.IPPROTO_ICMP: q = KernelQueue.INET_PROTO_ICMP; break;
            case Ipv4Header.IPPROTO_UDP: q = KernelQueue.INET_PROTO_UDP; break;
            case Ipv4Header.IPPROTO_TCP: q = KernelQueue.INET_PROTO_TCP; break;
            case Ipv4Header.IPPROTO_IGMP:
                // igmp_rcv has a handler (so IpInDelivers), but IGMP is not emulated.
                ctx.count(skb, Snmp.IpInDelivers);
                ctx.drop(skb, SkbDropReason.NOT_EMULATED);
                return;
            default:
                ctx.count(skb, Snmp.IpInUnknownProtos);
                out.icmpSend(h, skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, ctx);
                ctx.drop(skb, SkbDropReason.IP_NOPROTO);
                return;
        }
        ctx.count(skb, Snmp.IpInDelivers);
        ctx.enqueue(q, skb);
    }
}
