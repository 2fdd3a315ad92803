package io.netstack.net.ipv4;

import io.netstack.net.core.Neighbour;
import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.ArpPacket;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** arp_rcv / arp_process / arp_solicit and net/core/neighbour.c (neigh_resolve_output, neigh_update, timers). */
class NeighbourArpTest {

    static final String HOST = String.join("\n",
            "interfaces:",
            "  - {name: eth0, mac: \"02:00:00:00:00:01\", mtu: 1500, addresses: [\"192.0.2.2/24\"]}",
            "  - {name: eth1, mac: \"02:00:00:00:01:01\", mtu: 1500, addresses: [\"198.51.100.1/24\"]}",
            "neighbors:",
            "  - {ip: \"192.0.2.1\", mac: \"02:00:00:00:00:99\", dev: eth0, state: stale}",
            "sysctl:",
            "  net.ipv4.neigh.eth0.locktime: 100",
            "");

    static byte[] arpFrame(String ethDst, int op, String sha, String spa, String tha, String tpa) {
        byte[] f = new byte[42];
        MacAddress.parse(ethDst).write(f, 0);
        MacAddress.parse(sha).write(f, 6);
        Bytes.put16(f, 12, 0x0806);
        ArpPacket.write(f, 14, op, MacAddress.parse(sha), Inet.parse(spa), MacAddress.parse(tha), Inet.parse(tpa));
        return f;
    }

    @Test
    void arpProcessRepliesToARequestForOurAddressAndLearnsTheAsker() {
        // arp-request-for-our-address, byte for byte.
        L3Fixture f = new L3Fixture(HOST);
        SkBuff req = f.fromWire(arpFrame("ff:ff:ff:ff:ff:ff", 1, "02:00:00:00:00:10", "192.0.2.10", "00:00:00:00:00:00", "192.0.2.2"),
                "eth0", PktType.PACKET_BROADCAST);
        f.deliver(KernelQueue.PTYPE_ARP, req);
        assertThat(f.xmitHex()).containsExactly("eth0 02000000001002000000000108060001080006040002020000000001c0000202020000000010c000020a");
        assertThat(f.fateOf(req)).isInstanceOf(Fate.Consumed.class);
        Neighbour.Entry n = f.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.10"), "eth0");
        assertThat(n.state()).isEqualTo(Neighbour.NUD_STALE);
        assertThat(n.ha()).isEqualTo(MacAddress.parse("02:00:00:00:00:10"));
        assertThat(f.counters()).isEmpty();
    }

    @Test
    void arpIgnore1SilentForAnAddressOfAnotherInterface() {
        L3Fixture f = new L3Fixture(HOST + "  net.ipv4.conf.all.arp_ignore: 1\n");
        f.deliver(KernelQueue.PTYPE_ARP, f.fromWire(arpFrame("ff:ff:ff:ff:ff:ff", 1, "02:00:00:00:00:10", "192.0.2.10",
                "00:00:00:00:00:00", "198.51.100.1"), "eth0", PktType.PACKET_BROADCAST));
        assertThat(f.xmitHex()).isEmpty();
        // arp_ignore 0 answers for any local address (the weak host model).
        L3Fixture g = new L3Fixture(HOST);
        g.deliver(KernelQueue.PTYPE_ARP, g.fromWire(arpFrame("ff:ff:ff:ff:ff:ff", 1, "02:00:00:00:00:10", "192.0.2.10",
                "00:00:00:00:00:00", "198.51.100.1"), "eth0", PktType.PACKET_BROADCAST));
        assertThat(g.xmitHex()).hasSize(1);
    }

