package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.skb.RouteResult;
import io.netstack.net.core.Skbuff;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.IcmpHeader;
import io.netstack.wire.Inet;

import java.util.HashMap;
import java.util.Map;

/**
 * net/ipv4/icmp.c for one host: icmp_rcv and its handlers (the icmp_pointers table),
 * icmp_reply, and icmp_send with its rate limits.
 *
 * <p>Time is {@code ctx.nowNanos()} read as jiffies with HZ = 1000 (1 jiffy = 1 ms), so the
 * millisecond sysctls (icmp_ratelimit) are jiffies as they are in a HZ=1000 kernel.
 *
 * <p>Not emulated: xfrm, PROBE (RFC 8335) replies
 * (icmp_echo_enable_probe is honoured as off), the route MTU below 576 when quoting.
 */
public final class Icmp implements java.io.Serializable {

    /** HZ: jiffies per second in this emulation. */
    static final long HZ = 1000;
    /** XRLIM_BURST_FACTOR, net/ipv4/inetpeer.c */
    static final int XRLIM_BURST_FACTOR = 6;
    /** NR_ICMP_UNREACH: the highest code of ICMP_DEST_UNREACH. */
    static final int NR_ICMP_UNREACH = 15;

    private volatile HostConfig host;

    // icmp_global (per netns since 6.x): a token bucket of icmp_msgs_per_sec / icmp_msgs_burst.
    // It starts empty with a stamp long past, so the first call refills it to the burst.
    private int globalCredit = 0;
    private long globalStamp = Long.MIN_VALUE / 2;
    // inet_peer: rate_tokens and rate_last per destination.
    private final Map<Integer, long[]> peers = new HashMap<>();

    public Icmp(HostConfig host) {
        this.host = host;
    }

    public HostConfig host() { return host; }

    /** New parameters for a running host: the rate-limit buckets (icmp_global, inet_peer) stay. */
    public void reconfigure(HostConfig next) { this.host = next; }

    private int sysctl(SysctlRegistry.Int k) { return host.sysctl().get(k); }

    /**
     * The time the rate limits read, in ns: when the skb that provoked the message arrived
     * (skb->tstamp, stamped by netif_rx), as on a real host that answers microseconds later;
     * the visit's clock for an skb with no stamp. Set by icmpReply and icmpSend before they ask.
     */
    private long rateNanos;

    private long jiffies() { return Math.floorDiv(rateNanos, 1_000_000L); }

    // ------------------------------------------------------------------------------------------
    // Receive
    // ------------------------------------------------------------------------------------------

