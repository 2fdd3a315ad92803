package io.netstack.net.ipv4;

import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.Inet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

import static io.netstack.net.ipv4.L3Fixture.hex;
import static io.netstack.net.ipv4.L3Fixture.ipFrame;
import static org.assertj.core.api.Assertions.assertThat;

/** ip_rcv / ip_rcv_core / ip_rcv_finish / ip_route_input_slow / ip_local_deliver_finish. */
class IpInputTest {

    static final String HOST = String.join("\n",
            "interfaces:",
            "  - {name: eth0, mac: \"02:00:00:00:00:01\", mtu: 1500, addresses: [\"192.0.2.2/24\"]}",
            "  - {name: eth1, mac: \"02:00:00:00:01:01\", mtu: 1500, addresses: [\"198.51.100.1/24\"]}",
            "neighbors:",
            "  - {ip: \"192.0.2.1\", mac: \"02:00:00:00:00:99\", dev: eth0}",
            "sysctl:",
            "  net.ipv4.ip_forward: 0",
            "");

    static final String OUR_MAC = "02:00:00:00:00:01";
    static final String PEER_MAC = "02:00:00:00:00:99";
    static final int PEER = Inet.parse("192.0.2.1");
    static final int US = Inet.parse("192.0.2.2");
    static final byte[] UDP = L3Fixture.hex("9c40003500100000" + "6869686921212121");

    static byte[] udpToUs() { return ipFrame(OUR_MAC, PEER_MAC, 0, 1, 0, 64, 17, PEER, US, UDP); }

    /** One check of ip_rcv_core, in the kernel's order. */
    record Case(String name, byte[] frame, PktType type, SkbDropReason reason, Map<String, Long> counters) {
        @Override public String toString() { return name; }
    }

