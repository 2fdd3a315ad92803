package io.netstack.net.ipv4;

import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.Inet;
import io.netstack.wire.Ipv4Header;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.netstack.net.ipv4.L3Fixture.ipFrame;
import static org.assertj.core.api.Assertions.assertThat;

/** ip_forward / ip_forward_finish / ip_output / ip_do_fragment / ip_finish_output2 on a router. */
class IpForwardTest {

    static String router(int eth1Mtu, String extra) {
        return String.join("\n",
                "interfaces:",
                "  - {name: eth0, mac: \"02:00:00:00:00:01\", mtu: 1500, addresses: [\"192.0.2.2/24\"]}",
                "  - {name: eth1, mac: \"02:00:00:00:01:01\", mtu: " + eth1Mtu + ", addresses: [\"198.51.100.1/24\"]}",
                "routes:",
                "  - {dst: \"203.0.113.0/24\", via: \"198.51.100.2\", dev: eth1}",
                "neighbors:",
                "  - {ip: \"192.0.2.1\", mac: \"02:00:00:00:00:99\", dev: eth0}",
                "  - {ip: \"198.51.100.2\", mac: \"02:00:00:00:01:99\", dev: eth1}",
                "sysctl:",
                "  net.ipv4.ip_forward: 1",
                extra);
    }

    static final int PEER = Inet.parse("192.0.2.1");
    static final int FAR = Inet.parse("203.0.113.9");
    static final byte[] UDP = L3Fixture.hex("9c4000350012595d666f72776172642d6d65");

