package io.netstack.layer;

import io.netstack.net.ethernet.Eth;
import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.MacAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Frames through veth RX, netif_rx and __netif_receive_skb_core, table-driven. */
class LinkRxTest {

    private static byte[] hex(String s) { return HexFormat.of().parseHex(s.replace(" ", "")); }

    static final String OUR = "020000000001";
    static final String PEER = "020000000099";
    /** IPv4/UDP 192.0.2.1:40000 -> 192.0.2.2:5353 "not-for-us" (scenario link-unicast-other-mac, 38 bytes). */
    static final String IPV4_UDP = "450000261000000040 11e6c3c0000201c00002029c4014e9001299ef6e6f742d666f722d7573";
    static final byte[] OUR_MAC_IPV4 = hex(OUR + PEER + "0800" + IPV4_UDP);
    static final byte[] OTHER_MAC_IPV4 = hex("020000000042" + PEER + "0800" + IPV4_UDP);
    static final byte[] BROADCAST_ARP = hex("ffffffffffff" + PEER + "0806"
            + "0001080006040001" + PEER + "c0000201" + "000000000000" + "c0000202");
    static final byte[] MULTICAST_IPV4 = hex("01005e000001" + PEER + "0800" + IPV4_UDP);
    /** Scenario link-vlan-tagged-no-vlan-device: 802.1Q VID 5 around an ICMP echo request. */
    static final byte[] VLAN5_ICMP = hex(OUR + PEER + "8100 0005 0800"
            + "4500002210000000400 1e6d7c0000201c00002020800f27700770001766c616e2d35".replace(" ", ""));
    /** A priority tag (VID 0, PCP 5) around IPv4: untagged and delivered as our own. */
    static final byte[] PRIO_TAG_IPV4 = hex(OUR + PEER + "8100 a000 0800" + IPV4_UDP);
    /** 802.1ad VID 0 outside, 802.1Q VID 7 inside. */
    static final byte[] QINQ_IPV4 = hex(OUR + PEER + "88a8 0000 8100 0007 0800" + IPV4_UDP);
    /** 802.1Q with only 3 bytes after the TPID: the tag cannot be pulled. */
    static final byte[] VLAN_TRUNCATED = hex(OUR + PEER + "8100 0005 08");
    /** Scenario link-unknown-ethertype: EtherType 0x88b5 (local experimental), 60 bytes. */
    static final byte[] UNKNOWN_ETHERTYPE = hex(OUR + PEER + "88b5"
            + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d");
    /** 802.3 length 6 with an LLC header (DSAP/SSAP 0x42, STP's). */
    static final byte[] LLC = hex(OUR + PEER + "0006 424203000000");
    /** 802.3 length with a raw Novell payload (0xFFFF). */
    static final byte[] RAW_8023 = hex(OUR + PEER + "0006 ffff00060000");
    /** IPv6 (next header 59, no payload) to our MAC. */
    static final byte[] IPV6 = hex(OUR + PEER + "86dd"
            + "60000000 0000 3b 40 20010db8000000000000000000000001 20010db8000000000000000000000002");
    static final byte[] IPV6_OTHER_MAC = hex("020000000042" + PEER + "86dd"
            + "60000000 0000 3b 40 20010db8000000000000000000000001 20010db8000000000000000000000002");
    /** Scenario link-runt-ipv4-frame: 14 bytes, Ethernet header only. */
    static final byte[] HEADER_ONLY = hex(OUR + PEER + "0800");
    static final byte[] RUNT_13 = hex(OUR + PEER + "08");
    static final byte[] OVERSIZE = new byte[1500 + 14 + 4 + 1];
    static {
        System.arraycopy(OUR_MAC_IPV4, 0, OVERSIZE, 0, 14);
    }

    record Case(String name, byte[] frame, boolean promisc, KernelQueue queue, PktType pktType, int protocol,
                int dataOffset, SkbDropReason drop, Map<String, Long> links, Map<String, Long> counters) {
        @Override public String toString() { return name; }
    }

    static Map<String, Long> rx(byte[] f) { return Map.of("rx_packets", 1L, "rx_bytes", (long) f.length); }

    static Map<String, Long> rx(byte[] f, String stat) {
        return Map.of("rx_packets", 1L, "rx_bytes", (long) f.length, stat, 1L);
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("our MAC, IPv4", OUR_MAC_IPV4, false, KernelQueue.PTYPE_IP, PktType.PACKET_HOST, Eth.ETH_P_IP, 14, null, rx(OUR_MAC_IPV4), Map.of()),
                new Case("broadcast ARP", BROADCAST_ARP, false, KernelQueue.PTYPE_ARP, PktType.PACKET_BROADCAST, Eth.ETH_P_ARP, 14, null, rx(BROADCAST_ARP), Map.of()),
                new Case("multicast IPv4", MULTICAST_IPV4, false, KernelQueue.PTYPE_IP, PktType.PACKET_MULTICAST, Eth.ETH_P_IP, 14, null, rx(MULTICAST_IPV4), Map.of()),
                new Case("other MAC continues as OTHERHOST", OTHER_MAC_IPV4, false, KernelQueue.PTYPE_IP, PktType.PACKET_OTHERHOST, Eth.ETH_P_IP, 14, null, rx(OTHER_MAC_IPV4), Map.of()),
                new Case("other MAC, promisc: still OTHERHOST", OTHER_MAC_IPV4, true, KernelQueue.PTYPE_IP, PktType.PACKET_OTHERHOST, Eth.ETH_P_IP, 14, null, rx(OTHER_MAC_IPV4), Map.of()),
                new Case("VLAN 5, no VLAN device: untagged, OTHERHOST", VLAN5_ICMP, false, KernelQueue.PTYPE_IP, PktType.PACKET_OTHERHOST, Eth.ETH_P_IP, 18, null, rx(VLAN5_ICMP), Map.of()),
                new Case("priority tag (VID 0): untagged, ours", PRIO_TAG_IPV4, false, KernelQueue.PTYPE_IP, PktType.PACKET_HOST, Eth.ETH_P_IP, 18, null, rx(PRIO_TAG_IPV4), Map.of()),
                new Case("802.1ad VID 0 around 802.1Q VID 7", QINQ_IPV4, false, KernelQueue.PTYPE_IP, PktType.PACKET_OTHERHOST, Eth.ETH_P_IP, 22, null, rx(QINQ_IPV4), Map.of()),
                new Case("VLAN tag cut short", VLAN_TRUNCATED, false, null, PktType.PACKET_HOST, Eth.ETH_P_8021Q, 14, SkbDropReason.NOT_SPECIFIED, rx(VLAN_TRUNCATED), Map.of()),
                new Case("unknown EtherType: rx_dropped", UNKNOWN_ETHERTYPE, false, null, PktType.PACKET_HOST, 0x88b5, 14, SkbDropReason.UNHANDLED_PROTO, rx(UNKNOWN_ETHERTYPE, "rx_dropped"), Map.of()),
                // llc_rcv is registered on the recording kernel: freed there, no rx_dropped (recorded/link-8023-length-frame)
                new Case("802.3 + LLC: ETH_P_802_2 to llc_rcv", LLC, false, null, PktType.PACKET_HOST, Eth.ETH_P_802_2, 14, SkbDropReason.NOT_SPECIFIED, rx(LLC), Map.of()),
                new Case("raw 802.3: ETH_P_802_3, unhandled", RAW_8023, false, null, PktType.PACKET_HOST, Eth.ETH_P_802_3, 14, SkbDropReason.UNHANDLED_PROTO, rx(RAW_8023, "rx_dropped"), Map.of()),
                new Case("IPv6, disabled", IPV6, false, null, PktType.PACKET_HOST, Eth.ETH_P_IPV6, 14, SkbDropReason.IPV6DISABLED, rx(IPV6),
                        Map.of("Ip6InReceives", 1L, "Ip6InOctets", 40L, "Ip6InDiscards", 1L)),
                new Case("IPv6 for another MAC", IPV6_OTHER_MAC, false, null, PktType.PACKET_OTHERHOST, Eth.ETH_P_IPV6, 14, SkbDropReason.OTHERHOST, rx(IPV6_OTHER_MAC, "rx_otherhost_dropped"), Map.of()),
                new Case("header only: to ip_rcv with nothing", HEADER_ONLY, false, KernelQueue.PTYPE_IP, PktType.PACKET_HOST, Eth.ETH_P_IP, 14, null, rx(HEADER_ONLY), Map.of()),
                new Case("runt of 13 bytes", RUNT_13, false, null, null, 0, -1, SkbDropReason.PKT_TOO_SMALL, Map.of("rx_length_errors", 1L, "rx_errors", 1L), Map.of()),
                new Case("over MTU + 18", OVERSIZE, false, null, null, 0, -1, SkbDropReason.NOT_SPECIFIED, Map.of("rx_dropped", 1L), Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rx(Case c) {
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(c.promisc, 1000, Map.of()));
        LinkHarness.Result r = h.rx(c.frame);

        assertThat(r.queue()).isEqualTo(c.queue);
        if (c.drop == null) {
            assertThat(r.fate()).isNull();
        } else {
            assertThat(r.fate()).isInstanceOfSatisfying(Fate.Dropped.class, d -> assertThat(d.reason()).isEqualTo(c.drop));
        }
        Map<String, Long> links = new java.util.TreeMap<>();
        c.links.forEach((k, v) -> links.put("eth0." + k, v));
        assertThat(r.linkStats()).isEqualTo(links);
        assertThat(r.counters()).isEqualTo(c.counters);
        if (c.dataOffset < 0) return; // dropped in the NIC: no skb to look at
        SkBuff skb = r.skb();
        assertThat(skb.pktType()).isEqualTo(c.pktType);
        assertThat(skb.protocol()).isEqualTo(c.protocol);
        assertThat(skb.data() - NicLayer.NET_SKB_PAD).as("data offset in the frame").isEqualTo(c.dataOffset);
        assertThat(skb.len()).isEqualTo(c.frame.length - c.dataOffset);
        assertThat(skb.dev()).isEqualTo("eth0");
        assertThat(skb.iif()).isEqualTo("eth0");
        // The MAC header sits right in front of the network header and reads as an untagged frame.
        assertThat(skb.macHeader()).isEqualTo(skb.data() - EthernetHeader.LENGTH);
        EthernetHeader eth = EthernetHeader.unchecked(skb.head(), skb.macHeader());
        assertThat(eth.src()).isEqualTo(MacAddress.parse("02:00:00:00:00:99"));
        if (c.queue != null) {
            assertThat(eth.proto()).isEqualTo(c.protocol);
            assertThat(skb.networkHeader()).isEqualTo(skb.data());
        }
        assertThat(skb.cpu()).isBetween(0, NicLayer.DEFAULT_CPUS - 1);
        assertThat(skb.hash()).isNotZero();
    }
}
