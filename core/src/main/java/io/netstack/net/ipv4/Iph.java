package io.netstack.net.ipv4;

import io.netstack.skb.SkBuff;

/**
 * ip_hdr(skb), include/linux/ip.h: the few struct iphdr fields the transport layer reads,
 * straight from the bytes at skb->network_header (l3 validated the header before it
 * delivered the packet). Offsets as in RFC 791.
 */
final class Iph {
    private Iph() {}

    static final int LEN = 20;
    static final int TOS = 1;
    static final int TOT_LEN = 2;
    static final int FRAG_OFF = 6;
    static final int TTL = 8;
    static final int PROTOCOL = 9;
    static final int SADDR = 12;
    static final int DADDR = 16;
    /** IP_OFFSET: the fragment offset bits of frag_off. */
    static final int IP_OFFSET = 0x1fff;
    /** IPTOS_TOS_MASK, include/uapi/linux/ip.h */
    static final int IPTOS_TOS_MASK = 0x1e;
    /** IPTOS_PREC_INTERNETCONTROL */
    static final int IPTOS_PREC_INTERNETCONTROL = 0xc0;
    /** INET_ECN_MASK, include/net/inet_ecn.h */
    static final int INET_ECN_MASK = 0x03;

    static int ihl(SkBuff skb) { return (skb.u8(skb.networkHeader()) & 0x0f) * 4; }
    static int tos(SkBuff skb) { return skb.u8(skb.networkHeader() + TOS); }
    static int fragOff(SkBuff skb) { return skb.u16(skb.networkHeader() + FRAG_OFF); }
    static int protocol(SkBuff skb) { return skb.u8(skb.networkHeader() + PROTOCOL); }
    static int saddr(SkBuff skb) { return skb.u32(skb.networkHeader() + SADDR); }
    static int daddr(SkBuff skb) { return skb.u32(skb.networkHeader() + DADDR); }

    /** Is there a whole IPv4 header at network_header (the first check of __icmp_send)? */
    static boolean present(SkBuff skb) {
        return skb.networkHeader() >= 0 && skb.networkHeader() + LEN <= skb.tail();
    }
}
