package io.netstack.fuzz;

import io.netstack.wire.Bytes;

import java.util.Arrays;
import java.util.SplittableRandom;

import static io.netstack.fuzz.Frames.*;

/**
 * Mutations of a frame: blind ones (bit flips, byte sets, truncation, extension, splices)
 * and field-aware ones that edit one header field to a value the parsers must cope with
 * (EtherType, VLAN tags, IPv4 version / IHL / total length / flags / fragment offset /
 * protocol / checksum / addresses / options, UDP and TCP ports, lengths, flags, data offset,
 * options, ICMP type and code, ARP fields). A field-aware mutation of a header the frame does
 * not have falls back to a bit flip. Never returns a frame longer than {@link #MAX_LEN}.
 */
final class Mutator {

    static final int MAX_LEN = 1600;
    private static final int[] INTERESTING8 = {0, 1, 2, 4, 5, 6, 0x0f, 0x10, 0x3f, 0x40, 0x45, 0x7f, 0x80, 0xfe, 0xff};
    private static final int[] INTERESTING16 = {0, 1, 7, 8, 19, 20, 21, 28, 40, 59, 60, 64, 576, 1480, 1500, 1514,
            0x7fff, 0x8000, 0xfffe, 0xffff};
    private static final int[] ETHERTYPES = {ETH_P_IP, ETH_P_IP, ETH_P_ARP, ETH_P_IPV6, ETH_P_8021Q, ETH_P_8021AD,
            0x9100, 0x0000, 0x05dc, 0x05ff, 0x0600, 0x8035, 0x88cc, 0x8847, 0xffff};
    private static final int[] PROTOCOLS = {IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IGMP, 0, 4, 41, 47, 50, 132, 255};
    private static final int[] ADDRESSES = {OUR_IP, OUR_IP, PEER_IP, STALE_IP, SUBNET_BCAST, 0xffffffff, 0, 0x7f000001,
            0xe0000001, 0xe00000fb, 0xc0000200, OFFLINK_IP, 0xa9fe0001, 0xf0000001};
    private static final int[] PORTS = {UDP_PORT, TCP_PORT, 0, 7, 9, 53, 67, 68, 81, 1023, 40000, 65535};
    private static final int[] TCP_FLAGS = {TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_RST, TCP_RST | TCP_ACK,
            TCP_FIN | TCP_ACK, TCP_SYN | TCP_FIN, TCP_SYN | TCP_RST, TCP_PSH | TCP_ACK, TCP_URG | TCP_ACK, 0, 0xff, 0x3f};
    private static final int[] ICMP_TYPES = {0, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 42, 255};

    private final SeedFrames.Seed[] seeds;

    Mutator(SeedFrames.Seed[] seeds) {
        this.seeds = seeds;
    }

    /** A mutated copy of {@code frame}: {@code count} mutations in a row. */
    byte[] mutate(byte[] frame, int count, SplittableRandom r, StringBuilder what) {
        byte[] f = frame;
        for (int i = 0; i < count; i++) {
            f = mutateOnce(f, r, what);
            if (f.length > MAX_LEN) f = Arrays.copyOf(f, MAX_LEN);
        }
        return f;
    }

    private byte[] mutateOnce(byte[] in, SplittableRandom r, StringBuilder what) {
        byte[] f = in.clone();
        int kind = r.nextInt(20);
        switch (kind) {
            case 0: return note(what, "bitflip", bitFlips(f, r));
            case 1: return note(what, "byteset", byteSets(f, r));
            case 2: return note(what, "truncate", f.length == 0 ? f : Arrays.copyOf(f, r.nextInt(f.length)));
            case 3: return note(what, "extend", extend(f, r));
            case 4: return note(what, "splice", splice(f, r));
            case 5: return note(what, "dstmac", dstMac(f, r));
            case 6: return note(what, "ethertype", etherType(f, r));
            case 7: return note(what, "vlan", vlan(f, r));
            case 8: return note(what, "ip.ver/ihl", ipVersionIhl(f, r));
            case 9: return note(what, "ip.totlen", ipField16(f, r, 2));
            case 10: return note(what, "ip.frag", ipFrag(f, r));
            case 11: return note(what, "ip.proto", ipProto(f, r));
            case 12: return note(what, "ip.addr/ttl/tos/csum", ipMisc(f, r));
            case 13: return note(what, "ip.options", ipOptions(f, r));
            case 14: return note(what, "udp", udp(f, r));
            case 15:
            case 16: return note(what, "tcp", tcp(f, r));
            case 17: return note(what, "icmp", icmpTypeCode(f, r));
            case 18: return note(what, "arp", arp(f, r));
            default: return note(what, "insdel", insertDelete(f, r));
        }
    }

