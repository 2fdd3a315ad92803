package io.netstack.cli;

import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.InetChecksum;

import java.util.ArrayList;
import java.util.List;

/**
 * The demo's traffic mix, built byte by byte with correct checksums (except where a frame is
 * meant to be wrong): what a peer at 192.0.2.1 sends to the demo host 192.0.2.2 on eth0, one
 * frame for each path through the stack worth seeing. Frames are not padded to 60 bytes, as
 * in the conformance scenarios (veth adds no padding).
 */
public final class DemoTraffic {
    private DemoTraffic() {}

    public static final byte[] HOST_MAC = mac(0x01);
    public static final byte[] PEER_MAC = mac(0x99);
    public static final byte[] OTHER_MAC = mac(0x42);
    public static final byte[] BROADCAST_MAC = {-1, -1, -1, -1, -1, -1};
    public static final int HOST_IP = Inet.parse("192.0.2.2");
    public static final int PEER_IP = Inet.parse("192.0.2.1");

    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_ARP = 0x0806;
    /** IEEE 802 local experimental EtherType 1: no protocol handler in Linux. */
    public static final int ETH_P_LOCAL_EXP = 0x88b5;

    /** One demo frame and what Linux does with it (the line the demo prints above its journey). */
    public record Packet(String what, String linux, byte[] frame) {}

    public static List<Packet> mix() {
        List<Packet> p = new ArrayList<>();
        p.add(new Packet("ARP request: who has 192.0.2.2 (us)?",
                "arp_rcv answers with an ARP reply from our MAC", arpRequest(PEER_IP, HOST_IP)));
        p.add(new Packet("ping (ICMP echo request) to us, seq 1",
                "icmp_echo sends an echo reply", echoRequest(HOST_MAC, HOST_IP, 1)));
        p.add(new Packet("ping to us, seq 2", "another echo reply", echoRequest(HOST_MAC, HOST_IP, 2)));
        p.add(new Packet("UDP to port 5353, where a socket is bound",
                "udp_rcv queues \"hello\" to the socket", udp(40000, 5353, "hello".getBytes())));
        p.add(new Packet("UDP to port 9, where nothing listens",
                "udp_rcv finds no socket: ICMP port unreachable, UdpNoPorts", udp(40001, 9, "anyone?".getBytes())));
        p.add(new Packet("TCP SYN to port 80, where a socket listens",
                "tcp_v4_rcv: a SYN-ACK back (a request sock in SYN_RECV)", tcpSyn(40002, 80)));
        p.add(new Packet("TCP SYN to port 81, where nothing listens",
                "tcp_v4_rcv finds no socket: a RST back", tcpSyn(40003, 81)));
        p.add(new Packet("ping in a frame for another MAC (02:00:00:00:00:42)",
                "eth_type_trans marks it PACKET_OTHERHOST: dropped before IP, rx_otherhost_dropped",
                echoRequest(OTHER_MAC, HOST_IP, 3)));
        byte[] bad = echoRequest(HOST_MAC, HOST_IP, 4);
        bad[14 + 10] ^= 0x5a; // corrupt the IPv4 header checksum
        p.add(new Packet("ping with a bad IPv4 header checksum",
                "ip_rcv_core drops it: IP_CSUM, IpInCsumErrors", bad));
        byte[] runt = new byte[14 + 6];
        System.arraycopy(ethernet(HOST_MAC, PEER_MAC, ETH_P_IP), 0, runt, 0, 14);
        runt[14] = 0x45;
        p.add(new Packet("runt: an IPv4 frame with only 6 bytes of IP header",
                "ip_rcv_core cannot pull 20 bytes: IpInHdrErrors", runt));
        byte[] unknown = new byte[14 + 46];
        System.arraycopy(ethernet(HOST_MAC, PEER_MAC, ETH_P_LOCAL_EXP), 0, unknown, 0, 14);
        for (int i = 14; i < unknown.length; i++) unknown[i] = (byte) (i - 14);
        p.add(new Packet("frame with EtherType 0x88b5 (no protocol handler)",
                "__netif_receive_skb_core finds no handler: rx_dropped", unknown));
        return p;
    }

    static byte[] mac(int last) {
        return new byte[]{2, 0, 0, 0, 0, (byte) last};
    }

