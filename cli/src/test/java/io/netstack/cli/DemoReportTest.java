package io.netstack.cli;

import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DemoReportTest {

    static SkbEvent ev(long id, long parent, String layer, boolean entered, List<Long> spawned, List<String> functions, Fate fate) {
        return new SkbEvent("demo", id, parent, layer, "t", 0, entered, spawned,
                functions.stream().map(f -> new SkbEvent.TraceEntry(f, 0)).toList(), List.of(), fate, "");
    }

    static final byte[] REPLY = DemoTraffic.arpRequest(DemoTraffic.PEER_IP, DemoTraffic.HOST_IP);

    /** An echo request that is answered (reply spawned and sent), then a frame dropped in softirq. */
    static final List<SkbEvent> EVENTS = List.of(
            ev(1, 0, "nic", true, List.of(), List.of("netif_rx"), null),
            ev(1, 0, "l3", false, List.of(), List.of("ip_rcv", "ip_local_deliver"), null),
            ev(1, 0, "l4", false, List.of(2L), List.of("icmp_rcv", "icmp_echo"), new Fate.Consumed("icmp_echo")),
            ev(3, 0, "nic", true, List.of(), List.of("netif_rx"), null),
            ev(2, 1, "l3", false, List.of(), List.of("ip_local_out"), null),
            ev(0, 0, "l3", false, List.of(), List.of(), null),
            ev(2, 1, "nic", false, List.of(), List.of("dev_hard_start_xmit"), new Fate.Transmitted("dev_hard_start_xmit", "eth0", REPLY)),
            ev(3, 0, "softirq", false, List.of(), List.of("__netif_receive_skb_core"),
                    new Fate.Dropped("__netif_receive_skb_core", SkbDropReason.UNHANDLED_PROTO)));

    @Test
    void groupsEventsByTheInputFrameTheyDescendFrom() {
        List<List<SkbEvent>> j = DemoReport.journeys(EVENTS);
        assertThat(j).hasSize(2);
        assertThat(j.get(0)).extracting(SkbEvent::skbId).containsExactly(1L, 1L, 1L, 2L, 2L);
        assertThat(j.get(1)).extracting(SkbEvent::skbId).containsExactly(3L, 3L);
    }

    @Test
    void printsOneLinePerKernelFunctionThenTheFate() {
        List<String> lines = DemoReport.journeyLines(DemoReport.journeys(EVENTS).get(0));
        assertThat(lines).hasSize(9);
        assertThat(lines.get(0)).contains("skb 1").contains("nic").endsWith("netif_rx");
        assertThat(lines.get(5)).contains("l4").contains("=> CONSUMED (in icmp_echo)");
        assertThat(lines.get(6)).contains("skb 2").contains("(from 1)").endsWith("ip_local_out");
        assertThat(lines.get(8)).contains("=> TRANSMITTED on eth0: ").contains("ARP, Request who-has 192.0.2.2");
    }

    @Test
    void saysWhenAnSkbHasNoFate() {
        List<String> lines = DemoReport.journeyLines(List.of(EVENTS.get(0)));
        assertThat(lines).last().asString().contains("still in flight");
    }

    @Test
    void tablesVisitsAndFatesPerLayer() {
        List<DemoReport.LayerRow> rows = DemoReport.layerTable(EVENTS);
        assertThat(rows).extracting(DemoReport.LayerRow::layer).containsExactly("nic", "softirq", "l3", "l4", "socket");
        DemoReport.LayerRow nic = rows.get(0);
        assertThat(nic.in()).isEqualTo(3);
        assertThat(nic.passedOn()).isEqualTo(2);
        assertThat(nic.transmitted()).isEqualTo(1);
        assertThat(rows.get(1).dropped()).containsEntry("UNHANDLED_PROTO", 1L);
        assertThat(rows.get(2).in()).isEqualTo(2); // the skb-less event is not a visit
        assertThat(rows.get(3).consumed()).isEqualTo(1);
        assertThat(DemoReport.layerTableLines(rows).get(2)).contains("UNHANDLED_PROTO x1");
    }

    static SkbEvent at(long id, long parent, String layer, String instance, long millis, List<Long> spawned, Fate fate) {
        return new SkbEvent("demo", id, parent, layer, instance, millis * 1_000_000L, id == 9001, spawned,
                List.of(new SkbEvent.TraceEntry(layer + "_fn", 0)), List.of(), fate, "");
    }

    /** The distributed stack: wall-clock times, instances, 19-digit ids. */
    static final List<SkbEvent> TIMED = List.of(
            at(9001, 0, "nic", "nic-1", 1000, List.of(), null),
            at(9001, 0, "softirq", "softirq-2", 1012, List.of(), null),
            at(9001, 0, "l3", "l3-1", 1020, List.of(7777L), new Fate.Consumed("l3_fn")),
            at(7777, 9001, "nic", "nic-1", 1031, List.of(), new Fate.Transmitted("nic_fn", "eth0", REPLY)));

    @Test
    void timedJourneysSayWhenAndWhereEachVisitRanAndHowLongTheHopTook() {
        List<String> lines = DemoReport.journeyLines(DemoReport.journeys(DemoReport.renumber(TIMED)).get(0));
        assertThat(lines.get(0)).matches("\\s+0\\.0\\s+skb 1\\s+nic\\s+nic-1\\s+nic_fn");
        assertThat(lines.get(1)).contains("12.0").contains("softirq-2").endsWith("<- 12.0 ms after nic");
        // The reply's first visit is timed from its parent's visit that spawned it.
        assertThat(lines.get(4)).contains("skb 2").contains("(from 1)").contains("31.0").endsWith("<- 11.0 ms after l3");
    }

    @Test
    void renumbersSkbsInOrderOfFirstAppearanceKeepingParentsAndSpawned() {
        List<SkbEvent> r = DemoReport.renumber(TIMED);
        assertThat(r).extracting(SkbEvent::skbId).containsExactly(1L, 1L, 1L, 2L);
        assertThat(r.get(2).spawned()).containsExactly(2L);
        assertThat(r.get(3).parentId()).isEqualTo(1L);
    }

    @Test
    void theLayerTableGivesTheMedianHopPerLayerWhenTimed() {
        List<DemoReport.LayerRow> rows = DemoReport.layerTable(TIMED);
        assertThat(rows.get(1).medianHopNanos()).isEqualTo(12_000_000L);
        assertThat(rows.get(0).hopNanos()).containsExactly(11_000_000L); // the reply, from the l3 visit
        assertThat(DemoReport.layerTableLines(rows).get(0)).contains("hop p50");
        assertThat(DemoReport.layerTableLines(DemoReport.layerTable(EVENTS)).get(0)).doesNotContain("hop p50");
    }
}