    private static byte[] note(StringBuilder what, String name, byte[] f) {
        if (what.length() > 0) what.append(',');
        what.append(name);
        return f;
    }

    // --- blind ---------------------------------------------------------------------------------

    private static byte[] bitFlips(byte[] f, SplittableRandom r) {
        if (f.length == 0) return f;
        int n = 1 + r.nextInt(8);
        for (int i = 0; i < n; i++) {
            int bit = r.nextInt(f.length * 8);
            f[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        return f;
    }

    private static byte[] byteSets(byte[] f, SplittableRandom r) {
        if (f.length == 0) return f;
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            f[r.nextInt(f.length)] = (byte) (r.nextBoolean() ? pick(INTERESTING8, r) : r.nextInt(256));
        }
        return f;
    }

    private static byte[] extend(byte[] f, SplittableRandom r) {
        int n = 1 + r.nextInt(r.nextBoolean() ? 8 : 200);
        byte[] g = Arrays.copyOf(f, f.length + n);
        if (r.nextBoolean()) {
            for (int i = f.length; i < g.length; i++) g[i] = (byte) r.nextInt(256);
        }
        return g;
    }

    private static byte[] insertDelete(byte[] f, SplittableRandom r) {
        if (f.length == 0) return extend(f, r);
        int at = r.nextInt(f.length);
        int n = 1 + r.nextInt(16);
        if (r.nextBoolean()) {
            int end = Math.min(f.length, at + n);
            byte[] g = new byte[f.length - (end - at)];
            System.arraycopy(f, 0, g, 0, at);
            System.arraycopy(f, end, g, at, f.length - end);
            return g;
        }
        byte[] g = new byte[f.length + n];
        System.arraycopy(f, 0, g, 0, at);
        for (int i = at; i < at + n; i++) g[i] = (byte) r.nextInt(256);
        System.arraycopy(f, at, g, at + n, f.length - at);
        return g;
    }

    /** The head of this frame, the tail of another seed frame. */
    private byte[] splice(byte[] f, SplittableRandom r) {
        byte[] other = seeds[r.nextInt(seeds.length)].frame();
        int cut = f.length == 0 ? 0 : r.nextInt(f.length + 1);
        int from = other.length == 0 ? 0 : r.nextInt(other.length + 1);
        return Frames.concat(Arrays.copyOf(f, cut), Arrays.copyOfRange(other, from, other.length));
    }

    // --- Ethernet ------------------------------------------------------------------------------

    private static byte[] dstMac(byte[] f, SplittableRandom r) {
        if (f.length < 6) return bitFlips(f, r);
        byte[][] macs = {OUR_MAC, BROADCAST_MAC, OTHER_MAC, ZERO_MAC, {0x01, 0x00, 0x5e, 0, 0, 1},
                {0x33, 0x33, 0, 0, 0, 1}, {0x03, 0, 0, 0, 0, 1}};
        System.arraycopy(macs[r.nextInt(macs.length)], 0, f, 0, 6);
        return f;
    }

    private static byte[] etherType(byte[] f, SplittableRandom r) {
        L3 l3 = l3(f);
        if (l3.offset() < 0) return bitFlips(f, r);
        int at = r.nextInt(4) == 0 ? 12 : l3.offset() - 2;
        Bytes.put16(f, at, r.nextInt(8) == 0 ? r.nextInt(0x10000) : pick(ETHERTYPES, r));
        return f;
    }

    private static byte[] vlan(byte[] f, SplittableRandom r) {
        if (f.length < ETH_HLEN) return bitFlips(f, r);
        int type = Bytes.u16(f, 12);
        if ((type == ETH_P_8021Q || type == ETH_P_8021AD) && r.nextBoolean() && f.length >= 18) {
            // drop the outer tag, or rewrite its TCI
            if (r.nextBoolean()) {
                byte[] g = new byte[f.length - 4];
                System.arraycopy(f, 0, g, 0, 12);
                System.arraycopy(f, 16, g, 12, f.length - 16);
                return g;
            }
            Bytes.put16(f, 14, r.nextBoolean() ? r.nextInt(0x10000) : r.nextInt(3) << 13);
            return f;
        }
        int tci = switch (r.nextInt(4)) {
            case 0 -> 0;                       // priority tag
            case 1 -> (r.nextInt(8) << 13);    // priority tag with PCP
            case 2 -> 1 + r.nextInt(4094);     // a VLAN the host has not
            default -> r.nextInt(0x10000);
        };
        return tag(f, r.nextInt(4) == 0 ? ETH_P_8021AD : ETH_P_8021Q, tci);
    }

    // --- IPv4 ----------------------------------------------------------------------------------

    private static byte[] ipVersionIhl(byte[] f, SplittableRandom r) {
        int ip = ipv4Offset(f);
        if (ip < 0) return bitFlips(f, r);
        int version = r.nextInt(3) == 0 ? r.nextInt(16) : 4;
        int ihl = r.nextInt(3) == 0 ? 5 : r.nextInt(16);
        f[ip] = (byte) (version << 4 | ihl);
        return f;
    }

    private static byte[] ipField16(byte[] f, SplittableRandom r, int field) {
        int ip = ipv4Offset(f);
        if (ip < 0) return bitFlips(f, r);
        int cur = Bytes.u16(f, ip + field);
        int v = switch (r.nextInt(5)) {
            case 0 -> pick(INTERESTING16, r);
            case 1 -> cur + r.nextInt(9) - 4;
            case 2 -> f.length - ip + r.nextInt(5) - 2;
            case 3 -> (f[ip] & 0x0f) * 4 + r.nextInt(3) - 1;
            default -> r.nextInt(0x10000);
        };
        Bytes.put16(f, ip + field, v & 0xffff);
        return f;
    }

    private static byte[] ipFrag(byte[] f, SplittableRandom r) {
        int ip = ipv4Offset(f);
        if (ip < 0) return bitFlips(f, r);
        int flags = r.nextInt(8) << 13;
        int offset = switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 1 + r.nextInt(4);
            case 2 -> 185;                     // 1480 / 8
            case 3 -> 0x1fff - r.nextInt(4);
            default -> r.nextInt(0x2000);
        };
        Bytes.put16(f, ip + 6, flags | offset);
        if (r.nextBoolean()) Bytes.put16(f, ip + 4, r.nextInt(4));   // ids that collide with other fragments
        return f;
    }

