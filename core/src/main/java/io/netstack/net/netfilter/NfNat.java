package io.netstack.net.netfilter;

import io.netstack.skb.SkBuff;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

/**
 * Network address translation: nf_nat_core.c (nf_nat_setup_info, get_unique_tuple,
 * nf_nat_packet, nf_nat_alloc_null_binding), nf_nat_proto.c (nf_nat_ipv4_manip_pkt, the
 * TCP/UDP/ICMP manips, nf_nat_icmp_reply_translation).
 *
 * <p>A binding is made once per entry and manip type, on its first packet: DNAT at
 * PRE_ROUTING / LOCAL_OUT, SNAT at POST_ROUTING / LOCAL_IN. It changes the entry's reply
 * tuple; every later packet in either direction is rewritten to look like the inverse of the
 * other direction's tuple, with incremental checksum updates (RFC 1624).
 */
final class NfNat {
    private NfNat() {}

    /** enum nf_nat_manip_type */
    static final int MANIP_SRC = 0, MANIP_DST = 1;

    /** HOOK2MANIP: PRE_ROUTING and LOCAL_OUT change the destination, the others the source. */
    static int hook2manip(NfHook hook) {
        return hook == NfHook.PRE_ROUTING || hook == NfHook.LOCAL_OUT ? MANIP_DST : MANIP_SRC;
    }

    /** struct nf_nat_range2, reduced to one address range and one port range. */
    record Range(boolean ipSpecified, int minIp, int maxIp, boolean protoSpecified, int minPort, int maxPort) {}

    static boolean initialized(NfConntrack.Conn ct, int manip) {
        return manip == MANIP_SRC ? ct.srcNatDone : ct.dstNatDone;
    }

    /**
     * nf_nat_setup_info: binds the entry for {@code manip}. The tuple the packets will have
     * after the manip is chosen by get_unique_tuple; if it differs, the reply tuple becomes its
     * inverse and IPS_SRC_NAT / IPS_DST_NAT is set.
     */
    static void setupInfo(NfConntrack conntrack, NfConntrack.Conn ct, Range range, int manip, long now) {
        if (initialized(ct, manip)) return;
        // What the original packets look like after the manips already done.
        NfConntrack.Tuple curr = NfConntrack.invert(ct.reply());
        if (curr == null) curr = ct.original();
        NfConntrack.Tuple next = uniqueTuple(conntrack, ct, curr, range, manip, now);
        if (!next.equals(curr)) {
            NfConntrack.Tuple reply = NfConntrack.invert(next);
            if (reply != null) {
                conntrack.alterReply(ct, reply);
                if (manip == MANIP_SRC) ct.srcNat = true;
                else ct.dstNat = true;
            }
        }
        if (manip == MANIP_SRC) ct.srcNatDone = true;
        else ct.dstNatDone = true;
    }

    /** nf_nat_alloc_null_binding: no rule bound this manip; bind it to what it is. */
    static void nullBinding(NfConntrack conntrack, NfConntrack.Conn ct, NfHook hook, long now) {
        int manip = hook2manip(hook);
        int ip = manip == MANIP_SRC ? ct.reply().dst() : ct.reply().src();
        setupInfo(conntrack, ct, new Range(true, ip, ip, false, 0, 0), manip, now);
    }

    /**
     * get_unique_tuple, simplified: the first address of the range (the kernel hashes over a
     * range; a single address is what rules give in practice), the port kept when it is in
     * the range and the tuple is free, else the first free port of the range
     * (nf_nat_l4proto_unique_tuple starts at offset 0 for DNAT; for SNAT it starts at random,
     * which no deterministic emulation can repeat).
     */
    private static NfConntrack.Tuple uniqueTuple(NfConntrack conntrack, NfConntrack.Conn ct, NfConntrack.Tuple t,
                                                 Range range, int manip, long now) {
        boolean src = manip == MANIP_SRC;
        int addr = range.ipSpecified() ? range.minIp() : (src ? t.src() : t.dst());
        if (range.ipSpecified() && inRange(src ? t.src() : t.dst(), range)) addr = src ? t.src() : t.dst();
        NfConntrack.Tuple cand = with(t, src, addr, src ? t.sport() : t.dport());
        boolean ports = t.proto() == NfHeaders.IPPROTO_TCP || t.proto() == NfHeaders.IPPROTO_UDP
                || (t.proto() == NfHeaders.IPPROTO_ICMP && src);
        if (!ports) return cand;
        int port = src ? t.sport() : t.dport();
        int min, max;
        if (range.protoSpecified()) {
            min = range.minPort();
            max = range.maxPort();
            if (port >= min && port <= max && (min == max || !used(conntrack, ct, cand, now))) return cand;
        } else {
            if (!used(conntrack, ct, cand, now)) return cand;
            // The port class of the original: below 512, below 1024, or the rest.
            if (t.proto() == NfHeaders.IPPROTO_ICMP) {
                min = 0;
                max = 0xffff;
            } else if (port < 512) {
                min = 1;
                max = 511;
            } else if (port < 1024) {
                min = 600;
                max = 1023;
            } else {
                min = 1024;
                max = 65535;
            }
        }
        int size = max - min + 1;
        for (int i = 0; i < size; i++) {
            NfConntrack.Tuple c = with(t, src, addr, min + i);
            if (!used(conntrack, ct, c, now)) return c;
        }
        return cand;
    }

