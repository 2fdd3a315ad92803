package io.netstack.cli;

import io.netstack.pcap.PcapRecord;
import io.netstack.pcap.PcapWriter;
import io.netstack.replay.ReplayResult;
import io.netstack.replay.ResultJson;
import io.netstack.replay.Scenario;
import io.netstack.stack.SkbEvent;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `netstack demo [--in-process]`: the whole stack (a broker and the five services, or the one
 * `netstack up` started; with --in-process the five layers in this JVM). A bundled host (one interface, a UDP socket, a TCP listener)
 * receives a traffic mix of eleven frames; the demo prints each frame's journey through the
 * layers and a per-layer table, and leaves the input, the host's output and the result as
 * files (the input as a scenario directory that `netstack replay` takes as it is).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Send a mix of frames to a demo host and show each one's path through the stack.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--in-process", description = "run the five layers in this process (no broker); default: the"
            + " distributed stack (the one `netstack up` started, else one started for the demo)")
    boolean inProcess;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "out/demo",
            description = "where the demo's files go (default: ${DEFAULT-VALUE})")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    StackOptions stack = new StackOptions();

    static final String HEADER = """
            netstack demo: the Linux IPv4 receive path, emulated
            ====================================================
            The seed texts follow a packet from the wire to a socket: the driver takes the frame
            (netif_rx), the NET_RX softirq dispatches it by EtherType (net_rx_action,
            netif_receive_skb), IP checks and routes it (ip_rcv .. ip_local_deliver, or
            ip_forward), the transport finds its socket (icmp_rcv, udp_rcv, tcp_v4_rcv) and the
            data lands in the socket's receive queue. netstack runs that path as five layers:
              nic -> softirq -> l3 -> l4 -> socket
            and replies go back down: l4 -> l3 (ip_local_out) -> softirq (the qdisc) -> nic.
            """;

    static final String IN_PROCESS = """
            Here all five layers run in this process, one queue after the other, with no broker
            (the same code the services run; add no option to see it distributed).
            """;

    static final String DISTRIBUTED = """
            Here each layer is a service of its own (a JVM), and the kernel's queues between them
            are Kafka topics on a real broker: the NIC reads frames from the topic netstack.wire.rx,
            writes skbs to the per-CPU backlog topic, softirq reads that and writes to the
            protocol's topic, and so on down to the socket; every service writes what it did to
            each skb (the kernel functions, the counters, the fate) to netstack.events, which is
            what is printed below. Each line says which layer and which service instance ran the
            function; the times are milliseconds since the frame reached the NIC, and each
            visit says how long the skb took to reach it from its previous layer (one hop: a
            Kafka topic and, in exactly-once mode, the commit of the transaction before it).
            The skb numbers are this demo's (the services' own ids are 19 digits long).
            """;

    static final String LEGEND = """
            The host: eth0 02:00:00:00:00:01, 192.0.2.2/24; a UDP socket on port 5353 and a TCP
            listener on port 80. The peer 192.0.2.1 (02:00:00:00:00:99) sends it the frames below,
            one at a time (each once the previous one's effects are done, as 2 ms apart on Linux).
            For each frame: what it is, what a real Linux kernel does with it, then its journey
            as pwru shows it on a real kernel: one line per kernel function, with the layer that
            ran it, and at the end of each skb's life its fate: TRANSMITTED (a reply left a NIC),
            DELIVERED (queued to a socket), CONSUMED (used up, like an answered ping) or DROPPED
            with the kernel's reason (SKB_DROP_REASON_*).
            """;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        ReplayBackend backend;
        try {
            backend = ReplayCommand.backend(inProcess, stack, 1, err);
        } catch (IllegalArgumentException e) {
            err.println("netstack: " + e.getMessage());
            err.flush();
            return 2;
        } catch (RuntimeException e) {
            err.println("netstack: the distributed stack did not start: " + e.getMessage());
            err.flush();
            return 1;
        }
        List<DemoTraffic.Packet> mix = DemoTraffic.mix();
        Path scenarioDir = writeScenario(out.resolve("scenario"), mix);
        Scenario s = Scenario.load(scenarioDir);
        List<SkbEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        ReplayBackend.Replayed run;
        String where;
        long startup = 0;
        Map<String, String> instances = Map.of();
        String bootstrap = "";
        try (backend) {
            if (backend instanceof DistributedBackend d) {
                startup = d.session().startupMillis();
                instances = d.session().instances();
                bootstrap = d.session().bootstrapServers();
                where = d.session().startedHere() ? "started for this demo, stopped at its end" : "started by `netstack up`";
            } else {
                where = "";
            }
            run = backend.run(s, events::add);
        }
        ReplayResult r = run.result();
        Path resultDir = out.resolve("result");
        ResultJson.write(resultDir, r, List.of("eth0"));

        o.println(HEADER);
        if (backend instanceof DistributedBackend) {
            o.println(DISTRIBUTED);
            o.printf("The stack (%s): broker %s%s%n", where, bootstrap,
                    startup > 0 ? String.format(", up in %.1f s", startup / 1000.0) : "");
            instances.forEach((name, at) -> o.printf("  %-11s %s/actuator/prometheus%n", name, at));
            o.println();
        } else {
            o.println(IN_PROCESS);
        }
        o.println(LEGEND);
        List<SkbEvent> numbered = DemoReport.renumber(List.copyOf(events));
        List<List<SkbEvent>> journeys = DemoReport.journeys(numbered);
        for (int i = 0; i < mix.size(); i++) {
            DemoTraffic.Packet p = mix.get(i);
            o.printf("#%d  %s%n", i + 1, p.what());
            o.println("    wire:  " + FrameSummary.of(p.frame()));
            o.println("    Linux: " + p.linux());
            if (i < journeys.size()) {
                for (String line : DemoReport.journeyLines(journeys.get(i))) o.println("  " + line);
            } else {
                o.println("    (no events)");
            }
            o.println();
        }
        o.println("Per layer (in: skb visits; passed on: handed to the next queue; the rest are fates"
                + (backend instanceof DistributedBackend ? "; hop p50: median time to reach the layer from the previous one" : "")
                + "):");
        DemoReport.layerTableLines(DemoReport.layerTable(numbered)).forEach(o::println);
        o.println();
        o.println("The host's counters (nstat names, non-zero): " + (r.counters().isEmpty() ? "none" : ""));
        r.counters().forEach((k, v) -> o.printf("  %-28s %d%n", k, v));
        o.println("eth0 link statistics: " + r.links().get("eth0"));
        for (ReplayResult.SocketResult sock : r.sockets()) o.println("socket: " + describe(sock));
        ReplayResult.Accounting a = r.accounting();
        o.printf("Fates: %d skb(s) entered, %d spawned; %s; in flight at the end: %d%n",
                a.entered(), a.spawned(), a.fates(), a.inFlight());
        for (String note : run.notes()) o.println("note: " + note);
        o.println();
        o.println("Files:");
        o.println("  " + scenarioDir.resolve("in-eth0.pcap") + "   the frames sent (open in Wireshark)");
        o.println("  " + resultDir.resolve("out-eth0.pcap") + "   what the host transmitted (" + r.transmitted().size() + " frame(s))");
        o.println("  " + resultDir.resolve("result.json") + "   the result in the shape of a conformance expected.json");
        o.println("  " + scenarioDir + "   the demo as a scenario: netstack replay " + scenarioDir);
        if (backend instanceof DistributedBackend) {
            o.printf("%nTimes: %.1f s in all: %s, %.1f s to play the %d frames one by one and settle (%d ms).%n",
                    (System.nanoTime() - t0) / 1e9,
                    startup > 0 ? String.format("%.1f s to start the stack", startup / 1000.0) : "the stack was already up",
                    run.wallTime().toMillis() / 1000.0, mix.size(), s.settleMs());
        }
        o.flush();
        return 0;
    }

    static String describe(ReplayResult.SocketResult s) {
        if (s instanceof ReplayResult.UdpSocket u) {
            StringBuilder b = new StringBuilder("udp " + u.bind() + " received " + u.received().size() + " datagram(s)");
            for (ReplayResult.Datagram d : u.received()) {
                b.append("; from ").append(d.from()).append(": \"").append(new String(d.payload(), StandardCharsets.US_ASCII)).append('"');
            }
            return b.toString();
        }
        ReplayResult.TcpListener t = (ReplayResult.TcpListener) s;
        return "tcp listen " + t.listen() + " (backlog " + t.backlog() + "): " + t.connections().size() + " connection(s) accepted";
    }

    /** The bundled host.yaml, a scenario.yaml and in-eth0.pcap (timestamps as FORMAT.md: input k at k x 2 ms). */
    static Path writeScenario(Path dir, List<DemoTraffic.Packet> mix) throws IOException {
        Files.createDirectories(dir);
        try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/host.yaml")) {
            if (in == null) throw new IOException("demo/host.yaml is missing from the jar");
            Files.write(dir.resolve("host.yaml"), in.readAllBytes());
        }
        Files.writeString(dir.resolve("scenario.yaml"), """
                description: "netstack demo: ARP, pings, UDP to an open and a closed port, TCP SYNs, and frames Linux drops"
                tags: [demo]
                inputs:
                  - {iface: eth0, pcap: in-eth0.pcap}
                settle_ms: 300
                """);
        List<PcapRecord> records = new ArrayList<>();
        for (int k = 0; k < mix.size(); k++) {
            byte[] f = mix.get(k).frame();
            records.add(new PcapRecord(ResultJson.EPOCH_NANOS + k * ResultJson.INPUT_SPACING_NANOS, f, f.length));
        }
        PcapWriter.write(dir.resolve("in-eth0.pcap"), records);
        return dir;
    }

}