    static Stream<Case> ipRcvCoreChecks() {
        byte[] good = udpToUs();
        byte[] badVersion = good.clone();
        badVersion[14] = 0x65;
        fixCsum(badVersion);
        byte[] ihl4 = good.clone();
        ihl4[14] = 0x44;
        byte[] badCsum = good.clone();
        badCsum[14 + 10] ^= 0x55;
        byte[] truncated = Arrays.copyOf(good, good.length - 3);
        byte[] totLenShort = good.clone();
        totLenShort[14 + 3] = 12;
        fixCsum(totLenShort);
        byte[] ihl6 = good.clone();
        ihl6[14] = 0x46;  // options claimed beyond the 16 bytes... still in the frame, so a checksum error
        byte[] runt = Arrays.copyOf(good, 14 + 6);
        byte[] ect0 = ipFrame(OUR_MAC, PEER_MAC, 2, 1, 0, 64, 17, PEER, US, UDP);
        ect0[14 + 10] ^= 1;
        return Stream.of(
                new Case("PACKET_OTHERHOST first, no Ip counter", good, PktType.PACKET_OTHERHOST, SkbDropReason.OTHERHOST, Map.of()),
                new Case("runt: 6 bytes of header (link-runt-ipv4-frame)", runt, PktType.PACKET_HOST, SkbDropReason.IP_INHDR,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 6L, "IpInHdrErrors", 1L)),
                new Case("version 6 (ipv4-bad-version): no ECN counter", badVersion, PktType.PACKET_HOST, SkbDropReason.IP_INHDR,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 36L, "IpInHdrErrors", 1L)),
                new Case("ihl 4", ihl4, PktType.PACKET_HOST, SkbDropReason.IP_INHDR,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 36L, "IpInHdrErrors", 1L)),
                new Case("bad checksum (ipv4-bad-header-checksum)", badCsum, PktType.PACKET_HOST, SkbDropReason.IP_CSUM,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 36L, "IpExtInNoECTPkts", 1L, "IpInHdrErrors", 1L, "IpExtInCsumErrors", 1L)),
                new Case("ECT(0) counted, then bad checksum", ect0, PktType.PACKET_HOST, SkbDropReason.IP_CSUM,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 36L, "IpExtInECT0Pkts", 1L, "IpInHdrErrors", 1L, "IpExtInCsumErrors", 1L)),
                new Case("tot_len beyond the frame: truncated", truncated, PktType.PACKET_HOST, SkbDropReason.PKT_TOO_SMALL,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 33L, "IpExtInNoECTPkts", 1L, "IpExtInTruncatedPkts", 1L)),
                new Case("tot_len below the header", totLenShort, PktType.PACKET_HOST, SkbDropReason.IP_INHDR,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 36L, "IpExtInNoECTPkts", 1L, "IpInHdrErrors", 1L)),
                new Case("ihl 6: checksum over 24 bytes fails", ihl6, PktType.PACKET_HOST, SkbDropReason.IP_CSUM,
                        Map.of("IpInReceives", 1L, "IpExtInOctets", 36L, "IpExtInNoECTPkts", 1L, "IpInHdrErrors", 1L, "IpExtInCsumErrors", 1L)));
    }

    static void fixCsum(byte[] frame) {
        new io.netstack.wire.Ipv4Header(frame, 14).fillChecksum();
    }

    @ParameterizedTest
    @MethodSource("ipRcvCoreChecks")
    void ipRcvCoreDropsInOrder(Case c) {
        L3Fixture f = new L3Fixture(HOST);
        SkBuff skb = f.fromWire(c.frame(), "eth0", c.type());
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(f.fateOf(skb)).isInstanceOf(Fate.Dropped.class);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(c.reason());
        assertThat(f.counters()).isEqualTo(c.counters());
        if (c.type() == PktType.PACKET_OTHERHOST) {
            assertThat(f.linkStats()).containsEntry("eth0.rx_otherhost_dropped", 1L);
        }
    }

    @Test
    void ipRcvCoreTrimsPaddingThenIpLocalDeliverFinishHandsUdpToL4() {
        // ipv4-frame-padding-trimmed: 36 IP bytes padded to 60 with 0xaa.
        byte[] frame = Arrays.copyOf(udpToUs(), 60);
        Arrays.fill(frame, 50, 60, (byte) 0xaa);
        L3Fixture f = new L3Fixture(HOST);
        SkBuff skb = f.fromWire(frame, "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(f.on(KernelQueue.INET_PROTO_UDP)).hasSize(1);
        SkBuff up = f.on(KernelQueue.INET_PROTO_UDP).get(0).skb();
        assertThat(up.dataBytes()).isEqualTo(UDP);
        assertThat(up.networkHeader()).isEqualTo(14);
        assertThat(up.cb().route.rtType()).isEqualTo(RouteResult.RTN_LOCAL);
        assertThat(f.counters()).isEqualTo(Map.of("IpInReceives", 1L, "IpExtInOctets", 46L,
                "IpExtInNoECTPkts", 1L, "IpInDelivers", 1L));
    }

    @Test
    void ipRcvFinishCountsBroadcastInput() {
        // icmp-echo-to-broadcast-ignored: to 192.0.2.255 the route is RTN_BROADCAST.
        byte[] echo = L3Fixture.hex("0800f7ff0000000000000000");
        byte[] frame = ipFrame("ff:ff:ff:ff:ff:ff", PEER_MAC, 0, 1, 0, 64, 1, PEER, Inet.parse("192.0.2.255"), echo);
        L3Fixture f = new L3Fixture(HOST);
        f.deliver(KernelQueue.PTYPE_IP, f.fromWire(frame, "eth0", PktType.PACKET_BROADCAST));
        assertThat(f.on(KernelQueue.INET_PROTO_ICMP)).hasSize(1);
        assertThat(f.on(KernelQueue.INET_PROTO_ICMP).get(0).skb().cb().route.rtType()).isEqualTo(RouteResult.RTN_BROADCAST);
        assertThat(f.counters()).containsEntry("IpExtInBcastPkts", 1L).containsEntry("IpExtInBcastOctets", 32L)
                .containsEntry("IpInDelivers", 1L);
    }

    @Test
    void ipLocalDeliverFinishUnknownProtocol() {
        byte[] frame = ipFrame(OUR_MAC, PEER_MAC, 0, 1, 0, 64, 253, PEER, US, UDP);
        L3Fixture f = new L3Fixture(HOST);
        SkBuff skb = f.fromWire(frame, "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(SkbDropReason.IP_NOPROTO);
        assertThat(f.counters()).containsEntry("IpInUnknownProtos", 1L).doesNotContainKey("IpInDelivers");
    }

    /** ip_route_input_slow's martian checks and ip_error with forwarding off. */
    record Martian(String name, int saddr, int daddr, String sysctl, SkbDropReason reason, String counter) {
        @Override public String toString() { return name; }
    }

    static Stream<Martian> martians() {
        return Stream.of(
                new Martian("multicast source", Inet.parse("224.0.0.9"), US, "", SkbDropReason.IP_INVALID_SOURCE, null),
                // ipv4_is_zeronet is 0.0.0.0 only since Linux 5.3 (0.1.2.3 is accepted: recorded/icmp-echo-from-zeronet-source)
                new Martian("zero source", Inet.parse("0.0.0.0"), US, "", SkbDropReason.IP_INVALID_SOURCE, null),
                new Martian("zero destination", PEER, Inet.parse("0.0.0.0"), "", SkbDropReason.IP_INVALID_DEST, null),
                new Martian("loopback destination", PEER, Inet.parse("127.0.0.1"), "", SkbDropReason.IP_LOCALNET, null),
                new Martian("loopback source", Inet.parse("127.0.0.1"), US, "", SkbDropReason.IP_LOCALNET, null),
                new Martian("our own address as source (fib_validate_source)", Inet.parse("198.51.100.1"), US, "",
                        SkbDropReason.IP_LOCAL_SOURCE, null),
                new Martian("strict rp_filter: 198.51.100.7 is reached by eth1", Inet.parse("198.51.100.7"), US,
                        "  net.ipv4.conf.all.rp_filter: 1\n", SkbDropReason.IP_RPFILTER, "TcpExtIPReversePathFilter"),
                new Martian("loose rp_filter: no route back at all", Inet.parse("203.0.113.5"), US,
                        "  net.ipv4.conf.all.rp_filter: 2\n", SkbDropReason.IP_RPFILTER, "TcpExtIPReversePathFilter"),
                new Martian("not ours, forwarding off (ipv4-not-ours-forwarding-off)", PEER, Inet.parse("198.51.100.9"), "",
                        SkbDropReason.IP_INADDRERRORS, "IpInAddrErrors"));
    }

    @ParameterizedTest
    @MethodSource("martians")
    void ipRouteInputSlowRejects(Martian m) {
        L3Fixture f = new L3Fixture(HOST + m.sysctl());
        SkBuff skb = f.fromWire(ipFrame(OUR_MAC, PEER_MAC, 0, 1, 0, 64, 17, m.saddr(), m.daddr(), UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(m.reason());
        Map<String, Long> c = f.counters();
        if (m.counter() != null) assertThat(c).containsEntry(m.counter(), 1L);
        assertThat(c).doesNotContainKeys("IpInDelivers", "IpForwDatagrams");
        assertThat(f.outputs).isEmpty();
    }

    @Test
    void acceptLocalLetsOurOwnAddressIn() {
        L3Fixture f = new L3Fixture(HOST + "  net.ipv4.conf.all.accept_local: 1\n");
        SkBuff skb = f.fromWire(ipFrame(OUR_MAC, PEER_MAC, 0, 1, 0, 64, 17, Inet.parse("198.51.100.1"), US, UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(f.on(KernelQueue.INET_PROTO_UDP)).hasSize(1);
    }

    @Test
    void routeLocalnetLetsLoopbackIn() {
        L3Fixture f = new L3Fixture(HOST + "  net.ipv4.conf.eth0.route_localnet: 1\n");
        SkBuff skb = f.fromWire(ipFrame(OUR_MAC, PEER_MAC, 0, 1, 0, 64, 17, Inet.parse("127.0.0.5"), US, UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(f.on(KernelQueue.INET_PROTO_UDP)).hasSize(1);
        assertThat(hex(f.on(KernelQueue.INET_PROTO_UDP).get(0).skb().dataBytes())).isEqualTo(hex(UDP));
    }
}