    static byte[] ethernet(byte[] dst, byte[] src, int type) {
        byte[] h = new byte[14];
        System.arraycopy(dst, 0, h, 0, 6);
        System.arraycopy(src, 0, h, 6, 6);
        Bytes.put16(h, 12, type);
        return h;
    }

    /** RFC 826 request for Ethernet/IPv4, broadcast. */
    public static byte[] arpRequest(int senderIp, int targetIp) {
        byte[] f = new byte[42];
        System.arraycopy(ethernet(BROADCAST_MAC, PEER_MAC, ETH_P_ARP), 0, f, 0, 14);
        Bytes.put16(f, 14, 1);        // htype Ethernet
        Bytes.put16(f, 16, ETH_P_IP); // ptype
        f[18] = 6;
        f[19] = 4;
        Bytes.put16(f, 20, 1);        // op request
        System.arraycopy(PEER_MAC, 0, f, 22, 6);
        Bytes.put32(f, 28, senderIp);
        Bytes.put32(f, 38, targetIp); // tha stays zero
        return f;
    }

    /** Ethernet + a 20-byte IPv4 header (checksum computed) + {@code payload}. */
    public static byte[] ipv4(byte[] dstMac, int src, int dst, int protocol, int id, byte[] payload) {
        byte[] f = new byte[14 + 20 + payload.length];
        System.arraycopy(ethernet(dstMac, PEER_MAC, ETH_P_IP), 0, f, 0, 14);
        f[14] = 0x45;
        Bytes.put16(f, 16, 20 + payload.length);
        Bytes.put16(f, 18, id);
        f[22] = 64;
        f[23] = (byte) protocol;
        Bytes.put32(f, 26, src);
        Bytes.put32(f, 30, dst);
        Bytes.put16(f, 24, InetChecksum.compute(f, 14, 20));
        System.arraycopy(payload, 0, f, 34, payload.length);
        return f;
    }

    /** An ICMP echo request with 56 bytes of data (0x00..0x37), like ping's default. */
    public static byte[] echoRequest(byte[] dstMac, int dst, int seq) {
        byte[] icmp = new byte[8 + 56];
        icmp[0] = 8;
        Bytes.put16(icmp, 4, 0x77);
        Bytes.put16(icmp, 6, seq);
        for (int i = 0; i < 56; i++) icmp[8 + i] = (byte) i;
        Bytes.put16(icmp, 2, InetChecksum.compute(icmp, 0, icmp.length));
        return ipv4(dstMac, PEER_IP, dst, 1, 0x1000 + seq, icmp);
    }

    public static byte[] udp(int sport, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        Bytes.put16(u, 0, sport);
        Bytes.put16(u, 2, dport);
        Bytes.put16(u, 4, u.length);
        System.arraycopy(data, 0, u, 8, data.length);
        int sum = InetChecksum.transport(PEER_IP, HOST_IP, 17, u, 0, u.length);
        Bytes.put16(u, 6, sum == 0 ? 0xffff : sum); // RFC 768: a computed 0 is sent as all ones
        return ipv4(HOST_MAC, PEER_IP, HOST_IP, 17, 0x2000 + dport, u);
    }

    /** A SYN with MSS 1460, as the smallest real client SYN; DF set as Linux does. */
    public static byte[] tcpSyn(int sport, int dport) {
        byte[] t = new byte[24];
        Bytes.put16(t, 0, sport);
        Bytes.put16(t, 2, dport);
        Bytes.put32(t, 4, 1000);     // ISN
        t[12] = (byte) (6 << 4);     // data offset 6 words
        t[13] = 0x02;                // SYN
        Bytes.put16(t, 14, 64240);   // window
        t[20] = 2;                   // MSS option
        t[21] = 4;
        Bytes.put16(t, 22, 1460);
        Bytes.put16(t, 16, InetChecksum.transport(PEER_IP, HOST_IP, 6, t, 0, t.length));
        byte[] f = ipv4(HOST_MAC, PEER_IP, HOST_IP, 6, 0, t);
        f[14 + 6] = 0x40; // DF
        Bytes.put16(f, 24, 0);
        Bytes.put16(f, 24, InetChecksum.compute(f, 14, 20));
        return f;
    }
}
