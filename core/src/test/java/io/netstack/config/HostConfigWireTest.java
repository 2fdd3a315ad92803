package io.netstack.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The optional {@code wire:} key of an interface: parsed per type, refused with its line when wrong. */
class HostConfigWireTest {

    private static final String HEAD = "interfaces:\n  - name: eth0\n    mac: \"02:00:00:00:00:01\"\n"
            + "    addresses: [\"192.0.2.2/24\"]\n";

    private static HostConfig parse(String wireLines) {
        return HostConfigParser.parse(HEAD + wireLines, "host.yaml", "h");
    }

    @Test
    void anInterfaceWithoutAWireHasNone() {
        assertThat(parse("").iface("eth0").orElseThrow().wire()).isNull();
    }

    @Test
    void aUdpWireKeepsItsEndpoints() {
        HostConfig.Wire w = parse("    wire: {type: udp, listen: \"127.0.0.1:7001\", peer: \"127.0.0.1:7002\"}\n")
                .iface("eth0").orElseThrow().wire();
        assertThat(w.type()).isEqualTo(HostConfig.Wire.UDP);
        assertThat(w.options()).isEqualTo(Map.of("listen", "127.0.0.1:7001", "peer", "127.0.0.1:7002"));
    }

    @Test
    void aTapWireNeedsNoOptions() {
        HostConfig.Wire w = parse("    wire:\n      type: tap\n      peer-addr: 192.0.2.1/24\n").iface("eth0").orElseThrow().wire();
        assertThat(w.type()).isEqualTo(HostConfig.Wire.TAP);
        assertThat(w.option("peer-addr", "")).isEqualTo("192.0.2.1/24");
        assertThat(w.option("name", "nstap0")).isEqualTo("nstap0");
    }

    @Test
    void wrongWiresAreRefusedWithTheirLine() {
        assertThatThrownBy(() -> parse("    wire: {type: serial}\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(":5").hasMessageContaining("wire type 'serial'");
        assertThatThrownBy(() -> parse("    wire: {type: udp, listen: \"127.0.0.1\"}\n"))
                .hasMessageContaining(":5").hasMessageContaining("not host:port");
        assertThatThrownBy(() -> parse("    wire: {type: udp, peer: \"127.0.0.1:9\"}\n"))
                .hasMessageContaining("needs 'listen'");
        assertThatThrownBy(() -> parse("    wire:\n      type: tap\n      listen: \"127.0.0.1:1\"\n"))
                .hasMessageContaining(":7").hasMessageContaining("unknown tap wire key 'listen'");
        assertThatThrownBy(() -> parse("    wire: {type: pcap}\n")).hasMessageContaining("needs 'in' or 'out'");
    }
}
