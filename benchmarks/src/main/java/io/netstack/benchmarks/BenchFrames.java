package io.netstack.benchmarks;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The benchmarks' fixtures, built here so the jar runs anywhere (no conformance directory
 * needed): the host of bench/host.yaml and valid frames for it, checksums computed.
 */
final class BenchFrames {
    private BenchFrames() {}

    static final String NETNS = "bench";
    static final byte[] OUR_MAC = {0x02, 0, 0, 0, 0, 0x01};
    static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, (byte) 0x99};
    static final byte[] OTHER_MAC = {0x02, 0, 0, 0, 0, 0x42};
    static final int OUR_IP = 0xc0000202;   // 192.0.2.2
    static final int PEER_IP = 0xc0000201;  // 192.0.2.1
    static final int UDP_PORT = 5353;
    static final int TCP_PORT = 80;

    /** The host, parsed once per benchmark state. */
    static HostConfig host() {
        try (InputStream in = BenchFrames.class.getResourceAsStream("/bench/host.yaml")) {
            if (in == null) throw new IllegalStateException("bench/host.yaml is missing from the jar");
            return HostConfigParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "bench/host.yaml", NETNS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] eth(byte[] dst, byte[] src, int type, byte[] payload) {
        byte[] f = new byte[14 + payload.length];
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        Bytes.put16(f, 12, type);
        System.arraycopy(payload, 0, f, 14, payload.length);
        return f;
    }

    static byte[] ipv4(int src, int dst, int proto, int fragField, byte[] payload) {
        byte[] p = new byte[20 + payload.length];
        p[0] = 0x45;
        Bytes.put16(p, 2, p.length);
        Bytes.put16(p, 4, 0x1234);
        Bytes.put16(p, 6, fragField);
        p[8] = 64;
        p[9] = (byte) proto;
        Bytes.put32(p, 12, src);
        Bytes.put32(p, 16, dst);
        System.arraycopy(payload, 0, p, 20, payload.length);
        Bytes.put16(p, 10, InetChecksum.compute(p, 0, 20));
        return p;
    }

    static byte[] udp(int src, int dst, int sport, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        Bytes.put16(u, 0, sport);
        Bytes.put16(u, 2, dport);
        Bytes.put16(u, 4, u.length);
        System.arraycopy(data, 0, u, 8, data.length);
        int c = InetChecksum.transport(src, dst, 17, u, 0, u.length);
        Bytes.put16(u, 6, c == 0 ? 0xffff : c);
        return u;
    }

    /** A SYN with MSS, SACK-permitted, timestamps and window scale, as Linux sends one. */
    static byte[] tcpSyn(int src, int dst, int sport, int dport, int seq) {
        byte[] opts = {2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0, 1, 3, 3, 7};
        byte[] t = new byte[20 + opts.length];
        Bytes.put16(t, 0, sport);
        Bytes.put16(t, 2, dport);
        Bytes.put32(t, 4, seq);
        t[12] = (byte) ((t.length / 4) << 4);
        t[13] = 0x02;
        Bytes.put16(t, 14, 64240);
        System.arraycopy(opts, 0, t, 20, opts.length);
        Bytes.put16(t, 16, InetChecksum.transport(src, dst, 6, t, 0, t.length));
        return t;
    }

    static byte[] icmpEcho(int id, int seq, byte[] data) {
        byte[] m = new byte[8 + data.length];
        m[0] = 8;
        Bytes.put16(m, 4, id);
        Bytes.put16(m, 6, seq);
        System.arraycopy(data, 0, m, 8, data.length);
        Bytes.put16(m, 2, InetChecksum.compute(m, 0, m.length));
        return m;
    }

    static byte[] payload(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ('a' + i % 26);
        return b;
    }

    /** A UDP datagram with {@code n} bytes of data from the peer to the bound port. */
    static byte[] udpToBoundPort(int n) {
        return eth(OUR_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, OUR_IP, 17, 0, udp(PEER_IP, OUR_IP, 40000, UDP_PORT, payload(n))));
    }

    /** ping's echo request: 56 bytes of data, 98 bytes on the wire. */
    static byte[] icmpEchoRequest() {
        return eth(OUR_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, OUR_IP, 1, 0x4000, icmpEcho(0x42, 1, payload(56))));
    }

    /** A frame for another host's MAC: freed at ip_rcv_core (PACKET_OTHERHOST). */
    static byte[] otherMac() {
        return eth(OTHER_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, OUR_IP, 1, 0x4000, icmpEcho(0x42, 1, payload(56))));
    }

    static byte[] tcpSynToListener(int sport) {
        return eth(OUR_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, OUR_IP, 6, 0x4000, tcpSyn(PEER_IP, OUR_IP, sport, TCP_PORT, 0x11223344 + sport)));
    }
}
