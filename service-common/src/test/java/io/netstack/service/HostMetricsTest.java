package io.netstack.service;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.layer.Layers;
import io.netstack.layer.NicLayer;
import io.netstack.stack.SkbEvent;
import io.netstack.stats.LinkStat;
import io.netstack.stats.Snmp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The emulated hosts' counters under node_exporter's names, as Prometheus scrapes them. */
class HostMetricsTest {

    static final String HOST = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
              - name: eth1
                mac: "02:00:00:00:00:02"
                mtu: 1500
                addresses: ["198.51.100.2/24"]
            """;

    @ParameterizedTest
    @CsvSource({
            "IpInReceives, node_netstat_Ip_InReceives",
            "IpExtInOctets, node_netstat_IpExt_InOctets",
            "IcmpInEchos, node_netstat_Icmp_InEchos",
            "IcmpMsgInType8, node_netstat_IcmpMsg_InType8",
            "TcpActiveOpens, node_netstat_Tcp_ActiveOpens",
            "TcpExtListenDrops, node_netstat_TcpExt_ListenDrops",
            "UdpNoPorts, node_netstat_Udp_NoPorts",
            "UdpLiteInDatagrams, node_netstat_UdpLite_InDatagrams",
    })
    void nstatNamesSplitIntoNodeExporterGroups(String nstat, String metric) {
        assertThat(HostMetrics.netstatMetric(nstat)).isEqualTo(metric);
    }

    @ParameterizedTest
    @CsvSource({
            "rx_packets, node.network.receive.packets",
            "rx_bytes, node.network.receive.bytes",
            "rx_dropped, node.network.receive.drop",
            "rx_errors, node.network.receive.errs",
            "tx_packets, node.network.transmit.packets",
            "tx_dropped, node.network.transmit.drop",
            "rx_otherhost_dropped, node.network.receive.otherhost_dropped",
            "collisions, node.network.transmit.colls",
    })
    void linkStatsTakeTheNetdevCollectorsNames(String stat, String metric) {
        assertThat(HostMetrics.networkMetric(stat)).isEqualTo(metric);
    }

    @Test
    void aHostsSeriesExistAtZeroOnceItsConfigurationArrivesAndMoveWithEvents() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        HostMetrics m = new HostMetrics(registry, Layers.byName("l3"), 4);
        assertThat(registry.scrape()).doesNotContain("node_netstat_Ip_InReceives");

        HostConfig host = HostConfigParser.parse(HOST, "test", "h1");
        m.configured(host);
        String scrape = registry.scrape();
        for (String n : Snmp.WELL_KNOWN) {
            assertThat(scrape).contains(HostMetrics.netstatMetric(n) + "{netns=\"h1\"} 0");
        }
        for (String dev : List.of("eth0", "eth1")) {
            assertThat(scrape).contains("node_network_receive_packets_total{device=\"" + dev + "\",netns=\"h1\"} 0");
            assertThat(scrape).contains("node_network_transmit_drop_total{device=\"" + dev + "\",netns=\"h1\"} 0");
        }
        assertThat(registry.find("node.network.receive.packets").counters())
                .hasSize(2 * 1);
        assertThat(registry.getMeters().stream().filter(x -> x.getId().getName().startsWith("node.network")).count())
                .isEqualTo(2L * LinkStat.ALWAYS_REPORTED.size());

        m.observe(event("h1", List.of(new SkbEvent.StatDelta(Snmp.IpInReceives, "", 1),
                new SkbEvent.StatDelta(Snmp.IpExtInOctets, "", 84),
                new SkbEvent.StatDelta("IcmpMsgInType8", "", 1),
                new SkbEvent.StatDelta(LinkStat.rx_bytes.name(), "eth1", 98))));
        scrape = registry.scrape();
        assertThat(scrape).contains("node_netstat_Ip_InReceives{netns=\"h1\"} 1");
        assertThat(scrape).contains("node_netstat_IpExt_InOctets{netns=\"h1\"} 84");
        assertThat(scrape).contains("node_netstat_IcmpMsg_InType8{netns=\"h1\"} 1");
        assertThat(scrape).contains("node_network_receive_bytes_total{device=\"eth1\",netns=\"h1\"} 98");
        assertThat(scrape).contains("node_network_receive_bytes_total{device=\"eth0\",netns=\"h1\"} 0");

        m.configured(host); // a replaced configuration keeps the values
        assertThat(registry.scrape()).contains("node_netstat_Ip_InReceives{netns=\"h1\"} 1");
        m.removed("h1");
        assertThat(registry.scrape()).doesNotContain("netns=\"h1\"");
    }

    @Test
    void theNicExportsSoftnetStatPerCpu() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NicLayer nic = (NicLayer) Layers.byName("nic");
        new HostMetrics(registry, nic, nic.softnet().cpus());
        nic.softnet().incDropped(1);
        String scrape = registry.scrape();
        assertThat(scrape).contains("node_softnet_dropped_total{cpu=\"1\"} 1");
        assertThat(scrape).contains("node_softnet_dropped_total{cpu=\"0\"} 0");
        assertThat(scrape).contains("node_softnet_processed_total{cpu=\"0\"} 0");
        assertThat(scrape).contains("node_softnet_times_squeezed_total{cpu=\"0\"} 0");
    }

    private static SkbEvent event(String netns, List<SkbEvent.StatDelta> stats) {
        return new SkbEvent(netns, 1, 0, "l3", "l3-1", 0, false, List.of(), List.of(), stats, null, "");
    }
}
