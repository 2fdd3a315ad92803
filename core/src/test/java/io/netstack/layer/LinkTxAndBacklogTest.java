package io.netstack.layer;

import io.netstack.net.core.PacketTap;
import io.netstack.net.sched.PfifoFast;
import io.netstack.pcap.PcapReader;
import io.netstack.pcap.PcapRecord;
import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class LinkTxAndBacklogTest {

    /** A 54-byte TCP RST as the host sends it: no padding to 60. */
    static final byte[] TCP_RST_54 = HexFormat.of().parseHex(
            "020000000099020000000001080045000028000040004006b6c8c0000202c0000201"
                    + "0050 9c40 00000000 00000001 5014 0000 0000 0000".replace(" ", ""));

    @Test
    void transmitCountsTheFrameAsItIs() {
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 1000, Map.of()));
        LinkHarness.Result r = h.tx(h.frameSkb(TCP_RST_54));

        assertThat(r.fate()).isInstanceOfSatisfying(Fate.Transmitted.class, t -> {
            assertThat(t.dev()).isEqualTo("eth0");
            assertThat(t.frame()).containsExactly(TCP_RST_54);
        });
        assertThat(r.linkStats()).isEqualTo(Map.of("eth0.tx_packets", 1L, "eth0.tx_bytes", 54L));
        assertThat(r.trace()).containsSubsequence("__dev_queue_xmit", "sch_direct_xmit", "dev_hard_start_xmit", "veth_xmit");
        assertThat(h.softirq.sched().existing(LinkHarness.NETNS, "eth0").packets()).isEqualTo(1);
    }

    @Test
    void noqueueDeviceTransmitsDirectly() {
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 0, Map.of()));
        LinkHarness.Result r = h.tx(h.frameSkb(TCP_RST_54));
        assertThat(r.fate()).isInstanceOf(Fate.Transmitted.class);
        assertThat(r.trace()).doesNotContain("sch_direct_xmit", "pfifo_fast_enqueue");
    }

    @Test
    void aRuntFrameFromTheStackIsATxDrop() {
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 1000, Map.of()));
        LinkHarness.Result r = h.tx(h.frameSkb(new byte[13]));
        assertThat(r.fate()).isInstanceOfSatisfying(Fate.Dropped.class, d -> assertThat(d.reason()).isEqualTo(SkbDropReason.NOT_SPECIFIED));
        assertThat(r.linkStats()).isEqualTo(Map.of("eth0.tx_dropped", 1L));
    }

    /** A band holds txqueuelen skbs; one more is a qdisc drop, which moves no device statistic. */
    @ParameterizedTest(name = "priority {0} -> band {1}, {2} waiting of limit 10 -> {3}")
    @CsvSource({
            "0, 1, 9, sent",
            "0, 1, 10, QDISC_DROP",
            "6, 0, 10, QDISC_DROP",
            "6, 0, 9, sent",
            "2, 2, 10, QDISC_DROP",
            "2, 2, 0, sent",
    })
    void qdiscLimit(int priority, int band, int waiting, String outcome) {
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 10, Map.of()));
        h.softirq.sched().setTxQueueDepth((netns, dev, b) -> b == band ? waiting : 0);
        SkBuff skb = h.frameSkb(TCP_RST_54);
        skb.setPriority(priority);
        LinkHarness.Result r = h.tx(skb);

        assertThat(PfifoFast.band(priority)).isEqualTo(band);
        PfifoFast q = h.softirq.sched().existing(LinkHarness.NETNS, "eth0");
        if (outcome.equals("sent")) {
            assertThat(r.fate()).isInstanceOf(Fate.Transmitted.class);
            assertThat(r.linkStats()).containsEntry("eth0.tx_packets", 1L);
            assertThat(q.drops()).isZero();
        } else {
            assertThat(r.fate()).isInstanceOfSatisfying(Fate.Dropped.class,
                    d -> assertThat(d.reason()).isEqualTo(SkbDropReason.valueOf(outcome)));
            assertThat(r.linkStats()).isEmpty();
            assertThat(q.drops()).isEqualTo(1);
        }
    }

    /** enqueue_to_backlog drops only when the backlog holds MORE than netdev_max_backlog. */
    @ParameterizedTest(name = "max {0}, depth {1} -> {2}")
    @CsvSource({
            "'', 1000, queued",
            "'', 1001, CPU_BACKLOG",
            "10, 10, queued",
            "10, 11, CPU_BACKLOG",
    })
    void backlogBound(String maxBacklog, long depth, String outcome) {
        Map<String, String> sysctl = maxBacklog.isEmpty() ? Map.of() : Map.of("net.core.netdev_max_backlog", maxBacklog);
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 1000, sysctl));
        h.nic.setBacklogDepth(cpu -> depth);
        LinkHarness.Result r = h.rx(LinkRxTest.OUR_MAC_IPV4);

        long dropped = 0;
        for (int cpu = 0; cpu < h.nic.cpus(); cpu++) dropped += h.nic.softnet().dropped(cpu);
        if (outcome.equals("queued")) {
            assertThat(r.queue()).isEqualTo(KernelQueue.PTYPE_IP);
            assertThat(r.linkStats()).containsEntry("eth0.rx_packets", 1L).doesNotContainKey("eth0.rx_dropped");
            assertThat(dropped).isZero();
        } else {
            assertThat(r.fate()).isInstanceOfSatisfying(Fate.Dropped.class, d -> assertThat(d.reason()).isEqualTo(SkbDropReason.CPU_BACKLOG));
            // veth counts rx only when netif_rx accepted the frame.
            assertThat(r.linkStats()).isEqualTo(Map.of("eth0.rx_dropped", 1L));
            assertThat(dropped).isEqualTo(1);
        }
    }

    @Test
    void unknownInterfaceIsDevReadyAndMovesNothing() {
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 1000, Map.of()));
        LinkHarness.Result r = h.rx("eth7", LinkRxTest.OUR_MAC_IPV4);
        assertThat(r.fate()).isInstanceOfSatisfying(Fate.Dropped.class, d -> assertThat(d.reason()).isEqualTo(SkbDropReason.DEV_READY));
        assertThat(r.linkStats()).isEmpty();
    }

    @Test
    void tapsSeeReceivedAndSentFrames() {
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 1000, Map.of()));
        List<String> seen = new ArrayList<>();
        PacketTap tap = (netns, dev, type, frame, t) -> seen.add(type + " " + dev + " " + HexFormat.of().formatHex(frame));
        h.softirq.taps().register(LinkHarness.NETNS, tap);

        h.rx(LinkRxTest.VLAN5_ICMP);
        h.tx(h.frameSkb(TCP_RST_54));

        String untagged = HexFormat.of().formatHex(LinkRxTest.VLAN5_ICMP, 0, 12) + HexFormat.of().formatHex(LinkRxTest.VLAN5_ICMP, 16, LinkRxTest.VLAN5_ICMP.length);
        // The tap runs after skb_vlan_untag and before check_vlan_id: it sees the untagged frame, pkt_type HOST.
        assertThat(seen).containsExactly(
                PktType.PACKET_HOST + " eth0 " + untagged,
                PktType.PACKET_OUTGOING + " eth0 " + HexFormat.of().formatHex(TCP_RST_54));
    }

    @Test
    void theFlowHashIsStableAndTheSameBothWays() {
        LinkHarness h = new LinkHarness(8).configure(LinkHarness.host(false, 1000, Map.of()));
        SkBuff a = h.rx(LinkRxTest.OUR_MAC_IPV4).skb();
        SkBuff b = h.rx(LinkRxTest.OUR_MAC_IPV4).skb();
        // The same datagram back: addresses and ports swapped (checksums do not enter the hash).
        byte[] reverse = LinkRxTest.OUR_MAC_IPV4.clone();
        System.arraycopy(LinkRxTest.OUR_MAC_IPV4, 26, reverse, 30, 4);
        System.arraycopy(LinkRxTest.OUR_MAC_IPV4, 30, reverse, 26, 4);
        System.arraycopy(LinkRxTest.OUR_MAC_IPV4, 34, reverse, 36, 2);
        System.arraycopy(LinkRxTest.OUR_MAC_IPV4, 36, reverse, 34, 2);
        SkBuff c = h.rx(reverse).skb();
        byte[] otherPort = LinkRxTest.OUR_MAC_IPV4.clone();
        otherPort[35] ^= 1;
        SkBuff d = h.rx(otherPort).skb();

        assertThat(b.hash()).isEqualTo(a.hash());
        assertThat(c.hash()).isEqualTo(a.hash());
        assertThat(d.hash()).isNotEqualTo(a.hash());
        assertThat(a.cpu()).isEqualTo(Integer.remainderUnsigned(a.hash(), 8));
        assertThat(h.softirq.softnet().processed(a.cpu())).isGreaterThanOrEqualTo(2);
    }

    /** The link scenarios' input pcaps, as far as the link layer moves their link statistics (expected.json). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // scenario, frames, rx_packets, rx_bytes, rx_dropped, frames to ptype_ip
            "link-runt-ipv4-frame, 2, 2, 34, 0, 2",
            "link-unicast-other-mac, 1, 1, 52, 0, 1",
            "link-unknown-ethertype, 1, 1, 60, 1, 0",
            "link-vlan-tagged-no-vlan-device, 1, 1, 52, 0, 1",
    })
    void scenarioPcaps(String scenario, int frames, long rxPackets, long rxBytes, long rxDropped, int toIp) throws Exception {
        List<PcapRecord> records = PcapReader.read(Path.of(getClass().getResource("/link/" + scenario + ".pcap").toURI()));
        assertThat(records).hasSize(frames);
        LinkHarness h = new LinkHarness().configure(LinkHarness.host(false, 1000, Map.of()));
        Map<String, Long> links = new TreeMap<>();
        int ip = 0;
        for (PcapRecord rec : records) {
            LinkHarness.Result r = h.rx(rec.frame());
            r.linkStats().forEach((k, v) -> links.merge(k, v, Long::sum));
            if (r.queue() == KernelQueue.PTYPE_IP) ip++;
        }
        assertThat(links.getOrDefault("eth0.rx_packets", 0L)).isEqualTo(rxPackets);
        assertThat(links.getOrDefault("eth0.rx_bytes", 0L)).isEqualTo(rxBytes);
        assertThat(links.getOrDefault("eth0.rx_dropped", 0L)).isEqualTo(rxDropped);
        assertThat(links.getOrDefault("eth0.rx_nohandler", 0L)).isZero();
        assertThat(ip).isEqualTo(toIp);
    }

    @Test
    void inProcessStackStillRunsAFrameToItsFate() {
        InProcessStack stack = InProcessStack.create();
        List<SkbEvent> events = new ArrayList<>();
        stack.onEvent(events::add);
        stack.configure(LinkHarness.host(false, 1000, Map.of()));
        stack.receiveFrame(new WireFrame(LinkHarness.NETNS, "eth0", LinkRxTest.UNKNOWN_ETHERTYPE, 0));

        List<Fate> fates = events.stream().map(SkbEvent::fate).filter(f -> f != null).toList();
        assertThat(fates).singleElement().isInstanceOfSatisfying(Fate.Dropped.class,
                d -> assertThat(d.reason()).isEqualTo(SkbDropReason.UNHANDLED_PROTO));
        assertThat(events.stream().flatMap(e -> e.trace().stream()).map(SkbEvent.TraceEntry::function))
                .containsSubsequence("veth_xmit", "eth_type_trans", "netif_rx", "enqueue_to_backlog",
                        "process_backlog", "__netif_receive_skb_core");
    }
}
