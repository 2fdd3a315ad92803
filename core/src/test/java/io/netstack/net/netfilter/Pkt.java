package io.netstack.net.netfilter;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.skb.SkBuff;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.InetChecksum;

/** Test fixtures: IPv4 packets built byte by byte, with valid checksums, in an skb at data. */
final class Pkt {
    private Pkt() {}

    static final int SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08;
    private static long ids = 1000;

    static byte[] ipv4(String src, String dst, int proto, byte[] l4) {
        byte[] p = new byte[20 + l4.length];
        p[0] = 0x45;
        Bytes.put16(p, 2, p.length);
        Bytes.put16(p, 4, 0x1234);
        Bytes.put16(p, 6, 0x4000);
        p[8] = 64;
        p[9] = (byte) proto;
        Bytes.put32(p, 12, Inet.parse(src));
        Bytes.put32(p, 16, Inet.parse(dst));
        System.arraycopy(l4, 0, p, 20, l4.length);
        Bytes.put16(p, 10, InetChecksum.compute(p, 0, 20));
        if (proto == 6 || proto == 17) {
            int off = proto == 6 ? 16 : 6;
            Bytes.put16(p, 20 + off, InetChecksum.transport(Inet.parse(src), Inet.parse(dst), proto, p, 20, l4.length));
        } else if (proto == 1) {
            Bytes.put16(p, 22, InetChecksum.compute(p, 20, l4.length));
        }
        return p;
    }

    static byte[] tcp(String src, int sport, String dst, int dport, int seq, int ack, int flags, byte[] payload) {
        byte[] t = new byte[20 + payload.length];
        Bytes.put16(t, 0, sport);
        Bytes.put16(t, 2, dport);
        Bytes.put32(t, 4, seq);
        Bytes.put32(t, 8, ack);
        t[12] = 0x50;
        t[13] = (byte) flags;
        Bytes.put16(t, 14, 64240);
        System.arraycopy(payload, 0, t, 20, payload.length);
        return ipv4(src, dst, 6, t);
    }

    static byte[] tcp(String src, int sport, String dst, int dport, int seq, int ack, int flags) {
        return tcp(src, sport, dst, dport, seq, ack, flags, new byte[0]);
    }

    static byte[] udp(String src, int sport, String dst, int dport, byte[] payload) {
        byte[] u = new byte[8 + payload.length];
        Bytes.put16(u, 0, sport);
        Bytes.put16(u, 2, dport);
        Bytes.put16(u, 4, u.length);
        System.arraycopy(payload, 0, u, 8, payload.length);
        return ipv4(src, dst, 17, u);
    }

    static byte[] echo(String src, String dst, int type, int id, int seq) {
        byte[] i = new byte[8 + 4];
        i[0] = (byte) type;
        Bytes.put16(i, 4, id);
        Bytes.put16(i, 6, seq);
        return ipv4(src, dst, 1, i);
    }

    /** An ICMP error (type/code) from src to dst quoting the first 28 bytes of {@code quoted}. */
    static byte[] icmpError(String src, String dst, int type, int code, byte[] quoted) {
        int q = Math.min(quoted.length, 28);
        byte[] i = new byte[8 + q];
        i[0] = (byte) type;
        i[1] = (byte) code;
        System.arraycopy(quoted, 0, i, 8, q);
        return ipv4(src, dst, 1, i);
    }

    /** The bytes in an skb with headroom in front, data at the IPv4 header (as l3 hands it to a hook). */
    static SkBuff skb(String netns, byte[] packet) {
        byte[] head = new byte[64 + packet.length];
        System.arraycopy(packet, 0, head, 64, packet.length);
        SkBuff skb = new SkBuff(ids++, netns, head, 64, packet.length);
        skb.setNetworkHeader(64);
        skb.setProtocol(0x0800);
        return skb;
    }

    static byte[] bytes(SkBuff skb) { return skb.dataBytes(); }

    static boolean ipChecksumOk(byte[] p) { return InetChecksum.compute(p, 0, (p[0] & 0xf) * 4) == 0; }

    static boolean l4ChecksumOk(byte[] p) {
        int ihl = (p[0] & 0xf) * 4;
        int proto = p[9] & 0xff;
        if (proto == 1) return InetChecksum.compute(p, ihl, p.length - ihl) == 0;
        if (proto == 17 && Bytes.u16(p, ihl + 6) == 0) return true;
        return InetChecksum.transport(Bytes.u32(p, 12), Bytes.u32(p, 16), proto, p, ihl, p.length - ihl) == 0;
    }

    static String src(byte[] p) { return Inet.format(Bytes.u32(p, 12)); }
    static String dst(byte[] p) { return Inet.format(Bytes.u32(p, 16)); }
    static int sport(byte[] p) { return Bytes.u16(p, (p[0] & 0xf) * 4); }
    static int dport(byte[] p) { return Bytes.u16(p, (p[0] & 0xf) * 4 + 2); }

    /** A two-interface router like the nf-* scenarios, with the given firewall text. */
    static HostConfig router(String netns, String firewall) {
        StringBuilder y = new StringBuilder();
        y.append("interfaces:\n")
                .append("  - name: eth0\n    mac: \"02:00:00:00:00:01\"\n    mtu: 1500\n    addresses: [\"192.0.2.2/24\"]\n")
                .append("  - name: eth1\n    mac: \"02:00:00:00:01:01\"\n    mtu: 1500\n    addresses: [\"198.51.100.1/24\"]\n")
                .append("routes:\n  - {dst: \"203.0.113.0/24\", via: \"198.51.100.2\", dev: eth1}\n")
                .append("sysctl:\n  net.ipv4.ip_forward: 1\n  net.ipv4.ip_default_ttl: 64\n")
                .append("sockets: []\n");
        if (firewall != null) {
            y.append("firewall: |\n");
            for (String l : firewall.split("\n")) y.append("  ").append(l).append('\n');
        }
        return HostConfigParser.parse(y.toString(), "host.yaml", netns);
    }
}