    private static byte[] ipProto(byte[] f, SplittableRandom r) {
        int ip = ipv4Offset(f);
        if (ip < 0) return bitFlips(f, r);
        f[ip + 9] = (byte) (r.nextInt(6) == 0 ? r.nextInt(256) : pick(PROTOCOLS, r));
        return f;
    }

    private static byte[] ipMisc(byte[] f, SplittableRandom r) {
        int ip = ipv4Offset(f);
        if (ip < 0) return bitFlips(f, r);
        switch (r.nextInt(6)) {
            case 0 -> Bytes.put32(f, ip + 12, r.nextInt(4) == 0 ? r.nextInt() : pick(ADDRESSES, r));
            case 1 -> Bytes.put32(f, ip + 16, r.nextInt(4) == 0 ? r.nextInt() : pick(ADDRESSES, r));
            case 2 -> f[ip + 8] = (byte) pick(new int[]{0, 1, 2, 63, 64, 65, 255}, r);
            case 3 -> f[ip + 1] = (byte) r.nextInt(256);          // DSCP / ECN
            case 4 -> Bytes.put16(f, ip + 10, r.nextInt(0x10000)); // checksum
            default -> Bytes.put16(f, ip + 4, r.nextInt(0x10000)); // id
        }
        return f;
    }

    /** Inserts an options block after the 20-byte header and raises IHL to cover it. */
    private static byte[] ipOptions(byte[] f, SplittableRandom r) {
        int ip = ipv4Offset(f);
        if (ip < 0) return bitFlips(f, r);
        int words = 1 + r.nextInt(10);
        byte[] opts = new byte[words * 4];
        int i = 0;
        while (i < opts.length) {
            int room = opts.length - i;
            int type = pick(new int[]{0, 1, 7, 68, 130, 131, 133, 137, 148, 149, r.nextInt(256)}, r);
            opts[i] = (byte) type;
            if (type == 0 || type == 1 || room < 2) {
                i++;
                continue;
            }
            int len = r.nextInt(4) == 0 ? r.nextInt(256) : Math.min(room, 3 + r.nextInt(Math.max(1, room - 2)));
            opts[i + 1] = (byte) len;
            if (room > 2) opts[i + 2] = (byte) (r.nextBoolean() ? 4 + 4 * r.nextInt(3) : r.nextInt(256)); // pointer
            if (type == 68 && room > 3) opts[i + 3] = (byte) r.nextInt(256);                                 // oflw/flg
            for (int k = i + 4; k < Math.min(opts.length, i + Math.max(len, 4)); k++) opts[k] = (byte) r.nextInt(256);
            i += Math.max(len, 2);
        }
        int oldIhl = Math.max(5, Math.min(15, f[ip] & 0x0f));
        int at = Math.min(f.length, ip + 20);
        byte[] g = new byte[f.length + opts.length];
        System.arraycopy(f, 0, g, 0, at);
        System.arraycopy(opts, 0, g, at, opts.length);
        System.arraycopy(f, at, g, at + opts.length, f.length - at);
        g[ip] = (byte) ((g[ip] & 0xf0) | Math.min(15, oldIhl + words));
        Bytes.put16(g, ip + 2, Math.min(0xffff, Bytes.u16(g, ip + 2) + opts.length));
        return g;
    }

