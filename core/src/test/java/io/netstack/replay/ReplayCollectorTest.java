package io.netstack.replay;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.SkbEvent.StatDelta;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ReplayCollectorTest {

    static final String HOST_YAML = """
            interfaces:
              - {name: eth0, mac: "02:00:00:00:00:01", addresses: ["192.0.2.2/24"]}
              - {name: eth1, mac: "02:00:00:00:01:01", addresses: ["198.51.100.1/24"]}
            sockets:
              - {proto: tcp, listen: "0.0.0.0:80", backlog: 16}
              - {proto: udp, bind: "0.0.0.0:5353"}
            """;
    static final HostConfig HOST = HostConfigParser.parse(HOST_YAML, "host.yaml", "h1");

    static final byte[] ECHO_REPLY = {2, 0, 0, 0, 0, (byte) 0x99, 2, 0, 0, 0, 0, 1, 8, 0};
    static final byte[] HELLO = {'h', 'e', 'l', 'l', 'o'};

    static SkbEvent event(String netns, long id, boolean entered, List<Long> spawned, List<StatDelta> stats, Fate fate) {
        return event(netns, id, entered, spawned, stats, fate, 0);
    }

    static SkbEvent event(String netns, long id, boolean entered, List<Long> spawned, List<StatDelta> stats, Fate fate, long time) {
        return new SkbEvent(netns, id, 0, "l3", "test", time, entered, spawned, List.of(), stats, fate, "");
    }

    static StatDelta snmp(String name, long d) { return new StatDelta(name, "", d); }

    static StatDelta link(String dev, String name, long d) { return new StatDelta(name, dev, d); }

    @Test
    void collectsFramesCountersLinksAndSocketsOfItsHostOnly() {
        ReplayCollector c = new ReplayCollector(HOST, "test");
        c.beginInput(0);
        c.beginInput(2_000_000);
        // An echo request enters on eth0, spawns its reply, is consumed; the reply leaves on eth0.
        c.accept(event("h1", 1, true, List.of(), List.of(link("eth0", "rx_packets", 1), link("eth0", "rx_bytes", 98)), null));
        c.accept(event("h1", 1, false, List.of(2L), List.of(snmp("IpInReceives", 1), snmp("IcmpInEchos", 1)),
                new Fate.Consumed("icmp_echo")));
        // Another host's events, interleaved as on the events topic: ignored.
        c.accept(event("h2", 7, true, List.of(), List.of(snmp("IpInReceives", 5), link("eth0", "rx_packets", 5)),
                new Fate.Transmitted("x", "eth0", new byte[]{9})));
        assertThat(c.inFlight()).isEqualTo(1);
        c.accept(event("h1", 2, false, List.of(), List.of(link("eth0", "tx_packets", 1), link("eth0", "multicast", 0)),
                new Fate.Transmitted("dev_hard_start_xmit", "eth0", ECHO_REPLY)));
        c.accept(event("h1", 3, true, List.of(), List.of(snmp("UdpInDatagrams", 1)),
                new Fate.Delivered("udp_queue_rcv_skb", "udp 0.0.0.0:5353", "192.0.2.1:40000", HELLO), 2_000_000));
        c.accept(event("h1", 4, true, List.of(), List.of(snmp("UdpNoPorts", 1), snmp("UdpNoPorts", -1),
                link("eth1", "rx_crc_errors", 2)), new Fate.Dropped("udp_rcv", SkbDropReason.NO_SOCKET)));
        c.accept(event("h1", 0, false, List.of(), List.of(snmp("TcpExtListenDrops", 1)), null));

        ReplayResult r = c.result();
        assertThat(r.transmitted()).hasSize(1);
        assertThat(r.transmitted().get(0).iface()).isEqualTo("eth0");
        assertThat(r.transmitted().get(0).frame()).isEqualTo(ECHO_REPLY);
        assertThat(r.transmitted().get(0).afterInput()).isZero();
        assertThat(r.counters()).containsExactly(Map.entry("IpInReceives", 1L), Map.entry("IcmpInEchos", 1L),
                Map.entry("UdpInDatagrams", 1L), Map.entry("TcpExtListenDrops", 1L));
        assertThat(r.links().get("eth0")).containsExactly(Map.entry("rx_packets", 1L), Map.entry("rx_bytes", 98L),
                Map.entry("rx_dropped", 0L), Map.entry("rx_errors", 0L), Map.entry("rx_nohandler", 0L),
                Map.entry("rx_otherhost_dropped", 0L), Map.entry("tx_packets", 1L), Map.entry("tx_bytes", 0L),
                Map.entry("tx_dropped", 0L), Map.entry("tx_errors", 0L));
        assertThat(r.links().get("eth1")).hasSize(11).containsEntry("rx_crc_errors", 2L).containsEntry("rx_packets", 0L);
        assertThat(r.sockets()).hasSize(2);
        assertThat(r.sockets().get(0)).isEqualTo(new ReplayResult.TcpListener("0.0.0.0:80", 16, List.of()));
        ReplayResult.UdpSocket udp = (ReplayResult.UdpSocket) r.sockets().get(1);
        assertThat(udp.bind()).isEqualTo("0.0.0.0:5353");
        assertThat(udp.received()).singleElement().satisfies(d -> {
            assertThat(d.from()).isEqualTo("192.0.2.1:40000");
            assertThat(d.payload()).isEqualTo(HELLO);
        });

        ReplayResult.Accounting a = r.accounting();
        assertThat(a.entered()).isEqualTo(3);
        assertThat(a.spawned()).isEqualTo(1);
        assertThat(a.fates()).containsEntry("Consumed", 1L).containsEntry("Transmitted", 1L)
                .containsEntry("Delivered", 1L).containsEntry("Dropped", 1L);
        assertThat(a.drops()).containsExactly(Map.entry("NO_SOCKET", 1L));
        assertThat(a.inFlight()).isZero();
        assertThat(c.inFlight()).isZero();
    }

    @Test
    void aFrameFollowsTheLastInputInjectedBeforeItsEventEvenWhenEventsArriveLate() {
        ReplayCollector c = new ReplayCollector(HOST, "test");
        c.beginInput(1_000);
        c.beginInput(2_000);
        c.beginInput(3_000);
        c.accept(event("h1", 1, false, List.of(), List.of(), new Fate.Transmitted("x", "eth0", ECHO_REPLY), 2_500));
        c.accept(event("h1", 2, false, List.of(), List.of(), new Fate.Transmitted("x", "eth1", ECHO_REPLY), 3_000));
        c.accept(event("h1", 3, false, List.of(), List.of(), new Fate.Transmitted("x", "eth0", ECHO_REPLY), 500));
        assertThat(c.result().transmitted()).extracting(ReplayResult.Transmitted::afterInput).containsExactly(1, 2, -1);
    }

    @Test
    void tcpConnectionsCarryTheirBytesAndEof() {
        ReplayCollector c = new ReplayCollector(HOST, "test");
        c.accept(event("h1", 1, true, List.of(), List.of(),
                new Fate.Delivered("tcp_data_queue", "tcp 0.0.0.0:80", "192.0.2.1:40000", new byte[0])));
        c.accept(event("h1", 2, true, List.of(), List.of(),
                new Fate.Delivered("tcp_data_queue", "tcp 0.0.0.0:80", "192.0.2.1:40000", HELLO)));
        c.tcpEof("tcp 0.0.0.0:80", "192.0.2.1:40000");
        ReplayResult.TcpListener l = (ReplayResult.TcpListener) c.result().sockets().get(0);
        assertThat(l.connections()).singleElement().satisfies(conn -> {
            assertThat(conn.from()).isEqualTo("192.0.2.1:40000");
            assertThat(conn.data()).isEqualTo(HELLO);
            assertThat(conn.eof()).isTrue();
        });
    }

    /**
     * The skbs without a fate, each with the function it was last seen in; a spawned skb whose
     * own fate was read before its parent's event (events of two visits, out of order on the
     * topic) is not taken for one still waiting.
     */
    @Test
    void namesTheSkbsWithoutAFateByWhereTheyWereLastSeen() {
        ReplayCollector c = new ReplayCollector(HOST, "test");
        c.accept(new SkbEvent("h1", 1, 0, "l3", "test", 0, true, List.of(), List.of(new SkbEvent.TraceEntry("ip_rcv", 0),
                new SkbEvent.TraceEntry("inet_frag_queue_insert", 0)), List.of(), null, ""));
        c.accept(event("h1", 3, false, List.of(), List.of(), new Fate.Consumed("icmp_socket_deliver")));
        c.accept(new SkbEvent("h1", 2, 0, "l4", "test", 0, true, List.of(3L, 4L),
                List.of(new SkbEvent.TraceEntry("icmp_echo", 0)), List.of(), new Fate.Consumed("icmp_echo"), ""));
        assertThat(c.unfated()).isEqualTo(Map.of(1L, "inet_frag_queue_insert", 4L, "icmp_echo"));
        assertThat(c.inFlight()).isEqualTo(2);
    }
}
