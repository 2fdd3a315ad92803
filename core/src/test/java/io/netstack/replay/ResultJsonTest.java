package io.netstack.replay;

import io.netstack.pcap.PcapReader;
import io.netstack.pcap.PcapRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ResultJsonTest {

    static final byte[] ARP_REPLY = {1, 2, 3, 4};
    static final byte[] ECHO_REPLY = {5, 6, 7};

    static ReplayResult sample() {
        Map<String, Long> eth0 = new LinkedHashMap<>();
        eth0.put("rx_packets", 2L);
        eth0.put("rx_bytes", 140L);
        return new ReplayResult("netstack test",
                List.of(new ReplayResult.Transmitted("eth0", ARP_REPLY, 0), new ReplayResult.Transmitted("eth0", ECHO_REPLY, 1)),
                Map.of("IpInReceives", 1L),
                Map.of("eth0", eth0),
                List.of(new ReplayResult.UdpSocket("0.0.0.0:5353", List.of(new ReplayResult.Datagram("192.0.2.1:40000", "hello".getBytes()))),
                        new ReplayResult.TcpListener("0.0.0.0:80", 128, List.of(new ReplayResult.TcpConnection("192.0.2.1:40001", new byte[0], true)))),
                new ReplayResult.Accounting(2, 2, Map.of(), Map.of()));
    }

    @Test
    void hasTheShapeAndKeyOrderOfExpectedJson() {
        JsonNode root = JsonMapper.builder().build().readTree(ResultJson.toJson(sample()));
        assertThat(root.propertyNames()).containsExactly("reference", "transmitted", "counters", "links", "sockets");
        assertThat(root.get("transmitted").get(1).get("iface").asString()).isEqualTo("eth0");
        assertThat(root.get("transmitted").get(1).get("hex").asString()).isEqualTo("050607");
        assertThat(root.get("counters").get("IpInReceives").asLong()).isEqualTo(1);
        assertThat(root.get("links").get("eth0").propertyNames()).containsExactly("rx_packets", "rx_bytes");
        JsonNode udp = root.get("sockets").get(0);
        assertThat(udp.propertyNames()).containsExactly("proto", "bind", "received");
        assertThat(udp.get("received").get(0).get("from").asString()).isEqualTo("192.0.2.1:40000");
        assertThat(udp.get("received").get(0).get("hex").asString()).isEqualTo("68656c6c6f");
        JsonNode tcp = root.get("sockets").get(1);
        assertThat(tcp.propertyNames()).containsExactly("proto", "listen", "backlog", "connections");
        assertThat(tcp.get("backlog").asInt()).isEqualTo(128);
        assertThat(tcp.get("connections").get(0).propertyNames()).containsExactly("from", "hex", "eof");
        assertThat(tcp.get("connections").get(0).get("eof").asBoolean()).isTrue();
    }

    @Test
    void writesOnePcapPerInterfaceWithSyntheticTimestamps(@TempDir Path dir) throws IOException {
        List<Path> files = ResultJson.write(dir, sample(), List.of("eth0", "eth1"));
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("result.json", "out-eth0.pcap", "out-eth1.pcap");
        List<PcapRecord> eth0 = PcapReader.read(dir.resolve("out-eth0.pcap"));
        assertThat(eth0).extracting(PcapRecord::frame).containsExactly(ARP_REPLY, ECHO_REPLY);
        // FORMAT.md: input k at k x 2 ms, each output 1 us after the input it followed.
        assertThat(eth0).extracting(PcapRecord::timeNanos).containsExactly(
                ResultJson.EPOCH_NANOS + 1_000, ResultJson.EPOCH_NANOS + 2_001_000);
        assertThat(PcapReader.read(dir.resolve("out-eth1.pcap"))).isEmpty();
        assertThat(Files.readString(dir.resolve("result.json"))).startsWith("{").contains("\"reference\" : \"netstack test\"");
    }
}
