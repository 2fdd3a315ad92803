package io.netstack.net.core;

import io.netstack.net.ethernet.Eth;
import io.netstack.skb.SkBuff;

/**
 * net/core/flow_dissector.c: the flow hash that RPS (and here the emulated RSS) spreads
 * flows over CPUs with, and that keys a record on the backlog topic.
 */
public final class FlowDissector {
    private FlowDissector() {}

    /**
     * hashrnd: the kernel seeds the hash at random once per boot (net_get_random_once); a
     * fixed seed keeps a replay repeatable. No conformance result depends on the value.
     */
    static final int HASHRND = 0x6e657473; // "nets"

    /** include/linux/jhash.h: JHASH_INITVAL */
    private static final int JHASH_INITVAL = 0xdeadbeef;

    private static final int IPPROTO_TCP = 6;
    private static final int IPPROTO_UDP = 17;
    private static final int IPPROTO_DCCP = 33;
    private static final int IPPROTO_SCTP = 132;
    private static final int IPPROTO_UDPLITE = 136;

    /**
     * skb_get_hash / __skb_get_hash, net/core/flow_dissector.c: a stable hash of the flow.
     * Reads the frame from skb->data, where eth_type_trans left it, with skb->protocol.
     *
     * <ol>
     * <li>VLAN tags (802.1Q / 802.1ad) are skipped to the inner protocol, as the dissector does.
     * <li>IPv4: source and destination address, the protocol and, for TCP, UDP, UDP-Lite,
     *     SCTP and DCCP, the ports; never the ports of a fragment (skb_get_hash does not pass
     *     FLOW_DISSECTOR_F_PARSE_1ST_FRAG), so every fragment of a datagram hashes alike and
     *     lands on one CPU, where it is reassembled.
     * <li>__flow_hash_consistentify: the lower address (then port) goes first, so both
     *     directions of a connection hash alike.
     * <li>Anything else: the Ethernet addresses and the protocol (the kernel's dissector
     *     sees only n_proto there; the MACs spread such flows a little better).
     * <li>A hash of 0 means "not computed" in sk_buff, so 0 becomes 1.
     * </ol>
     */
    public static int skbGetHash(SkBuff skb) {
        byte[] b = skb.head();
        int off = skb.data();
        int end = skb.tail();
        int proto = skb.protocol();
        for (int tags = 0; tags < 2 && Eth.ethTypeVlan(proto) && end - off >= 4; tags++) {
            proto = u16(b, off + 2);
            off += 4;
        }
        int hash;
        if (proto == Eth.ETH_P_IP && end - off >= 20 && (b[off] & 0xf0) == 0x40) {
            int ihl = (b[off] & 0x0f) * 4;
            int ipProto = b[off + 9] & 0xff;
            int saddr = u32(b, off + 12);
            int daddr = u32(b, off + 16);
            int fragOff = u16(b, off + 6);
            boolean fragment = (fragOff & 0x3fff) != 0; // MF or an offset: ip_is_fragment
            int sport = 0;
            int dport = 0;
            if (!fragment && ihl >= 20 && end - off >= ihl + 4 && hasPorts(ipProto)) {
                sport = u16(b, off + ihl);
                dport = u16(b, off + ihl + 2);
            }
            // __flow_hash_consistentify
            if (Integer.compareUnsigned(daddr, saddr) < 0 || (daddr == saddr && dport < sport)) {
                int t = saddr; saddr = daddr; daddr = t;
                t = sport; sport = dport; dport = t;
            }
            hash = jhash3Words(saddr, daddr, (sport << 16) | dport, HASHRND ^ ipProto);
        } else {
            int mac = skb.macHeader() >= 0 ? skb.macHeader() : off;
            int w1 = 0;
            int w2 = 0;
            int w3 = 0;
            if (mac + 12 <= b.length) {
                w1 = u32(b, mac);
                w2 = u32(b, mac + 4);
                w3 = u32(b, mac + 8);
            }
            hash = jhash3Words(w1 ^ w3, w2, proto, HASHRND);
        }
        return hash == 0 ? 1 : hash;
    }

    private static boolean hasPorts(int ipProto) {
        return ipProto == IPPROTO_TCP || ipProto == IPPROTO_UDP || ipProto == IPPROTO_UDPLITE
                || ipProto == IPPROTO_SCTP || ipProto == IPPROTO_DCCP;
    }

    /** jhash_3words, include/linux/jhash.h (Bob Jenkins' lookup3 final mix). */
    static int jhash3Words(int a, int b, int c, int initval) {
        a += JHASH_INITVAL;
        b += JHASH_INITVAL;
        c += initval;
        // __jhash_final
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }

    private static int u16(byte[] b, int off) { return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff); }

    private static int u32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }
}
