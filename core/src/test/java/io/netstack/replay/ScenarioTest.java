package io.netstack.replay;

import io.netstack.pcap.PcapRecord;
import io.netstack.pcap.PcapWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScenarioTest {

    static final String HOST = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
              - name: eth1
                mac: "02:00:00:00:01:01"
                addresses: ["198.51.100.1/24"]
            sockets:
              - {proto: udp, bind: "0.0.0.0:5353"}
            """;

    static final byte[] FRAME_A = frame(60, 0xa);
    static final byte[] FRAME_B = frame(42, 0xb);
    static final byte[] FRAME_C = frame(98, 0xc);

    static byte[] frame(int len, int fill) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    @TempDir
    Path dir;

    Path scenario(String scenarioYaml) throws IOException {
        Files.writeString(dir.resolve("host.yaml"), HOST);
        Files.writeString(dir.resolve("scenario.yaml"), scenarioYaml);
        PcapWriter.write(dir.resolve("in-eth0.pcap"), List.of(new PcapRecord(0, FRAME_A, 60), new PcapRecord(2_000_000, FRAME_B, 42)));
        PcapWriter.write(dir.resolve("in-eth1.pcap"), List.of(new PcapRecord(4_000_000, FRAME_C, 98)));
        return dir;
    }

    @Test
    void loadsInputsInOrderFileByFile() throws IOException {
        Scenario s = Scenario.load(scenario("""
                description: "two interfaces"
                tags: [link, test]
                inputs:
                  - {iface: eth1, pcap: in-eth1.pcap}
                  - {iface: eth0, pcap: in-eth0.pcap}
                settle_ms: 50
                """));
        assertThat(s.description()).isEqualTo("two interfaces");
        assertThat(s.tags()).containsExactly("link", "test");
        assertThat(s.settleMs()).isEqualTo(50);
        assertThat(s.host().interfaces()).hasSize(2);
        assertThat(s.frames()).extracting(Scenario.Frame::iface).containsExactly("eth1", "eth0", "eth0");
        assertThat(s.frames()).extracting(Scenario.Frame::bytes).containsExactly(FRAME_C, FRAME_A, FRAME_B);
    }

    @Test
    void settleDefaultsTo300() throws IOException {
        Scenario s = Scenario.load(scenario("inputs:\n  - {iface: eth0, pcap: in-eth0.pcap}\n"));
        assertThat(s.settleMs()).isEqualTo(300);
        assertThat(s.description()).isEmpty();
    }

    record Bad(String name, String yaml, String message) {}

    static final List<Bad> BAD = List.of(
            new Bad("unknown key", "inputs:\n  - {iface: eth0, pcap: in-eth0.pcap}\nsettle: 3\n",
                    "scenario.yaml:3: unknown key 'settle'"),
            new Bad("unknown interface", "description: x\ninputs:\n  - {iface: eth9, pcap: in-eth0.pcap}\n",
                    "scenario.yaml:3: no interface 'eth9'"),
            new Bad("missing pcap file", "inputs:\n  - {iface: eth0, pcap: in-eth0.pcap}\n  - {iface: eth0, pcap: nope.pcap}\n",
                    "scenario.yaml:3: 'nope.pcap': no such file"),
            new Bad("input without pcap", "inputs:\n  - {iface: eth0}\n", "scenario.yaml:2: input without 'pcap'"),
            new Bad("settle not a number", "inputs:\n  - {iface: eth0, pcap: in-eth0.pcap}\nsettle_ms: soon\n",
                    "scenario.yaml:3: settle_ms 'soon' is not an integer"),
            new Bad("no inputs", "description: nothing\n", "scenario.yaml:1: missing 'inputs'"),
            new Bad("bad YAML", "inputs: [\n", "scenario.yaml:2: not valid YAML"),
            new Bad("pcap outside the directory", "inputs:\n  - {iface: eth0, pcap: ../in-eth0.pcap}\n",
                    "scenario.yaml:2: '../in-eth0.pcap': a pcap is named by a file name"));

    @Test
    void refusesBadScenarioFilesWithFileAndLine() throws IOException {
        for (Bad b : BAD) {
            Path d = scenario(b.yaml());
            assertThatThrownBy(() -> Scenario.load(d)).as(b.name())
                    .isInstanceOf(ScenarioException.class).hasMessageContaining(b.message());
        }
    }

    @Test
    void refusesABadHostYamlWithItsLine() throws IOException {
        Path d = scenario("inputs:\n  - {iface: eth0, pcap: in-eth0.pcap}\n");
        Files.writeString(d.resolve("host.yaml"), HOST + "colour: blue\n");
        assertThatThrownBy(() -> Scenario.load(d)).isInstanceOf(ScenarioException.class)
                .hasMessageContaining("host.yaml:11: unknown host key 'colour'");
    }

    @Test
    void refusesADamagedPcapWithItsOffset() throws IOException {
        Path d = scenario("inputs:\n  - {iface: eth0, pcap: in-eth0.pcap}\n");
        byte[] pcap = Files.readAllBytes(d.resolve("in-eth0.pcap"));
        Files.write(d.resolve("in-eth0.pcap"), Arrays.copyOf(pcap, pcap.length - 5));
        assertThatThrownBy(() -> Scenario.load(d)).isInstanceOf(ScenarioException.class)
                .hasMessageContaining("in-eth0.pcap at offset " + (24 + 16 + 60 + 16)).hasMessageContaining("cut short");
    }

    @Test
    void refusesADirectoryWithoutScenarioYaml() {
        assertThatThrownBy(() -> Scenario.load(dir)).isInstanceOf(ScenarioException.class)
                .hasMessageContaining("scenario.yaml: missing");
    }
}
