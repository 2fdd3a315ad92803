package io.netstack.replay;

import io.netstack.pcap.PcapRecord;
import io.netstack.pcap.PcapWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link ReplayResult} as result.json, in the shape and key order of expected.json
 * (conformance/README.md), and the transmitted frames as out-&lt;iface&gt;.pcap, one per
 * interface of the host (empty when it sent nothing), with FORMAT.md's synthetic timestamps:
 * input k at k × 2 ms, each output 1 µs after the input it followed.
 */
public final class ResultJson {
    private ResultJson() {}

    /** The scenarios' pcaps start at 2024-01-01T00:00:00Z. */
    public static final long EPOCH_NANOS = 1_704_067_200L * 1_000_000_000L;
    public static final long INPUT_SPACING_NANOS = 2_000_000L;
    public static final long OUTPUT_DELAY_NANOS = 1_000L;

    private static final HexFormat HEX = HexFormat.of();
    private static final JsonMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** The JSON tree: reference, transmitted, counters, links, sockets (no decoded, no volatile). */
    public static ObjectNode toTree(ReplayResult r) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("reference", r.reference());
        ArrayNode tx = root.putArray("transmitted");
        for (ReplayResult.Transmitted t : r.transmitted()) {
            tx.addObject().put("iface", t.iface()).put("hex", HEX.formatHex(t.frame()));
        }
        ObjectNode counters = root.putObject("counters");
        r.counters().forEach(counters::put);
        ObjectNode links = root.putObject("links");
        r.links().forEach((dev, stats) -> {
            ObjectNode l = links.putObject(dev);
            stats.forEach(l::put);
        });
        ArrayNode sockets = root.putArray("sockets");
        for (ReplayResult.SocketResult s : r.sockets()) {
            ObjectNode o = sockets.addObject();
            if (s instanceof ReplayResult.UdpSocket u) {
                o.put("proto", "udp").put("bind", u.bind());
                ArrayNode rec = o.putArray("received");
                for (ReplayResult.Datagram d : u.received()) {
                    rec.addObject().put("from", d.from()).put("hex", HEX.formatHex(d.payload()));
                }
            } else if (s instanceof ReplayResult.TcpListener t) {
                o.put("proto", "tcp").put("listen", t.listen()).put("backlog", t.backlog());
                ArrayNode conns = o.putArray("connections");
                for (ReplayResult.TcpConnection c : t.connections()) {
                    conns.addObject().put("from", c.from()).put("hex", HEX.formatHex(c.data())).put("eof", c.eof());
                }
            }
        }
        return root;
    }

    public static String toJson(ReplayResult r) {
        return MAPPER.writeValueAsString(toTree(r)) + "\n";
    }

    /** The frames sent on each interface, with synthetic timestamps; every interface of {@code ifaces} has an entry. */
    public static Map<String, List<PcapRecord>> outputs(ReplayResult r, List<String> ifaces) {
        Map<String, List<PcapRecord>> out = new LinkedHashMap<>();
        for (String i : ifaces) out.put(i, new ArrayList<>());
        for (ReplayResult.Transmitted t : r.transmitted()) {
            long ts = EPOCH_NANOS + Math.max(t.afterInput(), 0) * INPUT_SPACING_NANOS + OUTPUT_DELAY_NANOS;
            out.computeIfAbsent(t.iface(), k -> new ArrayList<>()).add(new PcapRecord(ts, t.frame(), t.frame().length));
        }
        return out;
    }

    /**
     * Writes {@code dir}/result.json and {@code dir}/out-&lt;iface&gt;.pcap for every interface
     * in {@code ifaces} and any other the host sent on. Creates {@code dir}.
     *
     * @return the files written, result.json first
     */
    public static List<Path> write(Path dir, ReplayResult r, List<String> ifaces) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        Path json = dir.resolve("result.json");
        Files.writeString(json, toJson(r));
        written.add(json);
        for (Map.Entry<String, List<PcapRecord>> e : outputs(r, ifaces).entrySet()) {
            Path p = dir.resolve("out-" + e.getKey() + ".pcap");
            PcapWriter.write(p, e.getValue());
            written.add(p);
        }
        return written;
    }
}
