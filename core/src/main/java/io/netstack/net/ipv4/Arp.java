package io.netstack.net.ipv4;

import io.netstack.stats.Snmp;
import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.config.Sysctls;
import io.netstack.net.core.Neighbour;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.wire.ArpPacket;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.Inet;
import io.netstack.wire.Ipv4Header;
import io.netstack.wire.MacAddress;

import java.util.List;

/** net/ipv4/arp.c: arp_rcv, arp_process, arp_solicit, arp_send. */
public final class Arp {

    /** arp_rcv: ARP not for us is consumed quietly; a short or non-Ethernet/IPv4 one is dropped. */
    public void arpRcv(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "arp_rcv");
        // 1. "do not tweak dropwatch on an ARP we will ignore"
        if (skb.pktType() == PktType.PACKET_OTHERHOST || skb.pktType() == PktType.PACKET_LOOPBACK) {
            ctx.consume(skb);
            return;
        }
        // 2. The header and both address pairs must be there (arp_hdr_len).
        if (!skb.mayPull(ArpPacket.LEN)) {
            ctx.drop(skb, SkbDropReason.PKT_TOO_SMALL);
            return;
        }
        ArpPacket arp = new ArpPacket(skb.head(), skb.data());
        // 3. Ethernet addresses and IPv4 protocol addresses only.
        if (arp.hardwareLength() != 6 || arp.protocolLength() != 4) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        skb.resetNetworkHeader();
        arpProcess(h, skb, ctx);
    }

    /**
     * arp_process, net/ipv4/arp.c: answers requests for our addresses (per arp_ignore and
     * arp_filter), learns the sender as neighbour_event_ns does, and otherwise updates an
     * existing entry (or creates one per arp_accept / gratuitous ARP), honouring locktime.
     */
    void arpProcess(L3Host h, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "arp_process");
        String dev = skb.dev();
        Sysctls s = h.sysctl();
        if (!h.hasDev(dev)) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        ArpPacket arp = new ArpPacket(skb.head(), skb.data());
        // 1. Ethernet (or 802) hardware, IPv4 protocol; requests and replies only.
        if ((arp.hardwareType() != ArpPacket.ARPHRD_ETHER && arp.hardwareType() != ArpPacket.ARPHRD_IEEE802)
                || arp.protocolType() != ArpPacket.ETH_P_IP) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        int op = arp.op();
        if (op != ArpPacket.ARPOP_REPLY && op != ArpPacket.ARPOP_REQUEST) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        MacAddress sha = arp.sha();
        MacAddress tha = arp.tha();
        int sip = arp.spa();
        int tip = arp.tpa();
        // 2. Requests for multicast or (without route_localnet) loopback targets are bogus.
        if (Inet.isMulticast(tip) || (!s.confOr(dev, SysctlRegistry.CONF_ROUTE_LOCALNET) && Inet.isLoopback(tip))) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        // 3. drop_gratuitous_arp
        if (sip == tip && s.confOr(dev, SysctlRegistry.CONF_DROP_GRATUITOUS_ARP)) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        // 4. Duplicate address detection probe (RFC 2131, sender 0.0.0.0): answer if the target is ours.
        if (sip == 0) {
            if (op == ArpPacket.ARPOP_REQUEST && h.fib().inetAddrType(tip, dev) == RouteResult.RTN_LOCAL
                    && !arpIgnore(h, dev, sip, tip)) {
                arpSend(h, ArpPacket.ARPOP_REPLY, sip, dev, tip, sha, h.mac(dev), sha, skb, ctx);
            }
            ctx.consume(skb);
            return;
        }
        // 5. A request routed to a local address: reply unless arp_ignore / arp_filter say no.
        if (op == ArpPacket.ARPOP_REQUEST) {
            Route.Input r = Route.ipRouteInputNoref(h, skb, tip, sip, 0, dev);
            if (r.reason() == null) {
                int addrType = r.rt().rtType();
                if (addrType == RouteResult.RTN_LOCAL) {
                    boolean dontSend = arpIgnore(h, dev, sip, tip);
                    if (!dontSend && s.confOr(dev, SysctlRegistry.CONF_ARP_FILTER)) dontSend = arpFilter(h, sip, tip, dev, skb, ctx);
                    if (!dontSend) {
                        // neigh_event_ns: learn the asker as STALE, then answer.
                        Neighbour.Entry n = h.neigh().lookupOrCreate(sip, dev, ctx.nowNanos());
                        h.neigh().neighUpdate(n, sha, Neighbour.NUD_STALE, Neighbour.NEIGH_UPDATE_F_OVERRIDE, ctx);
                        arpSend(h, ArpPacket.ARPOP_REPLY, sip, dev, tip, sha, h.mac(dev), sha, skb, ctx);
                    }
                    ctx.consume(skb);
                    return;
                } else if (h.forwarding(dev)) {
                    // Proxy ARP: arp_fwd_proxy (proxy_arp, the target routed out of another
                    // device, medium_id) or arp_fwd_pvlan (proxy_arp_pvlan, the same device).
                    String outDev = r.rt().outDev();
                    if (addrType == RouteResult.RTN_UNICAST
                            && (arpFwdProxy(h, dev, outDev) || arpFwdPvlan(h, dev, outDev, sip, tip))) {
                        Neighbour.Entry n = h.neigh().lookupOrCreate(sip, dev, ctx.nowNanos());
                        h.neigh().neighUpdate(n, sha, Neighbour.NUD_STALE, Neighbour.NEIGH_UPDATE_F_OVERRIDE, ctx);
                        // A request to our MAC, or proxy_delay 0, is answered at once; a broadcast
                        // one waits in pneigh_enqueue for a random part of proxy_delay (up to
                        // 0.8 s by default), a timer that is not emulated: no answer.
                        if (skb.pktType() == PktType.PACKET_HOST || h.sysctl().neigh(dev, SysctlRegistry.NEIGH_PROXY_DELAY) == 0) {
                            arpSend(h, ArpPacket.ARPOP_REPLY, sip, dev, tip, sha, h.mac(dev), sha, skb, ctx);
                        }
                        ctx.consume(skb);
                        return;
                    }
                }
            }
        }
        // 6. Update our ARP table.
        Neighbour.Entry n = h.neigh().lookup(sip, dev);
        int[] addrType = {-1};
        boolean accept = arpAccept(h, dev, sip);
        boolean isGarp = false;
        if (n != null || accept) isGarp = arpIsGarp(h, dev, addrType, op, sip, tip, sha, tha);
        if (accept && n == null) {
            // Unsolicited ARP creates an entry only when arp_accept allows it.
            if (isGarp || (op == ArpPacket.ARPOP_REPLY && (addrType[0] == RouteResult.RTN_UNICAST
                    || (addrType[0] < 0 && h.fib().inetAddrType(sip, dev) == RouteResult.RTN_UNICAST)))) {
                n = h.neigh().lookupOrCreate(sip, dev, ctx.nowNanos());
            }
        }
        if (n != null) {
            // "If several different ARP replies follows back-to-back, use the FIRST one."
            boolean override = ctx.nowNanos() > n.updated() + h.neigh().locktime(dev) || isGarp;
            // Broadcast replies and requests do not assert reachability.
            int state = op != ArpPacket.ARPOP_REPLY || skb.pktType() != PktType.PACKET_HOST
                    ? Neighbour.NUD_STALE : Neighbour.NUD_REACHABLE;
            h.neigh().neighUpdate(n, sha, state, override ? Neighbour.NEIGH_UPDATE_F_OVERRIDE : 0, ctx);
        }
        ctx.consume(skb);
    }

    /**
     * arp_fwd_proxy, net/ipv4/arp.c: proxy for a target routed out of another device when
     * proxy_arp (all OR dev) is on and the devices' medium_id (default 0) allows it.
     */
    static boolean arpFwdProxy(L3Host h, String dev, String outDev) {
        if (outDev.equals(dev)) return false;
        if (!h.sysctl().confOr(dev, SysctlRegistry.CONF_PROXY_ARP)) return false;
        int imi = h.sysctl().conf(dev, SysctlRegistry.CONF_MEDIUM_ID);
        if (imi == 0) return true;
        if (imi == -1) return false;
        int omi = h.sysctl().conf(outDev, SysctlRegistry.CONF_MEDIUM_ID);
        return omi != imi && omi != -1;
    }

    /** arp_fwd_pvlan, net/ipv4/arp.c: private VLAN proxy on the same device (proxy_arp_pvlan), sender != target. */
    static boolean arpFwdPvlan(L3Host h, String dev, String outDev, int sip, int tip) {
        if (!outDev.equals(dev)) return false;
        if (sip == tip) return false;
        return h.sysctl().confOr(dev, SysctlRegistry.CONF_PROXY_ARP_PVLAN);
    }

    /** arp_is_garp: sender == target (a reply also with tha == sha), for a unicast address. */
    static boolean arpIsGarp(L3Host h, String dev, int[] addrType, int op, int sip, int tip, MacAddress sha, MacAddress tha) {
        boolean isGarp = tip == sip;
        if (isGarp && op == ArpPacket.ARPOP_REPLY) isGarp = tha.equals(sha);
        if (isGarp) {
            addrType[0] = h.fib().inetAddrType(sip, dev);
            if (addrType[0] != RouteResult.RTN_UNICAST) isGarp = false;
        }
        return isGarp;
    }

    /** arp_accept: 0 never, 1 always, 2 when the sender is on one of dev's subnets. */
    static boolean arpAccept(L3Host h, String dev, int sip) {
        int v = h.sysctl().confMax(dev, SysctlRegistry.CONF_ARP_ACCEPT);
        if (v == 0) return false;
        if (v == 1) return true;
        if (v == 2) return onSubnet(h, dev, sip, 0);
        return false;
    }

    /**
     * arp_ignore, net/ipv4/arp.c: 0 reply for any local address; 1 only for an address of
     * the incoming interface; 2 also with the sender on its subnet; 3 not for host-scope
     * addresses; 8 never.
     */
    static boolean arpIgnore(L3Host h, String dev, int sip, int tip) {
        int mode = h.sysctl().confMax(dev, SysctlRegistry.CONF_ARP_IGNORE);
        switch (mode) {
            case 0: return false;
            case 1: return !confirmAddrIndev(h, dev, 0, tip);
            case 2: return !confirmAddrIndev(h, dev, sip, tip);
            case 3: return h.config().ifaceWithAddress(tip).isEmpty();
            case 8: return true;
            default: return false;
        }
    }

    /** confirm_addr_indev with a local address: tip is on dev, on a subnet that holds dst (if given). */
    static boolean confirmAddrIndev(L3Host h, String dev, int dst, int local) {
        List<HostConfig.IfAddress> addrs = h.config().iface(dev).map(HostConfig.Interface::addresses).orElse(List.of());
        boolean have = addrs.stream().anyMatch(a -> a.address() == local);
        return have && onSubnet(h, dev, dst, local);
    }

    private static boolean onSubnet(L3Host h, String dev, int dst, int local) {
        for (HostConfig.IfAddress a : h.config().iface(dev).map(HostConfig.Interface::addresses).orElse(List.of())) {
            boolean l = local == 0 || Inet.inPrefix(local, a.address(), a.prefixLen());
            boolean d = dst == 0 || Inet.inPrefix(dst, a.address(), a.prefixLen());
            if (l && d) return true;
        }
        return false;
    }

    /** arp_filter: answer only if the route back to the sender leaves by the device asked on. */
    static boolean arpFilter(L3Host h, int sip, int tip, String dev, SkBuff skb, LayerContext ctx) {
        Route.Output o = Route.ipRouteOutputKey(h, sip, tip, null);
        if (o.rt() == null) return true;
        if (!o.rt().outDev().equals(dev)) {
            ctx.count(skb, Snmp.TcpExtArpFilter);
            return true;
        }
        return false;
    }

    /**
     * arp_solicit, net/ipv4/arp.c: the source per arp_announce (0: the queued packet's source
     * if it is ours; 1: only if on the target's subnet; 2: inet_select_addr), unicast to the
     * known address while probes &lt; ucast_solicit, else broadcast.
     */
    public void arpSolicit(L3Host h, Neighbour.Entry n, SkBuff queued, LayerContext ctx) {
        String dev = n.dev;
        int target = n.ip;
        int saddr = 0;
        int qsaddr = queued != null && queued.networkHeader() >= 0
                ? new Ipv4Header(queued.head(), queued.networkHeader()).saddr() : 0;
        switch (h.sysctl().confMax(dev, SysctlRegistry.CONF_ARP_ANNOUNCE)) {
            case 1:
                if (queued != null && h.fib().inetAddrType(qsaddr, dev) == RouteResult.RTN_LOCAL
                        && Route.addrOnlink(h, dev, target, qsaddr)) saddr = qsaddr;
                break;
            case 2:
                break;
            default:
                if (queued != null && h.fib().inetAddrType(qsaddr, dev) == RouteResult.RTN_LOCAL) saddr = qsaddr;
        }
        if (saddr == 0) saddr = Route.inetSelectAddr(h, dev, target, Fib.RT_SCOPE_LINK);
        int probes = n.probes() - h.neigh().ucastProbes(dev);
        MacAddress dstHw = null;
        if (probes < 0) {
            dstHw = n.ha();
        } else if (probes - h.neigh().appProbes(dev) < 0) {
            return; // neigh_app_ns: a user-space resolver, not emulated
        }
        arpSend(h, ArpPacket.ARPOP_REQUEST, target, dev, saddr, dstHw, h.mac(dev), null, queued, ctx);
    }

    /**
     * arp_send_dst / arp_create / arp_xmit: a 42-byte Ethernet frame (veth pads nothing) to
     * dev_queue_xmit. destHw null is the broadcast; targetHw null is all zeroes.
     */
    public void arpSend(L3Host h, int type, int destIp, String dev, int srcIp, MacAddress destHw,
                        MacAddress srcHw, MacAddress targetHw, SkBuff parent, LayerContext ctx) {
        SkBuff skb = ctx.allocSkb(h.netns(), parent, SkBuff.DEFAULT_HEADROOM, EthernetHeader.LENGTH + ArpPacket.LEN);
        int at = skb.put(EthernetHeader.LENGTH + ArpPacket.LEN);
        EthernetHeader.write(skb.head(), at, destHw == null ? MacAddress.BROADCAST : destHw, srcHw, ArpPacket.ETH_P_ARP);
        ArpPacket.write(skb.head(), at + EthernetHeader.LENGTH, type, srcHw, srcIp,
                targetHw == null ? MacAddress.ZERO : targetHw, destIp);
        skb.resetMacHeader();
        skb.setNetworkHeader(at + EthernetHeader.LENGTH);
        skb.setDev(dev);
        skb.setProtocol(ArpPacket.ETH_P_ARP);
        ctx.trace(skb, type == ArpPacket.ARPOP_REQUEST ? "arp_solicit" : "arp_send");
        ctx.enqueue(KernelQueue.DEV_QUEUE_XMIT, skb);
    }
}