    @Test
    void ipForwardDecrementsTtlAndRewritesMacs() {
        // fwd-forwarded-ttl-decremented, byte for byte.
        L3Fixture f = new L3Fixture(router(1500, ""));
        byte[] in = ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 0x1000, 0, 64, 17, PEER, FAR, UDP);
        f.deliver(KernelQueue.PTYPE_IP, f.fromWire(in, "eth0", PktType.PACKET_HOST));
        assertThat(f.xmitHex()).containsExactly("eth1 020000000199020000000101080045000026100000003f116dbc"
                + "c0000201cb0071099c4000350012595d666f72776172642d6d65");
        assertThat(f.counters()).isEqualTo(Map.of("IpInReceives", 1L, "IpForwDatagrams", 1L, "IpOutTransmits", 1L,
                "IpExtInOctets", 38L, "IpExtOutOctets", 38L, "IpExtInNoECTPkts", 1L));
    }

    @Test
    void ipForwardTtl1IsTimeExceeded() {
        // fwd-ttl-1-time-exceeded: IpInHdrErrors, no IpForwDatagrams (the ICMP itself is the Icmp work's).
        L3Fixture f = new L3Fixture(router(1500, ""));
        SkBuff skb = f.fromWire(ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 0x1000, 0, 1, 17, PEER, FAR, UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(SkbDropReason.IP_INHDR);
        assertThat(f.counters()).containsEntry("IpInHdrErrors", 1L).doesNotContainKey("IpForwDatagrams");
    }

    @Test
    void ipForwardDfTooBigIsFragNeeded() {
        // fwd-df-too-big-frag-needed: IpForwDatagrams is counted before the MTU check (6.x), then IpFragFails.
        L3Fixture f = new L3Fixture(router(1280, ""));
        byte[] big = new byte[1380];
        SkBuff skb = f.fromWire(ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 7, Ipv4Header.IP_DF, 64, 17, PEER, FAR, big), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(SkbDropReason.PKT_TOO_BIG);
        assertThat(f.counters()).containsEntry("IpForwDatagrams", 1L).containsEntry("IpFragFails", 1L)
                .containsEntry("IcmpOutDestUnreachs", 1L);
        // icmp_send(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu) back out of eth0: type 3 code 4, next-hop MTU 1280.
        assertThat(f.xmitHex()).hasSize(1);
        assertThat(f.xmitHex().get(0)).startsWith("eth0 ");
        String icmp = f.xmitHex().get(0).substring("eth0 ".length() + 2 * 34);
        assertThat(icmp.substring(0, 4)).isEqualTo("0304");
        assertThat(icmp.substring(12, 16)).isEqualTo(String.format("%04x", 1280));
    }

    @Test
    void ipDoFragmentSplitsWithoutDf() {
        L3Fixture f = new L3Fixture(router(1280, ""));
        byte[] big = new byte[1380];
        for (int i = 0; i < big.length; i++) big[i] = (byte) i;
        SkBuff skb = f.fromWire(ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 7, 0, 64, 17, PEER, FAR, big), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        var frames = f.on(KernelQueue.DEV_QUEUE_XMIT);
        assertThat(frames).hasSize(2);
        Ipv4Header a = new Ipv4Header(frames.get(0).skb().head(), frames.get(0).skb().data() + 14);
        Ipv4Header b = new Ipv4Header(frames.get(1).skb().head(), frames.get(1).skb().data() + 14);
        assertThat(a.totalLength()).isEqualTo(1276);   // 20 + 1256 (1260 rounded down to 8)
        assertThat(a.mf()).isTrue();
        assertThat(a.fragmentOffset()).isZero();
        assertThat(b.totalLength()).isEqualTo(20 + 1380 - 1256);
        assertThat(b.mf()).isFalse();
        assertThat(b.fragmentOffset()).isEqualTo(1256);
        assertThat(a.ttl()).isEqualTo(63);
        assertThat(a.checksumValid()).isTrue();
        assertThat(b.checksumValid()).isTrue();
        assertThat(frames.get(1).skb().head()[frames.get(1).skb().data() + 34] & 0xff).isEqualTo(1256 & 0xff);
        assertThat(f.fateOf(skb)).isInstanceOf(Fate.Consumed.class);
        assertThat(f.counters()).containsEntry("IpFragOKs", 1L).containsEntry("IpFragCreates", 2L)
                .containsEntry("IpOutTransmits", 2L).containsEntry("IpExtOutOctets", 1400L + 20L);
    }

    @Test
    void ipForwardSendsRedirectWhenLeavingByTheInputInterface() {
        // The 203.0.113.0/24 gateway is on eth0 here: the sender should use it directly.
        String yaml = router(1500, "").replace("via: \"198.51.100.2\", dev: eth1", "via: \"192.0.2.77\", dev: eth0")
                + "  net.ipv4.conf.all.send_redirects: 1\n";
        L3Fixture f = new L3Fixture(yaml);
        SkBuff skb = f.fromWire(ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 1, 0, 64, 17, PEER, FAR, UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(skb.cb().ipFlags & Route.IPSKB_DOREDIRECT).isNotZero();
        assertThat(f.counters()).containsEntry("IpForwDatagrams", 1L);
    }

    @Test
    void ipErrorWithForwardingOnAndNoRouteCountsInNoRoutes() {
        L3Fixture f = new L3Fixture(router(1500, ""));
        SkBuff skb = f.fromWire(ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 1, 0, 64, 17, PEER, Inet.parse("8.8.8.8"), UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(SkbDropReason.IP_INNOROUTES);
        assertThat(f.counters()).containsEntry("IpExtInNoRoutes", 1L);
    }

    @Test
    void blackholeRouteDropsSilently() {
        String yaml = router(1500, "").replace("neighbors:", "  - {dst: \"8.8.8.0/24\", type: blackhole}\nneighbors:");
        L3Fixture f = new L3Fixture(yaml);
        SkBuff skb = f.fromWire(ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 1, 0, 64, 17, PEER, Inet.parse("8.8.8.8"), UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(f.fateOf(skb)).isInstanceOf(Fate.Dropped.class);
        assertThat(f.counters()).doesNotContainKeys("IpExtInNoRoutes", "IpInAddrErrors", "IpForwDatagrams");
    }

    @Test
    void perInterfaceForwardingOff() {
        L3Fixture f = new L3Fixture(router(1500, "  net.ipv4.conf.eth0.forwarding: 0\n"));
        SkBuff skb = f.fromWire(ipFrame("02:00:00:00:00:01", "02:00:00:00:00:99", 0, 1, 0, 64, 17, PEER, FAR, UDP), "eth0", PktType.PACKET_HOST);
        f.deliver(KernelQueue.PTYPE_IP, skb);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(SkbDropReason.IP_INADDRERRORS);
        assertThat(f.counters()).containsEntry("IpInAddrErrors", 1L);
    }
}