    @Test
    void arpRequestForSomeoneElseIsSilent() {
        L3Fixture f = new L3Fixture(HOST);
        f.deliver(KernelQueue.PTYPE_ARP, f.fromWire(arpFrame("ff:ff:ff:ff:ff:ff", 1, "02:00:00:00:00:10", "192.0.2.10",
                "00:00:00:00:00:00", "192.0.2.99"), "eth0", PktType.PACKET_BROADCAST));
        assertThat(f.xmitHex()).isEmpty();
        assertThat(f.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.10"), "eth0")).isNull();
    }

    @Test
    void arpRcvDropsAShortArp() {
        L3Fixture f = new L3Fixture(HOST);
        byte[] shortArp = java.util.Arrays.copyOf(arpFrame("ff:ff:ff:ff:ff:ff", 1, "02:00:00:00:00:10", "192.0.2.10",
                "00:00:00:00:00:00", "192.0.2.2"), 40);
        SkBuff skb = f.fromWire(shortArp, "eth0", PktType.PACKET_BROADCAST);
        f.deliver(KernelQueue.PTYPE_ARP, skb);
        assertThat(((Fate.Dropped) f.fateOf(skb)).reason()).isEqualTo(SkbDropReason.PKT_TOO_SMALL);
    }

    @Test
    void arpReplyOverridesAStaleEntryPastLocktimeOnly() {
        // arp-reply-updates-stale-neighbour: the STALE entry was installed long ago, so the reply wins.
        L3Fixture f = new L3Fixture(HOST);
        f.deliver(KernelQueue.PTYPE_ARP, f.fromWire(arpFrame("02:00:00:00:00:01", 2, "02:00:00:00:00:98", "192.0.2.1",
                "02:00:00:00:00:01", "192.0.2.2"), "eth0", PktType.PACKET_HOST));
        Neighbour.Entry n = f.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.1"), "eth0");
        assertThat(n.ha()).isEqualTo(MacAddress.parse("02:00:00:00:00:98"));
        assertThat(n.state()).isEqualTo(Neighbour.NUD_REACHABLE);
        // A second, different reply within locktime (1 s) does not override ("use the FIRST one").
        f.now += 500_000_000L;
        f.deliver(KernelQueue.PTYPE_ARP, f.fromWire(arpFrame("02:00:00:00:00:01", 2, "02:00:00:00:00:97", "192.0.2.1",
                "02:00:00:00:00:01", "192.0.2.2"), "eth0", PktType.PACKET_HOST));
        assertThat(n.ha()).isEqualTo(MacAddress.parse("02:00:00:00:00:98"));
        // After locktime it does.
        f.now += 1_000_000_000L;
        f.deliver(KernelQueue.PTYPE_ARP, f.fromWire(arpFrame("02:00:00:00:00:01", 2, "02:00:00:00:00:97", "192.0.2.1",
                "02:00:00:00:00:01", "192.0.2.2"), "eth0", PktType.PACKET_HOST));
        assertThat(n.ha()).isEqualTo(MacAddress.parse("02:00:00:00:00:97"));
    }

    @Test
    void unsolicitedReplyAndGratuitousArpCreateNothingWithoutArpAccept() {
        L3Fixture f = new L3Fixture(HOST);
        f.deliver(KernelQueue.PTYPE_ARP, f.fromWire(arpFrame("ff:ff:ff:ff:ff:ff", 1, "02:00:00:00:00:33", "192.0.2.33",
                "00:00:00:00:00:00", "192.0.2.33"), "eth0", PktType.PACKET_BROADCAST));
        assertThat(f.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.33"), "eth0")).isNull();
        L3Fixture g = new L3Fixture(HOST + "  net.ipv4.conf.all.arp_accept: 1\n");
        g.deliver(KernelQueue.PTYPE_ARP, g.fromWire(arpFrame("ff:ff:ff:ff:ff:ff", 1, "02:00:00:00:00:33", "192.0.2.33",
                "00:00:00:00:00:00", "192.0.2.33"), "eth0", PktType.PACKET_BROADCAST));
        Neighbour.Entry n = g.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.33"), "eth0");
        assertThat(n).isNotNull();
        assertThat(n.state()).isEqualTo(Neighbour.NUD_STALE);
    }

    static final byte[] UDP = L3Fixture.hex("9c40003500100000" + "6869686921212121");

    @Test
    void neighResolveOutputQueuesSolicitsAndSendsOnReply() {
        L3Fixture f = new L3Fixture(HOST);
        SkBuff a = f.localOut(UDP, Inet.parse("192.0.2.50"), 17, false);
        SkBuff b = f.localOut(UDP, Inet.parse("192.0.2.50"), 17, false);
        f.deliver(KernelQueue.IP_LOCAL_OUT, a);
        f.deliver(KernelQueue.IP_LOCAL_OUT, b);
        // One broadcast request (arp_solicit with the queued packet's source), both packets wait.
        assertThat(f.xmitHex()).containsExactly(
                "eth0 ffffffffffff02000000000108060001080006040001020000000001c000020200000000000" + "0c0000232");
        Neighbour.Entry n = f.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.50"), "eth0");
        assertThat(n.state()).isEqualTo(Neighbour.NUD_INCOMPLETE);
        assertThat(n.queued()).isEqualTo(2);
        assertThat(f.counters()).containsEntry("IpOutRequests", 2L).containsEntry("IpOutTransmits", 2L);
        // The reply: both go out to the learned MAC, in order.
        f.deliver(KernelQueue.PTYPE_ARP, f.fromWire(arpFrame("02:00:00:00:00:01", 2, "02:00:00:00:00:50", "192.0.2.50",
                "02:00:00:00:00:01", "192.0.2.2"), "eth0", PktType.PACKET_HOST));
        assertThat(n.state()).isEqualTo(Neighbour.NUD_REACHABLE);
        var sent = f.on(KernelQueue.DEV_QUEUE_XMIT);
        assertThat(sent).hasSize(3);
        assertThat(sent.get(1).skb()).isSameAs(a);
        assertThat(sent.get(2).skb()).isSameAs(b);
        String frame = L3Fixture.hex(a.dataBytes());
        assertThat(frame).startsWith("020000000050" + "020000000001" + "0800" + "45000024");
        assertThat(frame).contains("c0000202" + "c0000232");
        assertThat(frame).endsWith(L3Fixture.hex(UDP));
    }

    @Test
    void neighTimerHandlerFailsAfterMcastSolicitProbes() {
        L3Fixture f = new L3Fixture(HOST);
        SkBuff a = f.localOut(UDP, Inet.parse("192.0.2.50"), 17, false);
        f.deliver(KernelQueue.IP_LOCAL_OUT, a);
        f.advance(1_000_000_000L);
        f.advance(1_000_000_000L);
        assertThat(f.xmitHex()).hasSize(3);
        assertThat(f.fateOf(a)).isNull();
        f.advance(1_000_000_000L);
        assertThat(f.xmitHex()).hasSize(3);
        assertThat(((Fate.Dropped) f.fateOf(a)).reason()).isEqualTo(SkbDropReason.NEIGH_FAILED);
        Neighbour.Entry n = f.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.50"), "eth0");
        assertThat(n.state()).isEqualTo(Neighbour.NUD_FAILED);
    }

    @Test
    void staleEntryGoesDelayThenProbeWithAUnicastRequest() {
        L3Fixture f = new L3Fixture(HOST);
        f.deliver(KernelQueue.IP_LOCAL_OUT, f.localOut(UDP, Inet.parse("192.0.2.1"), 17, false));
        Neighbour.Entry n = f.layer.host(L3Fixture.NETNS).neigh().lookup(Inet.parse("192.0.2.1"), "eth0");
        // STALE sends at once and becomes DELAY.
        assertThat(f.xmitHex()).hasSize(1);
        assertThat(f.xmitHex().get(0)).startsWith("eth0 020000000099");
        assertThat(n.state()).isEqualTo(Neighbour.NUD_DELAY);
        // delay_first_probe_time (5 s) later: PROBE, a unicast request to the cached MAC.
        f.advance(5_000_000_000L);
        assertThat(n.state()).isEqualTo(Neighbour.NUD_PROBE);
        assertThat(f.xmitHex()).hasSize(2);
        assertThat(f.xmitHex().get(1)).startsWith("eth0 020000000099020000000001" + "0806");
    }

    @Test
    void ipQueueXmitBuildsTheHeader() {
        L3Fixture f = new L3Fixture(HOST.replace(", state: stale", ""));
        SkBuff rst = f.localOut(UDP, Inet.parse("192.0.2.1"), 6, true);
        f.deliver(KernelQueue.IP_LOCAL_OUT, rst);
        // DF, id 0 (unconnected socket), TTL 64, source chosen from the connected route.
        assertThat(f.xmitHex()).containsExactly("eth0 020000000099020000000001080045000024" + "00004000" + "4006"
                + String.format("%04x", checksum("450000240000400040060000" + "c0000202c0000201"))
                + "c0000202c0000201" + L3Fixture.hex(UDP));
        assertThat(f.counters()).isEqualTo(Map.of("IpOutRequests", 1L, "IpOutTransmits", 1L, "IpExtOutOctets", 36L));
    }

    static int checksum(String headerHex) {
        byte[] h = L3Fixture.hex(headerHex);
        return io.netstack.wire.InetChecksum.compute(h, 0, h.length);
    }

    @Test
    void ipQueueXmitWithNoRoute() {
        L3Fixture f = new L3Fixture(HOST);
        SkBuff s = f.localOut(UDP, Inet.parse("8.8.8.8"), 17, false);
        f.deliver(KernelQueue.IP_LOCAL_OUT, s);
        assertThat(((Fate.Dropped) f.fateOf(s)).reason()).isEqualTo(SkbDropReason.IP_OUTNOROUTES);
        assertThat(f.counters()).isEqualTo(Map.of("IpOutNoRoutes", 1L));
    }
}
