package io.netstack.net.netfilter;

import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

/**
 * The header fields netfilter reads and writes, at absolute offsets into an skb's head.
 * Kept in one place so the shared header views (Ipv4Header, TcpHeader, ...) can replace it.
 *
 * <pre>
 *  IPv4 (RFC 791)                          TCP (RFC 793)            UDP (RFC 768)     ICMP (RFC 792)
 *  0  version/ihl  1 tos  2 tot_len        0 sport  2 dport         0 sport 2 dport   0 type 1 code
 *  4  id           6 frag_off              4 seq    8 ack           4 len   6 check   2 check
 *  8  ttl          9 protocol 10 check     12 doff  13 flags        8 ...             4 id 6 seq
 *  12 saddr        16 daddr                14 window 16 check 18 urg
 * </pre>
 */
final class NfHeaders {
    private NfHeaders() {}

    static final int IPPROTO_ICMP = 1;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_UDP = 17;

    static final int IP_MF = 0x2000;
    static final int IP_DF = 0x4000;
    static final int IP_OFFSET = 0x1fff;

    static final int TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10,
            TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80;

    // --- IPv4 -----------------------------------------------------------------------------
    static int ihlBytes(byte[] b, int ip) { return (b[ip] & 0x0f) * 4; }
    static int totLen(byte[] b, int ip) { return Bytes.u16(b, ip + 2); }
    static int fragOff(byte[] b, int ip) { return Bytes.u16(b, ip + 6) & IP_OFFSET; }
    static int protocol(byte[] b, int ip) { return Bytes.u8(b, ip + 9); }
    static int saddr(byte[] b, int ip) { return Bytes.u32(b, ip + 12); }
    static int daddr(byte[] b, int ip) { return Bytes.u32(b, ip + 16); }

    /** Rewrites saddr (src true) or daddr with csum_replace4 on the header checksum. */
    static void setAddr(byte[] b, int ip, boolean src, int addr) {
        int off = ip + (src ? 12 : 16);
        int old = Bytes.u32(b, off);
        Bytes.put32(b, off, addr);
        Bytes.put16(b, ip + 10, InetChecksum.replace32(Bytes.u16(b, ip + 10), old, addr));
    }

    // --- TCP / UDP ports (same place in both) ---------------------------------------------
    static int sport(byte[] b, int th) { return Bytes.u16(b, th); }
    static int dport(byte[] b, int th) { return Bytes.u16(b, th + 2); }

    // --- TCP --------------------------------------------------------------------------------
    static int tcpSeq(byte[] b, int th) { return Bytes.u32(b, th + 4); }
    static int tcpAck(byte[] b, int th) { return Bytes.u32(b, th + 8); }
    static int tcpDoffBytes(byte[] b, int th) { return ((b[th + 12] & 0xff) >>> 4) * 4; }
    static int tcpFlags(byte[] b, int th) { return Bytes.u8(b, th + 13); }
    static int tcpWindow(byte[] b, int th) { return Bytes.u16(b, th + 14); }
    static final int TCP_CHECK = 16;
    static final int UDP_CHECK = 6;
    static final int ICMP_CHECK = 2;

    // --- ICMP -------------------------------------------------------------------------------
    static int icmpType(byte[] b, int ih) { return Bytes.u8(b, ih); }
    static int icmpCode(byte[] b, int ih) { return Bytes.u8(b, ih + 1); }
    static int icmpId(byte[] b, int ih) { return Bytes.u16(b, ih + 4); }

    /**
     * nf_ip_checksum for a received packet (CHECKSUM_NONE: offloads are off): true when the
     * transport checksum over [th, end) is wrong. UDP with checksum 0 is fine.
     */
    static boolean badChecksum(byte[] b, int ip, int th, int end, int proto) {
        int len = end - th;
        if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
            if (proto == IPPROTO_UDP && len >= 8 && Bytes.u16(b, th + UDP_CHECK) == 0) return false;
            return InetChecksum.transport(saddr(b, ip), daddr(b, ip), proto, b, th, len) != 0;
        }
        return InetChecksum.compute(b, th, len) != 0;
    }
}