    private static boolean inRange(int a, Range r) {
        return Integer.compareUnsigned(a, r.minIp()) >= 0 && Integer.compareUnsigned(a, r.maxIp()) <= 0;
    }

    private static NfConntrack.Tuple with(NfConntrack.Tuple t, boolean src, int addr, int port) {
        return src ? new NfConntrack.Tuple(addr, t.dst(), t.proto(), port, t.dport())
                : new NfConntrack.Tuple(t.src(), addr, t.proto(), t.sport(), port);
    }

    /** nf_nat_used_tuple: would the reply of {@code t} be another entry's? */
    private static boolean used(NfConntrack conntrack, NfConntrack.Conn ct, NfConntrack.Tuple t, long now) {
        NfConntrack.Tuple reply = NfConntrack.invert(t);
        return reply != null && conntrack.tupleTaken(reply, ct, now);
    }

    /**
     * nf_nat_packet: rewrites the packet if the entry's status says this hook's manip applies
     * in the packet's direction (the reply direction undoes the other manip).
     */
    static boolean natPacket(NfConntrack.Conn ct, int ctinfo, NfHook hook, SkBuff skb) {
        int manip = hook2manip(hook);
        int dir = ctinfo >= NfConntrack.IP_CT_IS_REPLY ? NfConntrack.DIR_REPLY : NfConntrack.DIR_ORIGINAL;
        boolean statusbit = (manip == MANIP_SRC) ^ (dir == NfConntrack.DIR_REPLY) ? ct.srcNat : ct.dstNat;
        if (!statusbit) return true;
        // "We are aiming to look like inverse of other direction."
        NfConntrack.Tuple target = NfConntrack.invert(ct.tuple[1 - dir]);
        if (target == null) return true;
        return manipPkt(skb.head(), skb.data(), skb.data() + skb.len(), target, manip);
    }

    /**
     * nf_nat_ipv4_manip_pkt: the transport manip (ports and pseudo-header checksum) and then
     * the IPv4 address with its header checksum, for the IPv4 header at {@code iph}.
     */
    static boolean manipPkt(byte[] b, int iph, int end, NfConntrack.Tuple target, int manip) {
        if (end - iph < 20) return false;
        int hdroff = iph + NfHeaders.ihlBytes(b, iph);
        int proto = NfHeaders.protocol(b, iph);
        boolean first = NfHeaders.fragOff(b, iph) == 0;
        boolean src = manip == MANIP_SRC;
        int oldAddr = src ? NfHeaders.saddr(b, iph) : NfHeaders.daddr(b, iph);
        int newAddr = src ? target.src() : target.dst();
        if (first) {
            if (proto == NfHeaders.IPPROTO_TCP) tcpManip(b, hdroff, end, oldAddr, newAddr, src ? target.sport() : target.dport(), src);
            else if (proto == NfHeaders.IPPROTO_UDP) udpManip(b, hdroff, end, oldAddr, newAddr, src ? target.sport() : target.dport(), src);
            else if (proto == NfHeaders.IPPROTO_ICMP) icmpManip(b, hdroff, end, target.sport());
        }
        NfHeaders.setAddr(b, iph, src, newAddr);
        return true;
    }

