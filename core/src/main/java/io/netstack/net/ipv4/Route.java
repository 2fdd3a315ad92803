package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.config.Sysctls;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.wire.Inet;

/**
 * net/ipv4/route.c and fib_frontend.c's source validation: the input route of a received
 * packet (ip_route_input_noref with its martian checks) and the output route of a local one
 * (ip_route_output_key with source address selection).
 */
public final class Route {
    private Route() {}

    /** IPSKB_DOREDIRECT, include/net/ip.h: __mkroute_input asks ip_forward for a redirect. */
    public static final int IPSKB_DOREDIRECT = 32;

    /** An IGMP all-hosts group every up IPv4 interface has joined (ip_mc_up). */
    public static final int IGMP_ALL_HOSTS = 0xe0000001;

    /**
     * The outcome of an input route lookup.
     *
     * @param reason   null when routed; else the drop reason
     * @param rt       the route (skb_dst) when routed
     * @param error    for an RTN_UNREACHABLE route, the dst.error ip_error reads (EHOSTUNREACH...)
     */
    public record Input(SkbDropReason reason, RouteResult rt, int error) {
        static Input drop(SkbDropReason r) { return new Input(r, null, 0); }
    }

    /** The outcome of an output route lookup: the route, or an errno. */
    public record Output(RouteResult rt, int error) {}

    /**
     * ip_route_input_noref / ip_route_input_rcu, net/ipv4/route.c: multicast destinations go to
     * ip_route_input_mc when the host is a member, the rest to ip_route_input_slow.
     */
    public static Input ipRouteInputNoref(L3Host h, SkBuff skb, int daddr, int saddr, int tos, String dev) {
        if (!h.hasDev(dev)) return Input.drop(SkbDropReason.NOT_SPECIFIED);
        if (Inet.isMulticast(daddr)) {
            // ip_check_mc_rcu: the only group joined here is all-hosts (no multicast sockets, no mrouting).
            if (daddr != IGMP_ALL_HOSTS) return Input.drop(SkbDropReason.NOT_SPECIFIED);
            return ipRouteInputMc(h, skb, daddr, saddr, dev);
        }
        return ipRouteInputSlow(h, skb, daddr, saddr, tos, dev);
    }

    /** ip_route_input_mc + ip_mc_validate_source, net/ipv4/route.c. */
    static Input ipRouteInputMc(L3Host h, SkBuff skb, int daddr, int saddr, String dev) {
        // 1. Multicast or limited-broadcast sources are martians; a zero source only for IGMP.
        if (Inet.isMulticast(saddr) || Inet.isLbcast(saddr)) return Input.drop(SkbDropReason.IP_INVALID_SOURCE);
        if (Inet.isZeronet(saddr)) {
            if (!Inet.isLocalMulticast(daddr) || skb.protocol() != 0x0800) return Input.drop(SkbDropReason.IP_INVALID_SOURCE);
        } else {
            // 2. Loopback sources only with route_localnet; then fib_validate_source.
            if (Inet.isLoopback(saddr) && !h.sysctl().confOr(dev, SysctlRegistry.CONF_ROUTE_LOCALNET)) return Input.drop(SkbDropReason.IP_LOCALNET);
            int err = fibValidateSource(h, saddr, 0, null, dev);
            if (err < 0) return Input.drop(err == -Fib.EXDEV ? SkbDropReason.IP_RPFILTER : SkbDropReason.IP_LOCAL_SOURCE);
        }
        return new Input(null, new RouteResult(RouteResult.RTN_MULTICAST, "", 0, 0, 0, true), 0);
    }