    /**
     * icmp_rcv, net/ipv4/icmp.c: checksum, per-type counters, the broadcast rules, then the
     * handler of icmp_pointers[type]. Data at the ICMP header; gives the skb its fate.
     */
    public void icmpRcv(LayerContext ctx, SkBuff skb) {
        ctx.trace(skb, "icmp_rcv");
        RouteResult rt = skb.cb().route;
        // 1. Every message is counted, even a bad one.
        ctx.count(skb, Snmp.IcmpInMsgs);
        // 2. skb_checksum_simple_validate: the whole message sums to zero.
        if (InetChecksum0.bad(skb)) {
            ctx.count(skb, Snmp.IcmpInCsumErrors);
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.drop(skb, SkbDropReason.ICMP_CSUM);
            return;
        }
        // 3. pskb_pull(sizeof(struct icmphdr)).
        if (!skb.mayPull(IcmpHeader.LEN)) {
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        IcmpHeader icmph = new IcmpHeader(skb.head(), skb.data());
        skb.setTransportHeader(skb.data());
        skb.pull(IcmpHeader.LEN);
        int type = icmph.type();
        // 4. ICMPMSGIN_INC_STATS: IcmpMsgInType<N>, for any type, and the named counter.
        countMsg(ctx, skb.netns(), type, true);
        // 5. RFC 8335 PROBE and its reply are handled before the range check.
        if (type == IcmpHeader.ICMP_EXT_ECHO) {
            // icmp_echo -> icmp_build_probe: nothing sent while icmp_echo_enable_probe is 0.
            ctx.trace(skb, "icmp_echo");
            if (sysctl(SysctlRegistry.ICMP_ECHO_ENABLE_PROBE) != 0) ctx.trace(skb, "icmp_build_probe:not_emulated");
            ctx.consume(skb);
            return;
        }
        if (type == IcmpHeader.ICMP_EXT_ECHOREPLY) {
            pingRcv(ctx, skb);
            return;
        }
        // 6. RFC 1122 3.2.2: unknown types are discarded, and counted as errors.
        if (type > IcmpHeader.NR_ICMP_TYPES) {
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.drop(skb, SkbDropReason.UNHANDLED_PROTO);
            return;
        }
        // 7. To a broadcast or multicast address: only echo, timestamp and address mask,
        //    and echo/timestamp only if icmp_echo_ignore_broadcasts is off (RFC 1122 3.2.2.6/8).
        //    Both refusals go through icmp_rcv's error label, so they count IcmpInErrors.
        if (rt != null && (rt.rtType() == RouteResult.RTN_BROADCAST || rt.rtType() == RouteResult.RTN_MULTICAST)) {
            if ((type == IcmpHeader.ICMP_ECHO || type == IcmpHeader.ICMP_TIMESTAMP)
                    && sysctl(SysctlRegistry.ICMP_ECHO_IGNORE_BROADCASTS) != 0) {
                ctx.count(skb, Snmp.IcmpInErrors);
                ctx.drop(skb, SkbDropReason.INVALID_PROTO);
                return;
            }
            if (type != IcmpHeader.ICMP_ECHO && type != IcmpHeader.ICMP_TIMESTAMP
                    && type != IcmpHeader.ICMP_ADDRESS && type != IcmpHeader.ICMP_ADDRESSREPLY) {
                ctx.count(skb, Snmp.IcmpInErrors);
                ctx.drop(skb, SkbDropReason.INVALID_PROTO);
                return;
            }
        }
        // 8. icmp_pointers[type].handler
        switch (type) {
            case IcmpHeader.ICMP_ECHOREPLY:
                pingRcv(ctx, skb);
                return;
            case IcmpHeader.ICMP_DEST_UNREACH:
            case IcmpHeader.ICMP_SOURCE_QUENCH:
            case IcmpHeader.ICMP_TIME_EXCEEDED:
            case IcmpHeader.ICMP_PARAMETERPROB:
                icmpUnreach(ctx, skb, icmph);
                return;
            case IcmpHeader.ICMP_REDIRECT:
                icmpRedirect(ctx, skb);
                return;
            case IcmpHeader.ICMP_ECHO:
                icmpEcho(ctx, skb, icmph);
                return;
            case IcmpHeader.ICMP_TIMESTAMP:
                icmpTimestamp(ctx, skb, icmph);
                return;
            default:
                // icmp_discard: "pretend it was a success" (types 1, 2, 6, 7, 9, 10, 14..18).
                ctx.trace(skb, "icmp_discard");
                ctx.consume(skb);
        }
    }

    /** ping_rcv, net/ipv4/ping.c: no ping socket is ever open here, so the reply has no taker. */
    void pingRcv(LayerContext ctx, SkBuff skb) {
        ctx.trace(skb, "ping_rcv");
        ctx.drop(skb, SkbDropReason.NO_SOCKET);
    }

    /**
     * icmp_unreach, net/ipv4/icmp.c: validates the quoted header and passes the error to the
     * transport's err_handler (udp_err, tcp_v4_err). No emulated socket is connected, so the
     * handlers change nothing; the checks and their counters are Linux's.
     */
    void icmpUnreach(LayerContext ctx, SkBuff skb, IcmpHeader icmph) {
        ctx.trace(skb, "icmp_unreach");
        // 1. Incomplete quoted IP header.
        if (!skb.mayPull(Iph.LEN)) {
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        int quoted = skb.data();
        int ihl = (skb.u8(quoted) & 0x0f);
        // 2. Mangled header.
        if (ihl < 5) {
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.drop(skb, SkbDropReason.IP_INHDR);
            return;
        }
        int type = icmph.type();
        int code = icmph.code();
        // 3. Codes Linux does not know and expired reassembly are not passed on.
        if (type == IcmpHeader.ICMP_DEST_UNREACH && code > NR_ICMP_UNREACH) {
            ctx.consume(skb);
            return;
        }
        if (type == IcmpHeader.ICMP_TIME_EXCEEDED && code == IcmpHeader.ICMP_EXC_FRAGTIME) {
            ctx.consume(skb);
            return;
        }
        // 4. icmp_ignore_bogus_error_responses: errors about a broadcast are ignored when it is 0...
        int innerDaddr = skb.u32(quoted + Iph.DADDR);
        if (sysctl(SysctlRegistry.ICMP_IGNORE_BOGUS_ERROR_RESPONSES) == 0 && isBroadcastFor(skb.dev(), innerDaddr)) {
            ctx.consume(skb);
            return;
        }
        icmpSocketDeliver(ctx, skb);
    }

    /** icmp_socket_deliver: the quoted IP header plus 8 bytes must be there. */
    private void icmpSocketDeliver(LayerContext ctx, SkBuff skb) {
        ctx.trace(skb, "icmp_socket_deliver");
        int ihl = (skb.u8(skb.data()) & 0x0f) * 4;
        if (!skb.mayPull(ihl + 8)) {
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.consume(skb);
            return;
        }
        // raw_icmp_error: no raw socket. Then the quoted protocol's err_handler, which looks up
        // the socket that sent the quoted packet (its source is ours) and counts IcmpInErrors
        // when there is none: __udp4_lib_err (net/ipv4/udp.c), tcp_v4_err (net/ipv4/tcp_ipv4.c,
        // established sockets only: the emulation has none at this point). icmp_err/ping_err
        // and protocols without a handler count nothing.
        int q = skb.data();
        int proto = skb.u8(q + 9);
        int innerSaddr = skb.u32(q + Iph.SADDR);
        int innerSport = skb.u16(q + ihl);
        if (proto == 17 && !udpSocketBound(innerSaddr, innerSport)) {
            ctx.count(skb, Snmp.IcmpInErrors);
        } else if (proto == 6) {
            ctx.count(skb, Snmp.IcmpInErrors);
        }
        ctx.consume(skb);
    }

    /** __udp4_lib_lookup as __udp4_lib_err calls it: an unconnected socket bound to (addr or 0.0.0.0):port. */
    private boolean udpSocketBound(int addr, int port) {
        for (HostConfig.SocketSpec sp : host.sockets()) {
            if ("udp".equals(sp.proto()) && sp.port() == port && (sp.addr() == 0 || sp.addr() == addr)) return true;
        }
        return false;
    }

    /** icmp_redirect, net/ipv4/icmp.c */
    void icmpRedirect(LayerContext ctx, SkBuff skb) {
        ctx.trace(skb, "icmp_redirect");
        if (skb.len() < Iph.LEN) {
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.drop(skb, SkbDropReason.PKT_TOO_SMALL);
            return;
        }
        icmpSocketDeliver(ctx, skb);
    }

    /**
     * icmp_echo, net/ipv4/icmp.c: the request's header with type ECHOREPLY and all its data,
     * unless icmp_echo_ignore_all (then consumed, with no counter: "should there be an ICMP
     * stat for ignored echos?").
     */
    void icmpEcho(LayerContext ctx, SkBuff skb, IcmpHeader icmph) {
        ctx.trace(skb, "icmp_echo");
        if (sysctl(SysctlRegistry.ICMP_ECHO_IGNORE_ALL) != 0) {
            ctx.consume(skb);
            return;
        }
        byte[] msg = new byte[IcmpHeader.LEN + skb.len()];
        System.arraycopy(skb.head(), skb.transportHeader(), msg, 0, IcmpHeader.LEN);
        System.arraycopy(skb.head(), skb.data(), msg, IcmpHeader.LEN, skb.len());
        msg[IcmpHeader.TYPE] = (byte) IcmpHeader.ICMP_ECHOREPLY;
        icmpReply(ctx, skb, msg);
        ctx.consume(skb);
    }

    /**
     * icmp_timestamp, net/ipv4/icmp.c: the reply carries the request's originate time and the
     * receive and transmit times (ms since midnight UT, inet_current_timestamp), no data.
     */
    void icmpTimestamp(LayerContext ctx, SkBuff skb, IcmpHeader icmph) {
        ctx.trace(skb, "icmp_timestamp");
        if (skb.len() < 4) {
            ctx.count(skb, Snmp.IcmpInErrors);
            ctx.drop(skb, SkbDropReason.PKT_TOO_SMALL);
            return;
        }
        byte[] msg = new byte[IcmpHeader.LEN + 12];
        System.arraycopy(skb.head(), skb.transportHeader(), msg, 0, IcmpHeader.LEN);
        msg[IcmpHeader.TYPE] = (byte) IcmpHeader.ICMP_TIMESTAMPREPLY;
        msg[IcmpHeader.CODE] = 0;
        System.arraycopy(skb.head(), skb.data(), msg, IcmpHeader.LEN, 4);
        int now = inetCurrentTimestamp(ctx);
        io.netstack.wire.Bytes.put32(msg, IcmpHeader.LEN + 4, now);
        io.netstack.wire.Bytes.put32(msg, IcmpHeader.LEN + 8, now);
        icmpReply(ctx, skb, msg);
        ctx.consume(skb);
    }

    /** inet_current_timestamp, net/ipv4/af_inet.c: ms since midnight UT, from the stack's clock. */
    static int inetCurrentTimestamp(LayerContext ctx) {
        return (int) Math.floorMod(Math.floorDiv(ctx.nowNanos(), 1_000_000L), 86_400_000L);
    }

    /**
     * icmp_reply, net/ipv4/icmp.c: the reply to an echo or timestamp goes back to the sender
     * with the request's TOS, from fib_compute_spec_dst (the request's destination when it was
     * local unicast; otherwise left to routing), after the global and per-peer rate limits.
     */
    private void icmpReply(LayerContext ctx, SkBuff skb, byte[] msg) {
        ctx.trace(skb, "icmp_reply");
        int type = msg[IcmpHeader.TYPE] & 0xff;
        int code = msg[IcmpHeader.CODE] & 0xff;
        boolean[] applyRatelimit = new boolean[1];
        rateNanos = Skbuff.arrivalNanos(skb, ctx);
        if (!icmpv4GlobalAllow(ctx, skb.netns(), type, code, applyRatelimit)) return;
        int daddr = Iph.saddr(skb);
        if (!icmpv4XrlimAllow(ctx, skb.netns(), daddr, type, code, applyRatelimit[0])) return;
        RouteResult rt = skb.cb().route;
        int saddr = rt != null && rt.rtType() == RouteResult.RTN_LOCAL ? Iph.daddr(skb) : 0;
        // ip_options_echo: the request's options, turned round; -EINVAL means no reply.
        IpOptions.Echo opts = IpOptions.echo(host, skb.head(), skb.networkHeader(), skb.cb().ipOptFlags);
        if (opts == null) return;
        SkBuff reply = build(ctx, skb, msg, saddr, daddr, Iph.tos(skb));
        withOptions(reply, opts);
        // __ip_make_skb (net/ipv4/ip_output.c) counts the ICMP control socket's output by
        // fl4->fl4_icmp_type, which icmp_reply leaves 0 (memset, never set): a timestamp reply
        // is counted as IcmpOutEchoReps / IcmpMsgOutType0 (seen on Linux 6.18).
        icmpOutCount(ctx, skb.netns(), 0);
        ctx.enqueue(KernelQueue.IP_LOCAL_OUT, reply);
    }

    // ------------------------------------------------------------------------------------------
    // Send an error
    // ------------------------------------------------------------------------------------------

    /**
     * icmp_send (__icmp_send, net/ipv4/icmp.c): the ICMP error about {@code skbIn}, built as
     * Linux builds it, or null when Linux sends none (an error about an error, a broadcast,
     * a non-first fragment, rate limited). Counts IcmpOutMsgs and the per-type counters.
     *
     * <p>{@code skbIn}'s network header must point at its IPv4 header. The result is
     * allocated through {@code ctx} as spawned by skbIn and has the shape of
     * {@link io.netstack.stack.KernelQueue#IP_LOCAL_OUT}.
     *
     * @param info the next-hop MTU for fragmentation needed, the gateway for a redirect,
     *             the pointer for a parameter problem; 0 otherwise
     */
    public SkBuff icmpSend(LayerContext ctx, SkBuff skbIn, int type, int code, int info) {
        ctx.trace(skbIn, "__icmp_send");
        RouteResult rt = skbIn.cb().route;
        // 1. No route, no ICMP.
        if (rt == null) return null;
        // 2. The original header must be there.
        if (!Iph.present(skbIn)) return null;
        // 3. No replies to physical multicast/broadcast (RFC 1122 3.2.2).
        if (skbIn.pktType() != io.netstack.skb.PktType.PACKET_HOST) return null;
        // 4. ...nor to an IP broadcast or multicast.
        if (rt.rtType() == RouteResult.RTN_BROADCAST || rt.rtType() == RouteResult.RTN_MULTICAST) return null;
        // 5. Only about fragment 0.
        if ((Iph.fragOff(skbIn) & Iph.IP_OFFSET) != 0) return null;
        // 6. Never an error about an ICMP error (an unknown or unreadable type counts as an error).
        if (IcmpHeader.isError(type) && Iph.protocol(skbIn) == 1) {
            int itp = skbIn.networkHeader() + Iph.ihl(skbIn) + IcmpHeader.TYPE;
            if (itp >= skbIn.tail()) return null;
            int inner = skbIn.u8(itp);
            if (IcmpHeader.isError(inner)) return null;
        }
        // 7. The global limit (icmp_msgs_per_sec), not for packets that came in on loopback.
        boolean[] applyRatelimit = new boolean[1];
        boolean fromLoopback = "lo".equals(skbIn.dev()) || "lo".equals(skbIn.iif());
        rateNanos = Skbuff.arrivalNanos(skbIn, ctx);
        if (!fromLoopback && !icmpv4GlobalAllow(ctx, skbIn.netns(), type, code, applyRatelimit)) return null;
        // 8. Source: the offending packet's destination if it was ours; else the inbound
        //    interface's address (icmp_errors_use_inbound_ifaddr) or what routing picks (0).
        int iphSaddr = Iph.saddr(skbIn);
        int saddr = Iph.daddr(skbIn);
        if (rt.rtType() != RouteResult.RTN_LOCAL) {
            saddr = 0;
            String iif = !skbIn.iif().isEmpty() ? skbIn.iif() : skbIn.dev();
            if (rt.input() && sysctl(SysctlRegistry.ICMP_ERRORS_USE_INBOUND_IFADDR) != 0) {
                saddr = inetSelectAddr(iif, iphSaddr);
            }
        }
        // 9. TOS: the precedence of internetwork control for errors (RFC 1812 4.3.2.5).
        int tos = IcmpHeader.isError(type)
                ? (Iph.tos(skbIn) & Iph.IPTOS_TOS_MASK) | Iph.IPTOS_PREC_INTERNETCONTROL
                : Iph.tos(skbIn);
        // 10. The per-destination limit (icmp_ratelimit, inet_peer_xrlim_allow).
        if (!icmpv4XrlimAllow(ctx, skbIn.netns(), iphSaddr, type, code, applyRatelimit[0])) return null;
        // 11. ip_options_echo: the offending packet's options, turned round (-EINVAL: none sent).
        IpOptions.Echo opts = IpOptions.echo(host, skbIn.head(), skbIn.networkHeader(), skbIn.cb().ipOptFlags);
        if (opts == null) return null;
        // 12. Quote as much as fits in 576 bytes (RFC 1812 4.3.2.3): room after IP (with the
        //     options) and ICMP headers.
        int room = 576 - Iph.LEN - opts.optlen() - IcmpHeader.LEN;
        int dataLen = Math.min(skbIn.tail() - skbIn.networkHeader(), room);
        byte[] msg = new byte[IcmpHeader.LEN + dataLen];
        msg[IcmpHeader.TYPE] = (byte) type;
        msg[IcmpHeader.CODE] = (byte) code;
        io.netstack.wire.Bytes.put32(msg, IcmpHeader.REST, info);
        System.arraycopy(skbIn.head(), skbIn.networkHeader(), msg, IcmpHeader.LEN, dataLen);
        SkBuff out = build(ctx, skbIn, msg, saddr, iphSaddr, tos);
        withOptions(out, opts);
        icmpOutCount(ctx, skbIn.netns(), type);
        return out;
    }

    /**
     * The echoed options onto the reply's cb for ip_options_build. A reversed source route
     * sends the reply to its first hop (faddr; icmp_reply / __icmp_send set daddr so) and
     * carries the real destination in its last slot, which is written here.
     */
    private static void withOptions(SkBuff reply, IpOptions.Echo opts) {
        if (opts.optlen() == 0) return;
        byte[] o = opts.data().clone();
        int flags = opts.flags();
        int srr = IpOptions.srr(flags);
        if (srr != 0) {
            int at = srr - Iph.LEN;
            io.netstack.wire.Bytes.put32(o, at + (o[at + 1] & 0xff) - 4, reply.cb().daddr);
            reply.cb().daddr = opts.faddr();
            flags &= ~0xff;
        }
        reply.cb().ipOptions = o;
        reply.cb().ipOptFlags = flags;
    }

    /** inet_select_addr(dev, dst, RT_SCOPE_LINK): the device's address on dst's subnet, else its first. */
    int inetSelectAddr(String dev, int dst) {
        return host.iface(dev).map(i -> {
            for (HostConfig.IfAddress a : i.addresses()) {
                if (Inet.inPrefix(dst, a.address(), a.prefixLen())) return a.address();
            }
            return i.addresses().isEmpty() ? 0 : i.addresses().get(0).address();
        }).orElse(0);
    }

    private boolean isBroadcastFor(String dev, int addr) {
        if (Inet.isLbcast(addr)) return true;
        for (HostConfig.Interface i : host.interfaces()) {
            for (HostConfig.IfAddress a : i.addresses()) {
                if (a.broadcast() == addr) return true;
            }
        }
        return false;
    }

    /** The reply skb on IP_LOCAL_OUT: data at the ICMP header, checksum filled. */
    private static SkBuff build(LayerContext ctx, SkBuff parent, byte[] msg, int saddr, int daddr, int tos) {
        SkBuff out = ctx.allocSkb(parent.netns(), parent, SkBuff.DEFAULT_HEADROOM, msg.length);
        int at = out.put(msg.length);
        System.arraycopy(msg, 0, out.head(), at, msg.length);
        out.setTransportHeader(at);
        new IcmpHeader(out.head(), at).fillChecksum(msg.length);
        out.cb().saddr = saddr;
        out.cb().daddr = daddr;
        out.cb().ipProtocol = 1;
        out.cb().tos = tos;
        out.cb().ttl = 0;
        // The per-cpu ICMP socket has pmtudisc IP_PMTUDISC_DONT: no DF.
        out.cb().df = false;
        ctx.trace(out, "icmp_push_reply");
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // Counters and rate limits
    // ------------------------------------------------------------------------------------------

    /** icmp_out_count: ICMPMSGOUT_INC_STATS and ICMP_MIB_OUTMSGS. */
    void icmpOutCount(LayerContext ctx, String netns, int type) {
        countMsg(ctx, netns, type, false);
        ctx.count(netns, Snmp.IcmpOutMsgs, 1);
    }

    /** ICMPMSGIN/OUT_INC_STATS: IcmpMsg{In,Out}Type&lt;N&gt;, and the Icmp line's per-type column (icmpmibmap, net/ipv4/proc.c). */
    static void countMsg(LayerContext ctx, String netns, int type, boolean in) {
        ctx.count(netns, in ? Snmp.icmpMsgInType(type) : Snmp.icmpMsgOutType(type), 1);
        String name = icmpMibName(type, in);
        if (name != null) ctx.count(netns, name, 1);
    }

    /** icmpmibmap, net/ipv4/proc.c: the Icmp line's column of a type, received or sent; null for none. */
    static String icmpMibName(int type, boolean in) {
        switch (type) {
            case 0: return in ? Snmp.IcmpInEchoReps : Snmp.IcmpOutEchoReps;
            case 3: return in ? Snmp.IcmpInDestUnreachs : Snmp.IcmpOutDestUnreachs;
            case 4: return in ? Snmp.IcmpInSrcQuenchs : Snmp.IcmpOutSrcQuenchs;
            case 5: return in ? Snmp.IcmpInRedirects : Snmp.IcmpOutRedirects;
            case 8: return in ? Snmp.IcmpInEchos : Snmp.IcmpOutEchos;
            case 11: return in ? Snmp.IcmpInTimeExcds : Snmp.IcmpOutTimeExcds;
            case 12: return in ? Snmp.IcmpInParmProbs : Snmp.IcmpOutParmProbs;
            case 13: return in ? Snmp.IcmpInTimestamps : Snmp.IcmpOutTimestamps;
            case 14: return in ? Snmp.IcmpInTimestampReps : Snmp.IcmpOutTimestampReps;
            case 17: return in ? Snmp.IcmpInAddrMasks : Snmp.IcmpOutAddrMasks;
            case 18: return in ? Snmp.IcmpInAddrMaskReps : Snmp.IcmpOutAddrMaskReps;
            default: return null;
        }
    }

    /** icmpv4_mask_allow: types outside icmp_ratemask, unknown types and PMTU discovery are never limited. */
    boolean icmpv4MaskAllow(int type, int code) {
        if (type > IcmpHeader.NR_ICMP_TYPES) return true;
        if (type == IcmpHeader.ICMP_DEST_UNREACH && code == IcmpHeader.ICMP_FRAG_NEEDED) return true;
        return ((1 << type) & sysctl(SysctlRegistry.ICMP_RATEMASK)) == 0;
    }

    /**
     * icmpv4_global_allow: a masked-out type passes without limit; otherwise icmp_global_allow
     * must find credit, and the per-peer limit applies later (the 6.12+ order).
     */
    boolean icmpv4GlobalAllow(LayerContext ctx, String netns, int type, int code, boolean[] applyRatelimit) {
        if (icmpv4MaskAllow(type, code)) return true;
        if (icmpGlobalAllow(ctx)) {
            applyRatelimit[0] = true;
            return true;
        }
        ctx.count(netns, Snmp.IcmpOutRateLimitGlobal, 1);
        return false;
    }

    /** icmp_global_allow: credit left, or refill at icmp_msgs_per_sec at most every HZ/50, capped by icmp_msgs_burst. */
    boolean icmpGlobalAllow(LayerContext ctx) {
        int burst = sysctl(SysctlRegistry.ICMP_MSGS_BURST);
        if (globalCredit > 0) return true;
        long now = jiffies();
        long delta = Math.min(now - globalStamp, HZ);
        if (delta < HZ / 50) return false;
        long incr = sysctl(SysctlRegistry.ICMP_MSGS_PER_SEC) * delta / HZ;
        if (incr == 0) return false;
        globalStamp = now;
        globalCredit = (int) Math.min(globalCredit + incr, burst);
        return true;
    }

    /**
     * icmpv4_xrlim_allow: the per-destination token bucket (inet_peer_xrlim_allow with
     * icmp_ratelimit); on success the global credit is consumed (icmp_global_consume takes
     * a random 0..2 credits; this takes the mean, 1, to stay repeatable).
     */
    boolean icmpv4XrlimAllow(LayerContext ctx, String netns, int daddr, int type, int code, boolean applyRatelimit) {
        if (!applyRatelimit) return true;
        boolean rc = inetPeerXrlimAllow(daddr, jiffies(), sysctl(SysctlRegistry.ICMP_RATELIMIT));
        if (!rc) {
            ctx.count(netns, Snmp.IcmpOutRateLimitHost, 1);
        } else {
            globalCredit -= 1;
        }
        return rc;
    }

    /** inet_peer_xrlim_allow, net/ipv4/inetpeer.c; a new peer starts as if last used 60 s ago. */
    boolean inetPeerXrlimAllow(int daddr, long now, int timeout) {
        long[] p = peers.computeIfAbsent(daddr, d -> new long[]{0, now - 60 * HZ});
        long token = p[0];
        long delta = now - p[1];
        if (delta != 0) {
            p[1] = now;
            token += delta;
            if (token > (long) XRLIM_BURST_FACTOR * timeout) token = (long) XRLIM_BURST_FACTOR * timeout;
        }
        boolean rc = false;
        if (token >= timeout) {
            token -= timeout;
            rc = true;
        }
        p[0] = token;
        return rc;
    }

    /** skb_checksum_simple_validate over the bytes from data to tail. */
    static final class InetChecksum0 implements java.io.Serializable {
        private InetChecksum0() {}
        static boolean bad(SkBuff skb) {
            return io.netstack.wire.InetChecksum.compute(skb.head(), skb.data(), skb.len()) != 0;
        }
    }
}