    /** tcp_manip_pkt: only the ports when the header is cut short (inside an ICMP error). */
    private static void tcpManip(byte[] b, int th, int end, int oldAddr, int newAddr, int newPort, boolean src) {
        if (end - th < 8) return;
        int portOff = th + (src ? 0 : 2);
        int oldPort = Bytes.u16(b, portOff);
        Bytes.put16(b, portOff, newPort);
        if (end - th < 20) return;                        // hdrsize < sizeof(tcphdr): no checksum there
        int c = Bytes.u16(b, th + NfHeaders.TCP_CHECK);
        c = InetChecksum.replace32(c, oldAddr, newAddr);
        c = InetChecksum.replace16(c, oldPort, newPort);
        Bytes.put16(b, th + NfHeaders.TCP_CHECK, c);
    }

    /** udp_manip_pkt: a zero checksum (none) stays zero; a result of 0 is sent as 0xffff (CSUM_MANGLED_0). */
    private static void udpManip(byte[] b, int uh, int end, int oldAddr, int newAddr, int newPort, boolean src) {
        if (end - uh < 8) return;
        int portOff = uh + (src ? 0 : 2);
        int oldPort = Bytes.u16(b, portOff);
        Bytes.put16(b, portOff, newPort);
        int c = Bytes.u16(b, uh + NfHeaders.UDP_CHECK);
        if (c == 0) return;
        c = InetChecksum.replace32(c, oldAddr, newAddr);
        c = InetChecksum.replace16(c, oldPort, newPort);
        Bytes.put16(b, uh + NfHeaders.UDP_CHECK, c == 0 ? 0xffff : c);
    }

    /** icmp_manip_pkt: the echo id (tuple src.u.icmp.id) of an echo request or reply. */
    private static void icmpManip(byte[] b, int ih, int end, int id) {
        if (end - ih < 8) return;
        int type = NfHeaders.icmpType(b, ih);
        if (type != 0 && type != 8) return;
        int old = NfHeaders.icmpId(b, ih);
        if (old == id) return;
        Bytes.put16(b, ih + 4, id);
        Bytes.put16(b, ih + NfHeaders.ICMP_CHECK, InetChecksum.replace16(Bytes.u16(b, ih + NfHeaders.ICMP_CHECK), old, id));
    }

    /**
     * nf_nat_icmp_reply_translation: an ICMP error RELATED to a NATed flow. The quoted packet
     * is translated as the flow's packets were (inverse manip on the inner header), the ICMP
     * checksum is computed again, and the outer header is made to look like a reply.
     */
    static boolean icmpReplyTranslation(SkBuff skb, NfConntrack.Conn ct, int ctinfo, NfHook hook) {
        byte[] b = skb.head();
        int ip = skb.data();
        int end = ip + skb.len();
        int hdrlen = NfHeaders.ihlBytes(b, ip);
        int ih = ip + hdrlen;
        if (end - ih < 8 + 20) return false;
        int manip = hook2manip(hook);
        int dir = ctinfo >= NfConntrack.IP_CT_IS_REPLY ? NfConntrack.DIR_REPLY : NfConntrack.DIR_ORIGINAL;
        if (NfHeaders.icmpType(b, ih) == 5) {
            // Redirects are only let through untranslated flows.
            if (!(ct.srcNatDone && ct.dstNatDone)) return false;
            if (ct.srcNat || ct.dstNat) return false;
        }
        boolean statusbit = (manip == MANIP_SRC) ^ (dir == NfConntrack.DIR_REPLY) ? ct.srcNat : ct.dstNat;
        if (!statusbit) return true;
        // 1. The quoted packet: it travelled in the other direction, so the other manip applies.
        if (!manipPkt(b, ih + 8, end, ct.tuple[1 - dir], 1 - manip)) return false;
        // 2. The ICMP checksum over the whole message.
        Bytes.put16(b, ih + NfHeaders.ICMP_CHECK, 0);
        Bytes.put16(b, ih + NfHeaders.ICMP_CHECK, InetChecksum.compute(b, ih, end - ih));
        // 3. The outer header: like a reply to the flow.
        NfConntrack.Tuple inv = NfConntrack.invert(ct.tuple[1 - dir]);
        if (inv == null) {
            NfConntrack.Tuple o = ct.tuple[1 - dir];
            inv = new NfConntrack.Tuple(o.dst(), o.src(), o.proto(), o.dport(), o.sport());
        }
        NfConntrack.Tuple outer = new NfConntrack.Tuple(inv.src(), inv.dst(), NfHeaders.IPPROTO_ICMP, 0, 0);
        boolean src = manip == MANIP_SRC;
        NfHeaders.setAddr(b, ip, src, src ? outer.src() : outer.dst());
        return true;
    }
}