    /**
     * ip_route_input_slow, net/ipv4/route.c: martian checks, fib_lookup, then local,
     * broadcast, forward or an RTN_UNREACHABLE route for ip_error.
     */
    public static Input ipRouteInputSlow(L3Host h, SkBuff skb, int daddr, int saddr, int tos, String dev) {
        Sysctls s = h.sysctl();
        // 1. The most weird martians, which fib_lookup would not catch: multicast/limited broadcast source.
        if (Inet.isMulticast(saddr) || Inet.isLbcast(saddr)) return Input.drop(SkbDropReason.IP_INVALID_SOURCE);
        // 2. Limited broadcast, or 0.0.0.0 -> 0.0.0.0 (a BOOTP client): broadcast input.
        if (Inet.isLbcast(daddr) || (saddr == 0 && daddr == 0)) return brdInput(h, skb, saddr, dev);
        // 3. Zero addresses are only accepted towards the limited broadcast.
        if (Inet.isZeronet(saddr)) return Input.drop(SkbDropReason.IP_INVALID_SOURCE);
        if (Inet.isZeronet(daddr)) return Input.drop(SkbDropReason.IP_INVALID_DEST);
        // 4. 127/8 on the wire only with route_localnet (IN_DEV_NET_ROUTE_LOCALNET).
        if (Inet.isLoopback(daddr)) {
            if (!s.confOr(dev, SysctlRegistry.CONF_ROUTE_LOCALNET)) return Input.drop(SkbDropReason.IP_LOCALNET);
        } else if (Inet.isLoopback(saddr)) {
            if (!s.confOr(dev, SysctlRegistry.CONF_ROUTE_LOCALNET)) return Input.drop(SkbDropReason.IP_LOCALNET);
        }
        // 5. fib_lookup. With no route a non-forwarding interface answers "host unreachable".
        Fib.Result res = h.fib().lookup(daddr);
        if (!res.ok()) {
            int err = h.forwarding(dev) ? res.error() : Fib.EHOSTUNREACH;
            return noRoute(err);
        }
        int type = res.type();
        // 6. Broadcast: forwarded only with bc_forwarding (IN_DEV_BFORWARD), else delivered.
        if (type == RouteResult.RTN_BROADCAST) {
            if (!s.confAnd(dev, SysctlRegistry.CONF_BC_FORWARDING)) return brdInput(h, skb, saddr, dev);
        } else if (type == RouteResult.RTN_LOCAL) {
            // 7. Local: the source must pass fib_validate_source.
            int err = fibValidateSource(h, saddr, daddr, null, dev);
            if (err < 0) return Input.drop(err == -Fib.EXDEV ? SkbDropReason.IP_RPFILTER : SkbDropReason.IP_LOCAL_SOURCE);
            return new Input(null, new RouteResult(RouteResult.RTN_LOCAL, "", 0, 0, daddr, true), 0);
        } else {
            // 8. Anything else is forwarded, if this interface forwards at all.
            if (!h.forwarding(dev)) return noRoute(Fib.EHOSTUNREACH);
            if (type != RouteResult.RTN_UNICAST) return Input.drop(SkbDropReason.IP_INVALID_DEST);
        }
        return mkrouteInput(h, skb, res.entry(), daddr, saddr, dev, type);
    }

    /** The no_route label: an RTN_UNREACHABLE route whose input is ip_error. */
    private static Input noRoute(int err) {
        return new Input(null, new RouteResult(RouteResult.RTN_UNREACHABLE, "", 0, 0, 0, true), err);
    }

    /** The brd_input label of ip_route_input_slow. */
    private static Input brdInput(L3Host h, SkBuff skb, int saddr, String dev) {
        if (skb.protocol() != 0x0800) return Input.drop(SkbDropReason.INVALID_PROTO);
        if (!Inet.isZeronet(saddr)) {
            int err = fibValidateSource(h, saddr, 0, null, dev);
            if (err < 0) return Input.drop(err == -Fib.EXDEV ? SkbDropReason.IP_RPFILTER : SkbDropReason.IP_LOCAL_SOURCE);
        }
        return new Input(null, new RouteResult(RouteResult.RTN_BROADCAST, "", 0, 0, 0, true), 0);
    }

    /**
     * __mkroute_input, net/ipv4/route.c: validates the source against the output device
     * and marks the skb for a redirect when it leaves by the interface it came in on
     * towards a sender on that link.
     */
    static Input mkrouteInput(L3Host h, SkBuff skb, Fib.Entry e, int daddr, int saddr, String dev) {
        return mkrouteInput(h, skb, e, daddr, saddr, dev, RouteResult.RTN_UNICAST);
    }

