package io.netstack.fuzz;

import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Frame builders for the fuzz test (Ethernet, 802.1Q, ARP, IPv4, UDP, TCP, ICMP), the
 * locating of the headers inside a possibly damaged frame, and the recomputing of its
 * checksums. Everything tolerates any bytes: a frame too short for a header is left alone.
 */
final class Frames {
    private Frames() {}

    // The host of fuzz/host.yaml and its peers.
    static final byte[] OUR_MAC = {0x02, 0, 0, 0, 0, 0x01};
    static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, (byte) 0x99};
    static final byte[] STALE_MAC = {0x02, 0, 0, 0, 0, 0x07};
    static final byte[] OTHER_MAC = {0x02, 0, 0, 0, 0, 0x42};
    static final byte[] BROADCAST_MAC = {-1, -1, -1, -1, -1, -1};
    static final byte[] ZERO_MAC = new byte[6];
    static final int OUR_IP = 0xc0000202;      // 192.0.2.2
    static final int PEER_IP = 0xc0000201;     // 192.0.2.1, permanent neighbour and gateway
    static final int STALE_IP = 0xc0000207;    // 192.0.2.7, stale neighbour
    static final int SUBNET_BCAST = 0xc00002ff;
    static final int OFFLINK_IP = 0xc6336407;  // 198.51.100.7, behind the gateway
    static final int UDP_PORT = 5353;
    static final int TCP_PORT = 80;

    static final int ETH_HLEN = 14;
    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_ARP = 0x0806;
    static final int ETH_P_IPV6 = 0x86dd;
    static final int ETH_P_8021Q = 0x8100;
    static final int ETH_P_8021AD = 0x88a8;
    static final int IPPROTO_ICMP = 1;
    static final int IPPROTO_IGMP = 2;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_UDP = 17;
    static final int IP_DF = 0x4000;
    static final int IP_MF = 0x2000;
    static final int TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20;

    // --- builders ------------------------------------------------------------------------------

    static byte[] eth(byte[] dst, byte[] src, int type, byte[] payload) {
        byte[] f = new byte[ETH_HLEN + payload.length];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        Bytes.put16(f, 12, type);
        System.arraycopy(payload, 0, f, ETH_HLEN, payload.length);
        return f;
    }

    /** Inserts an 802.1Q (or 802.1ad) tag right after the MAC addresses. */
    static byte[] tag(byte[] frame, int tpid, int tci) {
        byte[] f = new byte[frame.length + 4];
        System.arraycopy(frame, 0, f, 0, 12);
        Bytes.put16(f, 12, tpid);
        Bytes.put16(f, 14, tci);
        System.arraycopy(frame, 12, f, 16, frame.length - 12);
        return f;
    }

    static byte[] arp(int op, byte[] sha, int spa, byte[] tha, int tpa) {
        byte[] a = new byte[28];
        Bytes.put16(a, 0, 1);          // ARPHRD_ETHER
        Bytes.put16(a, 2, ETH_P_IP);
        a[4] = 6;
        a[5] = 4;
        Bytes.put16(a, 6, op);
        System.arraycopy(sha, 0, a, 8, 6);
        Bytes.put32(a, 14, spa);
        System.arraycopy(tha, 0, a, 18, 6);
        Bytes.put32(a, 24, tpa);
        return a;
    }

    /** An IPv4 packet with a valid header checksum; {@code fragField} holds the flags and the offset in 8-byte units. */
    static byte[] ipv4(int src, int dst, int proto, int id, int fragField, int ttl, byte[] options, byte[] payload) {
        int hl = 20 + options.length;
        if (hl % 4 != 0 || hl > 60) throw new IllegalArgumentException("options " + options.length);
        byte[] p = new byte[hl + payload.length];
        p[0] = (byte) (0x40 | hl / 4);
        Bytes.put16(p, 2, p.length);
        Bytes.put16(p, 4, id);
        Bytes.put16(p, 6, fragField);
        p[8] = (byte) ttl;
        p[9] = (byte) proto;
        Bytes.put32(p, 12, src);
        Bytes.put32(p, 16, dst);
        System.arraycopy(options, 0, p, 20, options.length);
        System.arraycopy(payload, 0, p, hl, payload.length);
        Bytes.put16(p, 10, InetChecksum.compute(p, 0, hl));
        return p;
    }

    static byte[] ipv4(int src, int dst, int proto, byte[] payload) {
        return ipv4(src, dst, proto, 0x1234, 0, 64, new byte[0], payload);
    }

    static byte[] udp(int src, int dst, int sport, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        Bytes.put16(u, 0, sport);
        Bytes.put16(u, 2, dport);
        Bytes.put16(u, 4, u.length);
        System.arraycopy(data, 0, u, 8, data.length);
        int c = InetChecksum.transport(src, dst, IPPROTO_UDP, u, 0, u.length);
        Bytes.put16(u, 6, c == 0 ? 0xffff : c);
        return u;
    }

    static byte[] tcp(int src, int dst, int sport, int dport, int seq, int ack, int flags, int window,
                      byte[] options, byte[] data) {
        int hl = 20 + options.length;
        if (hl % 4 != 0 || hl > 60) throw new IllegalArgumentException("options " + options.length);
        byte[] t = new byte[hl + data.length];
        Bytes.put16(t, 0, sport);
        Bytes.put16(t, 2, dport);
        Bytes.put32(t, 4, seq);
        Bytes.put32(t, 8, ack);
        t[12] = (byte) ((hl / 4) << 4);
        t[13] = (byte) flags;
        Bytes.put16(t, 14, window);
        System.arraycopy(options, 0, t, 20, options.length);
        System.arraycopy(data, 0, t, hl, data.length);
        Bytes.put16(t, 16, InetChecksum.transport(src, dst, IPPROTO_TCP, t, 0, t.length));
        return t;
    }

    /** MSS 1460, SACK permitted, timestamps, NOP, window scale 7: what Linux puts on a SYN. */
    static final byte[] SYN_OPTIONS = {
            2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0, 1, 3, 3, 7};

    static byte[] icmp(int type, int code, int rest, byte[] data) {
        byte[] m = new byte[8 + data.length];
        m[0] = (byte) type;
        m[1] = (byte) code;
        Bytes.put32(m, 4, rest);
        System.arraycopy(data, 0, m, 8, data.length);
        Bytes.put16(m, 2, InetChecksum.compute(m, 0, m.length));
        return m;
    }

    static byte[] ipFrame(byte[] dstMac, byte[] ip) {
        return eth(dstMac, PEER_MAC, ETH_P_IP, ip);
    }

    /** Splits an IPv4 packet (header without options) into fragments of at most {@code chunk} payload bytes (a multiple of 8). */
    static List<byte[]> fragment(byte[] packet, int chunk) {
        int hl = (packet[0] & 0x0f) * 4;
        int src = Bytes.u32(packet, 12), dst = Bytes.u32(packet, 16);
        int proto = Bytes.u8(packet, 9), id = Bytes.u16(packet, 4);
        List<byte[]> out = new ArrayList<>();
        int total = packet.length - hl;
        for (int off = 0; off < total; off += chunk) {
            int n = Math.min(chunk, total - off);
            byte[] part = new byte[n];
            System.arraycopy(packet, hl + off, part, 0, n);
            int field = (off / 8) | (off + n < total ? IP_MF : 0);
            out.add(ipv4(src, dst, proto, id, field, 64, new byte[0], part));
        }
        return out;
    }

    static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (fill + i);
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    // --- locating headers ----------------------------------------------------------------------

    /**
     * Where the network header of a frame starts, after the Ethernet header and any VLAN tags,
     * and its EtherType; offset -1 for a frame too short for an Ethernet header.
     */
    record L3(int offset, int ethType) {}

    static L3 l3(byte[] f) {
        if (f.length < ETH_HLEN) return new L3(-1, -1);
        int off = 12;
        int type = Bytes.u16(f, off);
        while ((type == ETH_P_8021Q || type == ETH_P_8021AD) && off + 6 + 2 <= f.length) {
            off += 4;
            type = Bytes.u16(f, off);
        }
        return new L3(off + 2, type);
    }

    /** The IPv4 header of a frame, if the frame holds at least 20 bytes of one; else -1. */
    static int ipv4Offset(byte[] f) {
        L3 l3 = l3(f);
        return l3.ethType() == ETH_P_IP && l3.offset() + 20 <= f.length ? l3.offset() : -1;
    }

    /** The transport header of an IPv4 frame whose IHL fits the frame; else -1. */
    static int l4Offset(byte[] f) {
        int ip = ipv4Offset(f);
        if (ip < 0) return -1;
        int ihl = (f[ip] & 0x0f) * 4;
        return ihl >= 20 && ip + ihl <= f.length ? ip + ihl : -1;
    }

    static boolean isFragment(byte[] f, int ip) {
        return (Bytes.u16(f, ip + 6) & (IP_MF | 0x1fff)) != 0;
    }

    // --- checksums -----------------------------------------------------------------------------

    /**
     * Recomputes the IPv4 header checksum and, for an unfragmented TCP / UDP / ICMP packet, the
     * transport checksum over the payload as far as total length and frame allow; so that a
     * mutated frame passes the checksum checks and reaches the code behind them.
     */
    static void fixChecksums(byte[] f) {
        int ip = ipv4Offset(f);
        if (ip < 0) return;
        int ihl = (f[ip] & 0x0f) * 4;
        if (ihl < 20 || ip + ihl > f.length) return;
        Bytes.put16(f, ip + 10, 0);
        Bytes.put16(f, ip + 10, InetChecksum.compute(f, ip, ihl));
        if (isFragment(f, ip)) return;
        int totalLen = Bytes.u16(f, ip + 2);
        if (totalLen < ihl) return;
        int l4 = ip + ihl;
        int len = Math.min(totalLen, f.length - ip) - ihl;
        int src = Bytes.u32(f, ip + 12), dst = Bytes.u32(f, ip + 16);
        int proto = Bytes.u8(f, ip + 9);
        if (proto == IPPROTO_UDP && len >= 8) {
            Bytes.put16(f, l4 + 6, 0);
            int c = InetChecksum.transport(src, dst, IPPROTO_UDP, f, l4, len);
            Bytes.put16(f, l4 + 6, c == 0 ? 0xffff : c);
        } else if (proto == IPPROTO_TCP && len >= 20) {
            Bytes.put16(f, l4 + 16, 0);
            Bytes.put16(f, l4 + 16, InetChecksum.transport(src, dst, IPPROTO_TCP, f, l4, len));
        } else if ((proto == IPPROTO_ICMP || proto == IPPROTO_IGMP) && len >= 4) {
            Bytes.put16(f, l4 + 2, 0);
            Bytes.put16(f, l4 + 2, InetChecksum.compute(f, l4, len));
        }
    }

    /** Makes the IPv4 total length (and a UDP length) agree with the frame, as a sender would. */
    static void fixLengths(byte[] f) {
        int ip = ipv4Offset(f);
        if (ip < 0) return;
        int len = Math.min(f.length - ip, 0xffff);
        Bytes.put16(f, ip + 2, len);
        int l4 = l4Offset(f);
        if (l4 >= 0 && Bytes.u8(f, ip + 9) == IPPROTO_UDP && !isFragment(f, ip) && l4 + 8 <= f.length) {
            Bytes.put16(f, l4 + 4, Math.min(len - (l4 - ip), 0xffff));
        }
    }

    static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
