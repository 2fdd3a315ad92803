package io.netstack.net.netfilter;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.net.ipv4.Icmp;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.stack.LayerContext;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

/**
 * The REJECT target's replies: ipt_REJECT.c (reject_tg) and nf_reject_ipv4.c (nf_send_unreach,
 * nf_send_reset). Each returns the reply in the shape of KernelQueue.IP_LOCAL_OUT, or null
 * when Linux sends none; the packet itself is dropped either way.
 */
final class NfReject {
    private NfReject() {}

    /** nf_send_unreach: an ICMP destination unreachable through icmp_send. */
    static SkBuff sendUnreach(HostConfig host, SkBuff oldskb, int code, NfHook hook, LayerContext ctx) {
        ctx.trace(oldskb, "nf_send_unreach");
        byte[] b = oldskb.head();
        int ip = oldskb.data();
        int end = ip + oldskb.len();
        // 1. Never about a non-first fragment.
        if (NfHeaders.fragOff(b, ip) != 0) return null;
        // 2. Not about a packet whose checksum is bad (nf_reject_verify_csum + nf_ip_checksum);
        //    UDP without checksum and locally built packets (CHECKSUM_PARTIAL) are not checked.
        int proto = NfHeaders.protocol(b, ip);
        int th = ip + NfHeaders.ihlBytes(b, ip);
        if (received(hook, oldskb) && verifyCsum(b, th, end, proto) && NfHeaders.badChecksum(b, ip, th, end, proto)) return null;
        if (oldskb.networkHeader() < 0) oldskb.setNetworkHeader(ip);
        return new Icmp(host).icmpSend(ctx, oldskb, 3, code, 0);
    }

    /** nf_reject_verify_csum: protocols whose checksum covers the whole payload with the Internet checksum. */
    private static boolean verifyCsum(byte[] b, int th, int end, int proto) {
        if (proto == NfHeaders.IPPROTO_UDP) return end - th >= 8 && Bytes.u16(b, th + NfHeaders.UDP_CHECK) != 0;
        // GRE, AH, ESP, SCTP, UDPLITE, DCCP: other integrity checks.
        return proto != 47 && proto != 51 && proto != 50 && proto != 132 && proto != 136 && proto != 33;
    }

    /** The packet came from the wire: its checksum is unchecked (CHECKSUM_NONE, offloads off). */
    private static boolean received(NfHook hook, SkBuff skb) {
        return hook == NfHook.PRE_ROUTING || hook == NfHook.LOCAL_IN || hook == NfHook.FORWARD
                || (hook == NfHook.POST_ROUTING && !skb.iif().isEmpty());
    }

    /**
     * nf_send_reset: a TCP RST answering the segment (nf_reject_ip_tcphdr_get,
     * nf_reject_iphdr_put, nf_reject_ip_tcphdr_put). Returns null for a fragment, a non-TCP
     * packet, a short header, a RST, a bad checksum or a broadcast / multicast route.
     *
     * <p>The reply: source and destination swapped, DF, id 0 (ip_select_ident without a
     * socket), TTL ip4_dst_hoplimit (ip_default_ttl), tos 0. If the segment had ACK the RST
     * has seq = its ack_seq and no ACK; else seq 0 and ack = seq + SYN + FIN + payload length.
     */
    static SkBuff sendReset(HostConfig host, SkBuff oldskb, NfHook hook, LayerContext ctx) {
        ctx.trace(oldskb, "nf_send_reset");
        byte[] b = oldskb.head();
        int ip = oldskb.data();
        int end = ip + oldskb.len();
        // 1. nf_reject_ip_tcphdr_get
        if (NfHeaders.fragOff(b, ip) != 0) return null;
        if (NfHeaders.protocol(b, ip) != NfHeaders.IPPROTO_TCP) return null;
        int ihl = NfHeaders.ihlBytes(b, ip);
        int th = ip + ihl;
        if (end - th < 20) return null;
        int flags = NfHeaders.tcpFlags(b, th);
        if ((flags & NfHeaders.TCP_RST) != 0) return null;                     // no RST for a RST
        if (received(hook, oldskb) && NfHeaders.badChecksum(b, ip, th, end, NfHeaders.IPPROTO_TCP)) return null;
        // 2. Not to a broadcast or multicast (rt_flags RTCF_BROADCAST | RTCF_MULTICAST).
        RouteResult rt = oldskb.cb().route;
        if (rt != null && (rt.rtType() == RouteResult.RTN_BROADCAST || rt.rtType() == RouteResult.RTN_MULTICAST)) return null;

        int saddr = NfHeaders.daddr(b, ip);
        int daddr = NfHeaders.saddr(b, ip);
        SkBuff nskb = ctx.allocSkb(oldskb.netns(), oldskb, SkBuff.DEFAULT_HEADROOM, 20);
        int t = nskb.put(20);
        nskb.resetTransportHeader();
        byte[] n = nskb.head();
        // 3. nf_reject_ip_tcphdr_put
        Bytes.put16(n, t, NfHeaders.dport(b, th));
        Bytes.put16(n, t + 2, NfHeaders.sport(b, th));
        n[t + 12] = (byte) (5 << 4);
        int rflags = NfHeaders.TCP_RST;
        if ((flags & NfHeaders.TCP_ACK) != 0) {
            Bytes.put32(n, t + 4, NfHeaders.tcpAck(b, th));
        } else {
            int payload = oldskb.len() - ihl - NfHeaders.tcpDoffBytes(b, th);
            int ack = NfHeaders.tcpSeq(b, th) + ((flags & NfHeaders.TCP_SYN) != 0 ? 1 : 0)
                    + ((flags & NfHeaders.TCP_FIN) != 0 ? 1 : 0) + payload;
            Bytes.put32(n, t + 8, ack);
            rflags |= NfHeaders.TCP_ACK;
        }
        n[t + 13] = (byte) rflags;
        Bytes.put16(n, t + NfHeaders.TCP_CHECK, InetChecksum.transport(saddr, daddr, NfHeaders.IPPROTO_TCP, n, t, 20));
        // 4. The IPv4 header l3 builds from the cb (nf_reject_iphdr_put's values).
        nskb.cb().saddr = saddr;
        nskb.cb().daddr = daddr;
        nskb.cb().ipProtocol = NfHeaders.IPPROTO_TCP;
        nskb.cb().tos = 0;
        nskb.cb().ttl = host.sysctl().get(SysctlRegistry.IP_DEFAULT_TTL);
        nskb.cb().df = true;
        nskb.cb().sport = NfHeaders.dport(b, th);
        nskb.cb().dport = NfHeaders.sport(b, th);
        nskb.setProtocol(0x0800);
        ctx.trace(nskb, "nf_send_reset");
        return nskb;
    }
}