    /**
     * __mkroute_input with the FIB result's type: rt_dst_alloc(..., res-&gt;type, ...) keeps
     * RTN_BROADCAST for a directed broadcast forwarded under bc_forwarding (its dst.input is
     * ip_forward, and it is counted as broadcast on the way in and out).
     */
    static Input mkrouteInput(L3Host h, SkBuff skb, Fib.Entry e, int daddr, int saddr, String dev, int type) {
        String outDev = e.dev();
        int err = fibValidateSource(h, saddr, daddr, outDev, dev);
        if (err < 0) return Input.drop(err == -Fib.EXDEV ? SkbDropReason.IP_RPFILTER : SkbDropReason.IP_LOCAL_SOURCE);
        if (outDev.equals(dev) && err > 0 && h.sysctl().confOr(dev, SysctlRegistry.CONF_SEND_REDIRECTS)
                && skb.protocol() == 0x0800) {
            if (h.sysctl().confOr(dev, SysctlRegistry.CONF_SHARED_MEDIA) || addrOnlink(h, dev, saddr, e.gw())) {
                skb.cb().ipFlags |= IPSKB_DOREDIRECT;
            }
        }
        int gw = e.gw();
        int rtType = type == RouteResult.RTN_BROADCAST ? RouteResult.RTN_BROADCAST : RouteResult.RTN_UNICAST;
        return new Input(null, new RouteResult(rtType, outDev, gw, h.mtu(outDev), e.prefsrc(), true), 0);
    }

