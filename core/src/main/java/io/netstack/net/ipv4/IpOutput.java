package io.netstack.net.ipv4;

import io.netstack.net.netfilter.NfHook;
import io.netstack.net.netfilter.Netfilter;
import io.netstack.net.netfilter.NfVerdict;
import io.netstack.net.core.Neighbour;
import io.netstack.skb.ControlBlock;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Ipv4Header;

/**
 * net/ipv4/ip_output.c: building the IPv4 header of a local packet, ip_local_out,
 * ip_output, fragmentation, and the hand-over to the neighbour layer.
 */
public final class IpOutput {

    public static final int ICMP_DEST_UNREACH = 3;
    public static final int ICMP_FRAG_NEEDED = 4;

    private final Netfilter nf;

    /** ip_rcv, for what loopback_xmit hands back (set by the layer that owns both directions). */
    public interface LoopbackRcv {
        void ipRcv(L3Host h, SkBuff skb, LayerContext ctx);
    }

    private LoopbackRcv loopbackRcv;

    public void setLoopbackRcv(LoopbackRcv r) { this.loopbackRcv = r; }

    /**
     * loopback_xmit, drivers/net/loopback.c: the neighbour of lo is NUD_NOARP and its header
     * has an all-zero destination, which eth_type_trans finds to be lo's own address
     * (PACKET_HOST); netif_rx hands it to ip_rcv on lo with its dst kept (skb_dst_force), so
     * ip_rcv_finish does not route it again. lo's own statistics are not reported.
     */
    void loopbackXmit(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "loopback_xmit");
        skb.setDev(L3Host.LOOPBACK);
        skb.setIif(L3Host.LOOPBACK);
        skb.setPktType(io.netstack.skb.PktType.PACKET_HOST);
        skb.setProtocol(0x0800);
        skb.resetDataTo(skb.networkHeader());
        loopbackRcv.ipRcv(h, skb, ctx);
    }

    public IpOutput(Netfilter nf) {
        this.nf = nf;
    }

    /**
     * NF_HOOK as the IPv4 path uses it: true to go on; on NF_DROP the skb is dropped with
     * NETFILTER_DROP; on a REJECT it is dropped too and the reply leaves by ip_local_out.
     */
    /** Whether conntrack is loaded for the host (nf_defrag_ipv4 then reassembles before PRE_ROUTING). */
    public boolean conntrackActive(L3Host h) {
        return nf.conntrackActive(h.netns());
    }

    public boolean nfHook(L3Host h, NfHook hook, SkBuff skb, String in, String out, LayerContext ctx) {
        return nfHook(h, hook, skb, in, out, false, ctx);
    }

    /**
     * ip_send_skb, net/ipv4/ip_output.c: a packet that ip_local_out refuses (a netfilter drop in
     * OUTPUT or POST_ROUTING) counts IpOutDiscards for the senders that go through it: ICMP
     * (icmp_push_reply), UDP and raw sendmsg, and TCP's ip_send_unicast_reply (RST, bare ACK).
     * Not a SYN-ACK (ip_build_and_send_pkt) or a connection's segment (ip_queue_xmit).
     */
    static boolean sentByIpSendSkb(SkBuff skb) {
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        if (iph.protocol() != 6) return true;
        int th = skb.networkHeader() + iph.headerLength();
        return th + 14 <= skb.tail() && (skb.u8(th + 13) & 0x04) != 0;
    }

    boolean nfHook(L3Host h, NfHook hook, SkBuff skb, String in, String out, boolean countDiscard, LayerContext ctx) {
        NfVerdict v = nf.hook(hook, skb, in, out, ctx);
        if (v instanceof NfVerdict.Accept) return true;
        if (countDiscard && sentByIpSendSkb(skb)) ctx.count(skb, Snmp.IpOutDiscards);
        if (v instanceof NfVerdict.Reject) {
            SkBuff reply = ((NfVerdict.Reject) v).reply();
            ctx.drop(skb, SkbDropReason.NETFILTER_DROP);
            if (reply != null) ipQueueXmit(h, reply, ctx);
            return false;
        }
        ctx.drop(skb, SkbDropReason.NETFILTER_DROP);
        return false;
    }

    /**
     * icmp_send (Icmp, another part) then, for the error it builds, this path's ip_local_out.
     * skbIn's network header points at its IPv4 header.
     */
    public void icmpSend(L3Host h, SkBuff skbIn, int type, int code, int info, LayerContext ctx) {
        SkBuff reply = h.icmp().icmpSend(ctx, skbIn, type, code, info);
        if (reply != null) ipQueueXmit(h, reply, ctx);
    }

    /**
     * ip_queue_xmit / ip_build_and_send_pkt, net/ipv4/ip_output.c: a transport segment from
     * IP_LOCAL_OUT (data at the transport header, flow in cb) is routed, given saddr if it
     * had none, an IPv4 header (ihl 5; id 0 with DF as for unconnected sockets, else
     * ip_select_ident; ttl cb.ttl or ip_default_ttl) and sent by ip_local_out.
     */
    public void ipQueueXmit(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_queue_xmit");
        ControlBlock cb = skb.cb();
        Route.Output o = Route.ipRouteOutputKey(h, cb.daddr, cb.saddr, null);
        if (o.rt() == null) {
            ctx.count(skb, Snmp.IpOutNoRoutes);
            ctx.drop(skb, SkbDropReason.IP_OUTNOROUTES);
            return;
        }
        RouteResult rt = o.rt();
        if (rt.rtType() == RouteResult.RTN_LOCAL) {
            // To one of our own addresses: the route's device is lo (ip_route_output_key_hash_rcu,
            // RTN_LOCAL: dev_out = net->loopback_dev); it comes back in through loopback_xmit.
            rt = new RouteResult(RouteResult.RTN_LOCAL, L3Host.LOOPBACK, 0, L3Host.LOOPBACK_MTU,
                    cb.saddr != 0 ? cb.saddr : cb.daddr, false);
        }
        int saddr = cb.saddr != 0 ? cb.saddr : rt.prefsrc();
        if (skb.transportHeader() < 0) skb.resetTransportHeader();
        int optlen = cb.ipOptions == null ? 0 : cb.ipOptions.length;
        skb.push(Ipv4Header.MIN_LEN + optlen);
        skb.resetNetworkHeader();
        int ttl = cb.ttl != 0 ? cb.ttl : h.defaultTtl();
        int id = cb.df ? 0 : h.nextIdent();
        Ipv4Header.write(skb.head(), skb.data(), cb.tos, skb.len(), id, cb.df ? Ipv4Header.IP_DF : 0,
                ttl, cb.ipProtocol, saddr, cb.daddr);
        if (optlen > 0) {
            // ip_options_build, net/ipv4/ip_options.c: the header grows by the options.
            skb.head()[skb.data()] = (byte) (0x40 | ((Ipv4Header.MIN_LEN + optlen) / 4));
            IpOptions.build(skb.head(), skb.data(), cb.ipOptions, cb.ipOptFlags, cb.daddr, saddr,
                    Icmp.inetCurrentTimestamp(ctx));
        }
        cb.saddr = saddr;
        cb.route = rt;
        skb.setProtocol(0x0800);
        if (cb.socketProto() == io.netstack.skb.SockProto.RAW && cb.ipProtocol == 1 && skb.len() > Ipv4Header.MIN_LEN + optlen) {
            // __ip_make_skb, net/ipv4/ip_output.c: an ICMP message a raw socket sends (ping as
            // root) counts icmp_out_count (IcmpOutMsgs, IcmpOutEchos / IcmpMsgOutType8).
            h.icmp().icmpOutCount(ctx, h.netns(), skb.head()[skb.data() + Ipv4Header.MIN_LEN + optlen] & 0xff);
        }
        ipLocalOut(h, skb, ctx);
    }

    /** ip_local_out / __ip_local_out: IpOutRequests, tot_len and checksum, the LOCAL_OUT hook, dst_output. */
    public void ipLocalOut(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "__ip_local_out");
        skb.resetDataTo(skb.networkHeader());
        ctx.count(skb, Snmp.IpOutRequests);
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        iph.setTotalLength(skb.len());
        iph.fillChecksum();
        int daddr = iph.daddr();
        RouteResult rt = skb.cb().route;
        if (!nfHook(h, NfHook.LOCAL_OUT, skb, "", rt.outDev(), true, ctx)) return;
        // NAT in OUTPUT may have changed the destination: ip_route_me_harder.
        iph = new Ipv4Header(skb.head(), skb.networkHeader());
        if (iph.daddr() != daddr) {
            Route.Output o = Route.ipRouteOutputKey(h, iph.daddr(), 0, null);
            if (o.rt() == null || o.rt().rtType() == RouteResult.RTN_LOCAL) {
                ctx.count(skb, Snmp.IpOutNoRoutes);
                ctx.drop(skb, o.rt() == null ? SkbDropReason.IP_OUTNOROUTES : SkbDropReason.NOT_EMULATED);
                return;
            }
            skb.cb().route = o.rt();
            skb.cb().ipFlags |= ControlBlock.IPSKB_REROUTED;
        }
        ipOutput(h, skb, "", ctx);
    }

    /** ip_output: the skb takes the route's device; POST_ROUTING (unless rerouted); ip_finish_output. */
    public void ipOutput(L3Host h, SkBuff skb, String inDev, LayerContext ctx) {
        ctx.trace(skb, "ip_output");
        RouteResult rt = skb.cb().route;
        skb.setDev(rt.outDev());
        skb.setProtocol(0x0800);
        if ((skb.cb().ipFlags & ControlBlock.IPSKB_REROUTED) == 0
                && !nfHook(h, NfHook.POST_ROUTING, skb, inDev, rt.outDev(), inDev.isEmpty(), ctx)) {
            return;
        }
        ipFinishOutput(h, skb, ctx);
    }

    /** ip_finish_output / __ip_finish_output: fragments what exceeds the device MTU. */
    void ipFinishOutput(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_finish_output");
        int mtu = h.mtu(skb.cb().route.outDev());
        if (skb.len() > mtu || skb.cb().fragMaxSize != 0) {
            ipFragment(h, skb, mtu, ctx);
            return;
        }
        ipFinishOutput2(h, skb, ctx);
    }

    /**
     * ip_fragment: with DF set the packet cannot be fragmented: IpFragFails, ICMP
     * fragmentation needed with the MTU, drop PKT_TOO_BIG.
     */
    void ipFragment(L3Host h, SkBuff skb, int mtu, LayerContext ctx) {
        ctx.trace(skb, "ip_fragment");
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        int fragMax = skb.cb().fragMaxSize;
        if (iph.df() && (fragMax == 0 || fragMax > mtu)) {
            ctx.count(skb, Snmp.IpFragFails);
            icmpSend(h, skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu, ctx);
            ctx.drop(skb, SkbDropReason.PKT_TOO_BIG);
            return;
        }
        ipDoFragment(h, skb, mtu, ctx);
    }

    /**
     * ip_do_fragment (the slow path), net/ipv4/ip_output.c: pieces of at most mtu - hlen
     * bytes, a multiple of 8 except the last, each with the header (options not to be
     * copied replaced by NOPs after the first, ip_options_fragment), MF on all but the last
     * (and on the last too if the original had it), IpFragCreates each, IpFragOKs once.
     */
    void ipDoFragment(L3Host h, SkBuff skb, int mtu, LayerContext ctx) {
        ctx.trace(skb, "ip_do_fragment");
        int nh = skb.networkHeader();
        Ipv4Header iph = new Ipv4Header(skb.head(), nh);
        int hlen = iph.headerLength();
        byte[] header = skb.bytes(nh, nh + hlen);
        if (skb.cb().fragMaxSize != 0 && skb.cb().fragMaxSize < mtu) mtu = skb.cb().fragMaxSize;
        int room = mtu - hlen;
        if (room < 8) {
            ctx.count(skb, Snmp.IpFragFails);
            ctx.drop(skb, SkbDropReason.PKT_TOO_BIG);
            return;
        }
        int left = skb.len() - hlen;
        int ptr = nh + hlen;
        int offset = iph.fragmentOffset();
        boolean notLastFrag = iph.mf();
        while (left > 0) {
            int len = Math.min(left, room);
            if (len < left) len &= ~7;
            SkBuff frag = ctx.allocSkb(skb.netns(), skb, SkBuff.DEFAULT_HEADROOM, hlen + len);
            int at = frag.put(hlen + len);
            System.arraycopy(header, 0, frag.head(), at, hlen);
            System.arraycopy(skb.head(), ptr, frag.head(), at + hlen, len);
            frag.resetNetworkHeader();
            frag.setTransportHeader(at + hlen);
            frag.setDev(skb.dev());
            frag.setProtocol(0x0800);
            frag.setMark(skb.mark());
            frag.setPriority(skb.priority());
            frag.cb().copyFrom(skb.cb());
            if (offset == iph.fragmentOffset()) {
                // After the first piece is cut, later pieces carry only the copied options.
                ipOptionsFragment(header, hlen);
            }
            left -= len;
            Ipv4Header fh = new Ipv4Header(frag.head(), at);
            fh.setFragOff((offset >> 3) | (left > 0 || notLastFrag ? Ipv4Header.IP_MF : 0));
            fh.setTotalLength(hlen + len);
            fh.fillChecksum();
            ptr += len;
            offset += len;
            ctx.count(skb, Snmp.IpFragCreates);
            ipFinishOutput2(h, frag, ctx);
        }
        ctx.count(skb, Snmp.IpFragOKs);
        ctx.consume(skb);
    }

    /** ip_options_fragment, net/ipv4/ip_options.c: options without the copied bit become NOPs. */
    static void ipOptionsFragment(byte[] header, int hlen) {
        int i = Ipv4Header.OPTIONS;
        while (i < hlen) {
            int type = header[i] & 0xff;
            if (type == 0) return;
            if (type == 1) { i++; continue; }
            if (i + 1 >= hlen) return;
            int optlen = header[i + 1] & 0xff;
            if (optlen < 2 || i + optlen > hlen) return;
            if ((type & 0x80) == 0) {
                for (int k = 0; k < optlen; k++) header[i + k] = 1;
            }
            i += optlen;
        }
    }

    /**
     * ip_finish_output2: IpExtOut{Bcast,Mcast}*, IpOutTransmits and IpExtOutOctets (counted
     * here, per fragment, since Linux 6.3), then the neighbour of the next hop
     * (ip_neigh_for_gw: the gateway, else the destination).
     */
    public void ipFinishOutput2(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_finish_output2");
        RouteResult rt = skb.cb().route;
        skb.resetDataTo(skb.networkHeader());
        int len = skb.len();
        if (rt.rtType() == RouteResult.RTN_MULTICAST) {
            ctx.count(skb, Snmp.IpExtOutMcastPkts);
            ctx.count(skb, Snmp.IpExtOutMcastOctets, len);
        } else if (rt.rtType() == RouteResult.RTN_BROADCAST) {
            ctx.count(skb, Snmp.IpExtOutBcastPkts);
            ctx.count(skb, Snmp.IpExtOutBcastOctets, len);
        }
        ctx.count(skb, Snmp.IpOutTransmits);
        ctx.count(skb, Snmp.IpExtOutOctets, len);
        if (L3Host.LOOPBACK.equals(rt.outDev()) && loopbackRcv != null) {
            loopbackXmit(h, skb, ctx);
            return;
        }
        int nexthop = rt.gateway() != 0 ? rt.gateway() : new Ipv4Header(skb.head(), skb.networkHeader()).daddr();
        Neighbour.Entry n = h.neigh().lookupOrCreate(nexthop, rt.outDev(), ctx.nowNanos());
        h.neigh().neighOutput(n, skb, ctx);
    }
}
