package io.netstack.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** netstack top's pieces: the exposition format, quantiles from buckets, one screen from two scrapes, the state file. */
class TopViewTest {

    static final StackFile.Service L3 = new StackFile.Service("l3", "l3-1", "http://127.0.0.1:1", 1);

    static String scrape(double in, double dropCsum, double depth, double b1ms, double b10ms, double inf) {
        return """
                # HELP netstack_skb_in_total skbs taken from a queue
                # TYPE netstack_skb_in_total counter
                netstack_skb_in_total{layer="l3",queue="ptype_ip"} %s
                netstack_skb_dropped_total{layer="l3",queue="ptype_ip",reason="IP_CSUM"} %s
                netstack_skb_dropped_total{layer="l3",queue="ptype_ip",reason="OTHERHOST"} 0.0
                netstack_queue_depth{layer="l3",partition="2",queue="ptype_ip"} %s
                netstack_hop_latency_seconds_bucket{layer="l3",queue="ptype_ip",le="0.001"} %s
                netstack_hop_latency_seconds_bucket{layer="l3",queue="ptype_ip",le="0.01"} %s
                netstack_hop_latency_seconds_bucket{layer="l3",queue="ptype_ip",le="+Inf"} %s
                """.formatted(in, dropCsum, depth, b1ms, b10ms, inf);
    }

    @Test
    void readsSamplesWithLabelsAndEscapes() {
        PromText.Sample s = PromText.sample("m{a=\"x\",b=\"q\\\"uote\"} 12.5");
        assertThat(s.name()).isEqualTo("m");
        assertThat(s.labels()).containsEntry("a", "x").containsEntry("b", "q\"uote");
        assertThat(s.value()).isEqualTo(12.5);
        assertThat(PromText.sample("up 1").value()).isEqualTo(1.0);
    }

    @Test
    void quantileInterpolatesInsideTheBucketLikeHistogramQuantile() {
        Map<Double, Double> b = new TreeMap<>(Map.of(0.001, 50.0, 0.01, 100.0, Double.POSITIVE_INFINITY, 100.0));
        assertThat(TopView.quantile(0.5, b)).isCloseTo(0.001, within(1e-12));
        assertThat(TopView.quantile(0.75, b)).isCloseTo(0.0055, within(1e-12));
        assertThat(TopView.quantile(0.99, new TreeMap<>(Map.of(Double.POSITIVE_INFINITY, 0.0)))).isNaN();
    }

    @Test
    void aScreenShowsRatesDropsByReasonAndDepthFromTwoScrapes() {
        List<TopView.Scrape> before = List.of(new TopView.Scrape(L3, PromText.parse(scrape(100, 10, 0, 0, 0, 0))));
        List<TopView.Scrape> now = List.of(new TopView.Scrape(L3, PromText.parse(scrape(300, 30, 7, 100, 200, 200))));
        String screen = TopView.render(before, now, 2.0, "hdr");
        String l3 = screen.lines().filter(l -> l.startsWith("l3 ")).findFirst().orElseThrow();
        assertThat(l3.trim().split("\\s+")).containsExactly("l3", "1", "100.0", "0.0", "10.0", "7", "1.0ms", "9.8ms", "-", "0");
        assertThat(screen).contains("1/1 services up").containsPattern("l3\\s+IP_CSUM\\s+10.0")
                .doesNotContain("OTHERHOST").containsPattern("l3 ptype_ip cpu2\\s+7");
    }

    @Test
    void aServiceThatDoesNotAnswerIsShownAsDown() {
        List<TopView.Scrape> now = List.of(new TopView.Scrape(L3, null),
                new TopView.Scrape(new StackFile.Service("l3", "l3-2", "http://127.0.0.1:2", 2), List.of()));
        assertThat(TopView.render(List.of(), now, 1, "hdr")).contains("1/2 services up").containsPattern("l3\\s+1/2");
    }

    @Test
    void theStateFileGivesBootstrapAndServicesWhateverItsNesting(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("stack.json");
        Files.writeString(f, """
                {"bootstrapServers": "127.0.0.1:39092", "broker": {"pid": 10, "port": 39092},
                 "services": [{"layer": "nic", "instance": "nic-1", "pid": 11, "port": 8081},
                              {"instance": "l3-2", "pid": 12, "port": 8090}]}
                """);
        StackFile s = StackFile.read(f);
        assertThat(s.bootstrap()).isEqualTo("127.0.0.1:39092");
        assertThat(s.services()).containsExactly(new StackFile.Service("nic", "nic-1", "http://127.0.0.1:8081", 11),
                new StackFile.Service("l3", "l3-2", "http://127.0.0.1:8090", 12));
    }
}