    /** inet_addr_onlink, net/ipv4/devinet.c: a and (if non-zero) b both on one subnet of dev. */
    static boolean addrOnlink(L3Host h, String dev, int a, int b) {
        for (HostConfig.IfAddress ifa : h.config().iface(dev).map(HostConfig.Interface::addresses).orElse(java.util.List.of())) {
            if (Inet.inPrefix(a, ifa.address(), ifa.prefixLen()) && (b == 0 || Inet.inPrefix(b, ifa.address(), ifa.prefixLen()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * fib_validate_source + __fib_validate_source, net/ipv4/fib_frontend.c: 0 when the source
     * is acceptable, 1 when it is also directly connected, -EINVAL for a martian source (one
     * of our own addresses without accept_local), -EXDEV when rp_filter rejects it.
     *
     * @param oif the output device of a forwarded packet, null for local delivery
     */
    public static int fibValidateSource(L3Host h, int src, int dst, String oif, String dev) {
        Sysctls s = h.sysctl();
        int rpf = s.confMax(dev, SysctlRegistry.CONF_RP_FILTER);
        boolean acceptLocal = s.confOr(dev, SysctlRegistry.CONF_ACCEPT_LOCAL);
        // 1. The fast path: no rp_filter, and not the redirect check of a packet going back out of dev.
        if (rpf == 0 && (oif == null || !oif.equals(dev) || !s.confOr(dev, SysctlRegistry.CONF_SEND_REDIRECTS))) {
            if (acceptLocal) return 0;
            if (h.config().ifaceWithAddress(src).isPresent()) return -Fib.EINVAL;
            return 0;
        }
        // 2. The full check: the reverse route to the source.
        boolean noAddr = h.config().iface(dev).map(i -> i.addresses().isEmpty()).orElse(true);
        Fib.Result res = h.fib().lookup(src);
        if (!res.ok()) return rpf != 0 ? -Fib.EXDEV : 0;
        Fib.Entry e = res.entry();
        if (e.type() != RouteResult.RTN_UNICAST && (e.type() != RouteResult.RTN_LOCAL || !acceptLocal)) return -Fib.EINVAL;
        if (e.dev().equals(dev)) return e.nhScope() >= Fib.RT_SCOPE_HOST ? 1 : 0;
        if (noAddr) return rpf != 0 ? -Fib.EXDEV : 0;
        // 3. Strict mode (1) wants the reverse route through dev; loose mode (2) any unicast route.
        if (rpf == 1) return -Fib.EXDEV;
        Fib.Result viaDev = h.fib().lookup(src, dev);
        if (viaDev.ok() && viaDev.type() == RouteResult.RTN_UNICAST && viaDev.entry().dev().equals(dev)) {
            return viaDev.entry().nhScope() >= Fib.RT_SCOPE_HOST ? 1 : 0;
        }
        return 0;
    }

    /**
     * ip_route_output_key / ip_route_output_key_hash_rcu, net/ipv4/route.c: the route of a
     * locally generated packet, with the source chosen when {@code saddr} is 0.
     */
    public static Output ipRouteOutputKey(L3Host h, int daddr, int saddr, String oif) {
        // 1. A given source must be one of ours (__ip_dev_find), and not a martian.
        if (saddr != 0) {
            if (Inet.isMulticast(saddr) || Inet.isLbcast(saddr) || Inet.isZeronet(saddr)) return new Output(null, Fib.EINVAL);
            if (h.config().ifaceWithAddress(saddr).isEmpty()
                    && !(Inet.isLoopback(saddr) && h.fib().inetAddrType(saddr, null) == RouteResult.RTN_LOCAL)) {
                return new Output(null, Fib.EINVAL);
            }
        }
        // 2. The limited broadcast and multicast need a device: the one owning saddr, or oif.
        if (Inet.isLbcast(daddr) || Inet.isMulticast(daddr)) {
            String dev = oif != null && !oif.isEmpty() ? oif
                    : saddr != 0 ? h.config().ifaceWithAddress(saddr).get().name() : null;
            if (dev != null) {
                int src = saddr != 0 ? saddr : inetSelectAddr(h, dev, daddr, Fib.RT_SCOPE_LINK);
                int type = Inet.isLbcast(daddr) ? RouteResult.RTN_BROADCAST : RouteResult.RTN_MULTICAST;
                return new Output(new RouteResult(type, dev, 0, h.mtu(dev), src, false), 0);
            }
        }
        // 3. fib_lookup; no route is ENETUNREACH.
        Fib.Result res = h.fib().lookup(daddr, oif);
        if (!res.ok()) return new Output(null, res.error() == Fib.EHOSTUNREACH || res.error() == Fib.EACCES ? res.error() : Fib.ENETUNREACH);
        Fib.Entry e = res.entry();
        if (e.type() == RouteResult.RTN_LOCAL) {
            // Local destinations leave through the loopback device.
            int src = saddr != 0 ? saddr : daddr;
            return new Output(new RouteResult(RouteResult.RTN_LOCAL, "lo", 0, 65536, src, false), 0);
        }
        // 4. Source selection: FIB_RES_PREFSRC (the route's src, else inet_select_addr on its device).
        int src = saddr;
        if (src == 0) {
            src = e.prefsrc() != 0 ? e.prefsrc() : inetSelectAddr(h, e.dev(), e.gw() != 0 ? e.gw() : daddr, e.scope());
        }
        // 5. __mkroute_output: a 127/8 source leaves a non-loopback device only with its route_localnet.
        if (Inet.isLoopback(src) && !h.sysctl().confOr(e.dev(), SysctlRegistry.CONF_ROUTE_LOCALNET)) return new Output(null, Fib.EINVAL);
        return new Output(new RouteResult(e.type(), e.dev(), e.gw(), h.mtu(e.dev()), src, false), 0);
    }

    /**
     * inet_select_addr, net/ipv4/devinet.c: the primary address of dev on dst's subnet, else
     * dev's first primary address, else a global address of any other device.
     */
    public static int inetSelectAddr(L3Host h, String dev, int dst, int scope) {
        int addr = 0;
        HostConfig.Interface itf = h.config().iface(dev).orElse(null);
        if (itf != null) {
            java.util.List<HostConfig.IfAddress> prim = new java.util.ArrayList<>();
            for (HostConfig.IfAddress ifa : itf.addresses()) {
                boolean secondary = prim.stream().anyMatch(p -> p.prefixLen() == ifa.prefixLen() && p.network() == ifa.network());
                if (secondary) continue;
                prim.add(ifa);
                if (dst == 0 || Inet.inPrefix(dst, ifa.address(), ifa.prefixLen())) return ifa.address();
                if (addr == 0) addr = ifa.address();
            }
        }
        if (addr != 0) return addr;
        for (HostConfig.Interface other : h.config().interfaces()) {
            if (!other.addresses().isEmpty()) return other.addresses().get(0).address();
        }
        return 0;
    }
}