    // --- UDP / TCP / ICMP / ARP ----------------------------------------------------------------

    private static byte[] udp(byte[] f, SplittableRandom r) {
        int l4 = l4Offset(f);
        if (l4 < 0 || l4 + 8 > f.length) return bitFlips(f, r);
        switch (r.nextInt(4)) {
            case 0 -> Bytes.put16(f, l4, pick(PORTS, r));
            case 1 -> Bytes.put16(f, l4 + 2, pick(PORTS, r));
            case 2 -> Bytes.put16(f, l4 + 4, r.nextBoolean() ? pick(INTERESTING16, r) : f.length - l4 + r.nextInt(5) - 2);
            default -> Bytes.put16(f, l4 + 6, r.nextBoolean() ? 0 : r.nextInt(0x10000));
        }
        return f;
    }

    private static byte[] tcp(byte[] f, SplittableRandom r) {
        int l4 = l4Offset(f);
        if (l4 < 0 || l4 + 20 > f.length) return bitFlips(f, r);
        switch (r.nextInt(8)) {
            case 0 -> Bytes.put16(f, l4, pick(PORTS, r));
            case 1 -> Bytes.put16(f, l4 + 2, pick(PORTS, r));
            case 2 -> Bytes.put32(f, l4 + 4, r.nextInt());
            case 3 -> Bytes.put32(f, l4 + 8, r.nextInt());
            case 4 -> f[l4 + 12] = (byte) ((r.nextInt(16) << 4) | (r.nextInt(4) == 0 ? r.nextInt(16) : 0));
            case 5 -> f[l4 + 13] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : pick(TCP_FLAGS, r));
            case 6 -> {
                Bytes.put16(f, l4 + 14, r.nextBoolean() ? 0 : r.nextInt(0x10000));
                Bytes.put16(f, l4 + 18, r.nextBoolean() ? 0 : r.nextInt(0x10000));
            }
            default -> {
                // garble the options area (MSS, WScale, SACK, timestamps with odd lengths)
                int doff = (f[l4 + 12] >>> 4 & 0x0f) * 4;
                int end = Math.min(f.length, l4 + Math.max(doff, 20));
                if (end > l4 + 20) {
                    int at = l4 + 20 + r.nextInt(end - l4 - 20);
                    f[at] = (byte) pick(new int[]{0, 1, 2, 3, 4, 5, 8, 28, 30, 34, 254, r.nextInt(256)}, r);
                    if (at + 1 < end) f[at + 1] = (byte) pick(new int[]{0, 1, 2, 3, 4, 10, 40, 255}, r);
                } else {
                    f[l4 + 12] = (byte) (((r.nextInt(11) + 5) << 4));
                }
            }
        }
        return f;
    }

    private static byte[] icmpTypeCode(byte[] f, SplittableRandom r) {
        int l4 = l4Offset(f);
        if (l4 < 0 || l4 + 4 > f.length) return bitFlips(f, r);
        if (r.nextBoolean()) f[l4] = (byte) pick(ICMP_TYPES, r);
        f[l4 + 1] = (byte) (r.nextInt(3) == 0 ? r.nextInt(256) : r.nextInt(16));
        if (r.nextInt(4) == 0 && l4 + 8 <= f.length) Bytes.put32(f, l4 + 4, r.nextInt());
        return f;
    }

    private static byte[] arp(byte[] f, SplittableRandom r) {
        L3 l3 = l3(f);
        int a = l3.offset();
        if (l3.ethType() != ETH_P_ARP || a < 0 || a + 28 > f.length) return bitFlips(f, r);
        switch (r.nextInt(6)) {
            case 0 -> Bytes.put16(f, a + 6, r.nextInt(6));                                  // op
            case 1 -> Bytes.put16(f, a, pick(new int[]{0, 1, 6, 0xffff}, r));                // htype
            case 2 -> Bytes.put16(f, a + 2, pick(new int[]{ETH_P_IP, ETH_P_IPV6, 0}, r));   // ptype
            case 3 -> { f[a + 4] = (byte) pick(new int[]{0, 4, 6, 16, 255}, r); f[a + 5] = (byte) pick(new int[]{0, 4, 6, 16, 255}, r); }
            case 4 -> Bytes.put32(f, a + 14, pick(ADDRESSES, r));                            // spa
            default -> Bytes.put32(f, a + 24, pick(ADDRESSES, r));                           // tpa
        }
        return f;
    }

    private static int pick(int[] values, SplittableRandom r) {
        return values[r.nextInt(values.length)];
    }
}
