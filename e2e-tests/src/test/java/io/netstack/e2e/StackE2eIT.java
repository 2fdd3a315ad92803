package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.EventLedger;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.pcap.PcapReader;
import io.netstack.pcap.PcapRecord;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import io.netstack.wire.InetChecksum;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole distributed stack: a real broker and the five services as separate JVMs
 * (StackLauncher, shared with the other end-to-end classes), fed a recorded scenario's host
 * configuration and input frame through Kafka, judged by the events topic: the echo reply Linux
 * sent, its counters and link statistics, the bookkeeping (one fate per skb, nothing in flight),
 * the infrastructure paths (dead letters, a bad configuration, readiness), and the start-up time
 * and per-record latency.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SharedStack.class)
class StackE2eIT {

    private static final Duration SETTLE = Duration.ofSeconds(30);

    private StackLauncher stack;
    private StackClient client;
    private Path scenario;

    @BeforeAll
    void connect() {
        // The public scenario, in the repository's own corpus: the clone needs nothing beside it.
        scenario = RepoRoot.find().resolve("conformance/public/icmp-echo-request");
        assertThat(scenario.resolve("host.yaml")).as("scenario").exists();
        stack = SharedStack.get();
        client = stack.client();
    }

    @AfterAll
    void disconnect() {
        if (client != null) client.close();
    }

    private List<PcapRecord> inputFrames() {
        return PcapReader.read(scenario.resolve("in-eth0.pcap"));
    }

    private String hostYaml() throws IOException {
        return Files.readString(scenario.resolve("host.yaml"));
    }

    /**
     * The echo request of the icmp-echo-request scenario, through all five services: the reply
     * Linux sent (byte for byte but the IP id and so the header checksum, which Linux picks at
     * random: conformance/README.md "volatile"), the counters and link statistics of expected.json, and the
     * bookkeeping.
     */
    @Test
    void anEchoRequestIsAnsweredAsLinuxAnsweredItAndEverySkbHasOneFate() throws IOException {
        String netns = "e2e-echo";
        client.publishConfig(netns, hostYaml());
        List<PcapRecord> frames = inputFrames();
        assertThat(frames).hasSize(1);
        byte[] frame = frames.get(0).frame();

        EventLedger ledger = EventLedger.forHost(netns);
        try (StackClient.EventReader events = client.events()) {
            client.publishFrame(new WireFrame(netns, "eth0", frame, frames.get(0).timeNanos()));
            boolean settled = events.pollUntil(ledger, l -> l.settled(1) && l.born().size() == 2, SETTLE);
            assertThat(settled).as("settled; in flight %s, events %s", ledger.inFlight(), ledger.events()).isTrue();
            // Nothing more arrives for this host (a late or repeated record would show here).
            ledger.addAll(events.poll(Duration.ofMillis(500)));
        }

        // One skb entered at the NIC and went up the receive path to icmp_echo, which consumed it.
        assertThat(ledger.entered()).hasSize(1);
        long id = ledger.entered().get(0);
        SkbEvent first = ledger.eventsOf(id).get(0);
        assertThat(first.layer()).isEqualTo("nic");
        assertThat(first.entered()).isTrue();
        assertThat(ledger.layers(id)).containsExactly("nic", "softirq", "l3", "l4");
        assertThat(ledger.trace(id)).contains("netif_rx", "ip_rcv", "ip_local_deliver", "icmp_rcv", "icmp_echo");
        assertThat(ledger.fate(id)).isInstanceOf(Fate.Consumed.class);

        // Its one child, the reply, went down through l3, the qdisc and the NIC onto eth0's wire.
        Set<Long> children = new java.util.HashSet<>(ledger.born());
        children.remove(id);
        assertThat(children).hasSize(1);
        long reply = children.iterator().next();
        assertThat(ledger.layers(reply)).containsExactly("l4", "l3", "softirq", "nic");
        byte[] expected = HexFormat.of().parseHex(expectedJson().path("transmitted").get(0).path("hex").asString());
        assertThat(ledger.fate(reply)).isInstanceOfSatisfying(Fate.Transmitted.class, t -> {
            assertThat(t.dev()).isEqualTo("eth0");
            assertThat(HexFormat.of().formatHex(withoutIpIdAndChecksum(t.frame())))
                    .isEqualTo(HexFormat.of().formatHex(withoutIpIdAndChecksum(expected)));
            assertThat(InetChecksum.compute(t.frame(), 14, 20)).as("IPv4 header checksum valid").isZero();
        });

        // The counters and link statistics Linux moved, exactly (a counter not listed stayed 0).
        JsonNode exp = expectedJson();
        Map<String, Long> counters = new TreeMap<>();
        for (SkbEvent e : ledger.events()) {
            for (SkbEvent.StatDelta d : e.stats()) if (!d.isLinkStat()) counters.merge(d.name(), d.delta(), Long::sum);
        }
        counters.values().removeIf(v -> v == 0);
        Map<String, Long> expectedCounters = new TreeMap<>();
        exp.path("counters").properties().forEach(en -> expectedCounters.put(en.getKey(), en.getValue().asLong()));
        assertThat(counters).isEqualTo(expectedCounters);
        exp.path("links").path("eth0").properties().forEach(en ->
                assertThat(ledger.linkStat(netns, "eth0", en.getKey())).as("eth0 " + en.getKey()).isEqualTo(en.getValue().asLong()));

        // The bookkeeping: one fate per skb, nothing in flight, no fate without a birth.
        assertThat(ledger.multipleFates()).isEmpty();
        assertThat(ledger.inFlight()).isEmpty();
        assertThat(ledger.fatesWithoutBirth()).isEmpty();
        client.removeConfig(netns);
    }

    /** The frame with the IPv4 identification and header checksum zeroed (bytes 18-19, 24-25). */
    static byte[] withoutIpIdAndChecksum(byte[] frame) {
        byte[] f = frame.clone();
        f[18] = f[19] = 0;
        f[24] = f[25] = 0;
        return f;
    }

    private JsonNode expectedJson() throws IOException {
        return JsonMapper.builder().build().readTree(Files.readString(scenario.resolve("expected.json")));
    }

    @Test
    void aGarbageRecordGoesToTheDeadLetterTopicAndTheNextRecordIsStillProcessed() throws Exception {
        String netns = "e2e-dlt";
        client.publishConfig(netns, hostYaml());
        byte[] garbage = "\u00ff\u00ffnot an skb".getBytes(StandardCharsets.ISO_8859_1);
        byte[] frame = inputFrames().get(0).frame();

        client.send(KernelQueue.BACKLOG.topic(), 0, new byte[4], garbage);
        ConsumerRecord<byte[], byte[]> dead = null;
        try (StackClient.TopicReader dlt = client.reader(KernelQueue.BACKLOG.topic() + ".DLT")) {
            long deadline = System.nanoTime() + SETTLE.toNanos();
            while (dead == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : dlt.poll(Duration.ofMillis(200))) {
                    if (Arrays.equals(r.value(), garbage)) dead = r;
                }
            }
        }
        assertThat(dead).as("garbage record on %s.DLT", KernelQueue.BACKLOG.topic()).isNotNull();
        Header fqcn = dead.headers().lastHeader("kafka_dlt-exception-fqcn");
        assertThat(fqcn).as("exception class header").isNotNull();
        assertThat(dead.headers().lastHeader("kafka_dlt-original-topic").value())
                .isEqualTo(KernelQueue.BACKLOG.topic().getBytes(StandardCharsets.UTF_8));

        // The service carried on: a good frame behind it still gets its fate.
        EventLedger ledger = EventLedger.forHost(netns);
        try (StackClient.EventReader events = client.events()) {
            client.publishFrame(new WireFrame(netns, "eth0", frame, 0));
            assertThat(events.pollUntil(ledger, l -> l.settled(1) && ledger.born().size() == 2, SETTLE))
                    .as("good frame and its reply settled").isTrue();
        }
        assertThat(ledger.fate(ledger.entered().get(0))).isInstanceOf(Fate.Consumed.class);
        assertThat(ledger.events()).extracting(SkbEvent::fate).filteredOn(f -> f instanceof Fate.Transmitted).hasSize(1);

        String metrics = get(stack.service("softirq").url() + "/actuator/prometheus");
        assertThat(metrics).containsPattern(
                "netstack_skb_dead_lettered_total\\{[^}]*queue=\"backlog\"[^}]*\\} [1-9]");
    }

    @Test
    void aBadConfigurationIsSkippedWithItsLineAndItsHostsFramesAreDroppedAfterAWait() throws Exception {
        String netns = "e2e-bad";
        client.publishConfig(netns, "interfaces:\n  - name: eth0\n    mac: \"not a mac\"\n");
        byte[] frame = inputFrames().get(0).frame();
        EventLedger ledger = EventLedger.forHost(netns);
        try (StackClient.EventReader events = client.events()) {
            client.publishFrame(new WireFrame(netns, "eth0", frame, 0));
            assertThat(events.pollUntil(ledger, l -> l.settled(1), SETTLE)).as("frame settled").isTrue();
        }
        long id = ledger.entered().get(0);
        assertThat(ledger.layers(id)).containsExactly("nic");
        assertThat(ledger.trace(id)).containsExactly("netstack_no_host_config");
        assertThat(ledger.fate(id)).isInstanceOfSatisfying(Fate.Dropped.class,
                d -> assertThat(d.reason()).isEqualTo(SkbDropReason.NOT_SPECIFIED));
        // Every service logged the bad configuration with its line, and kept running.
        for (StackLauncher.Service s : stack.services()) {
            assertThat(Files.readString(s.log())).as(s.instance()).contains("config topic " + netns + ":3");
            assertThat(s.process().isAlive()).isTrue();
        }
    }

    @Test
    void servicesAreReadyAndExposeTheirSeriesFromStartUp() throws Exception {
        for (StackLauncher.Service s : stack.services()) {
            assertThat(get(s.url() + "/actuator/health/readiness")).as(s.instance()).contains("\"UP\"");
        }
        String l3 = get(stack.service("l3").url() + "/actuator/prometheus");
        assertThat(l3).contains("netstack_skb_in_total{layer=\"l3\",queue=\"ptype_ip\"}");
        assertThat(l3).contains("netstack_hop_latency_seconds_bucket{layer=\"l3\",queue=\"ip_local_out\"");
    }

    /**
     * Not a benchmark: one echo request at a time, wire to the reply's transmission (six hops:
     * nic, softirq, l3, l4, l3, softirq, nic), after a warm-up.
     */
    @Test
    void perRecordLatencyIsReported() throws IOException {
        String netns = "e2e-latency";
        client.publishConfig(netns, hostYaml());
        byte[] frame = inputFrames().get(0).frame();
        List<Long> millis = new ArrayList<>();
        EventLedger ledger = EventLedger.forHost(netns);
        try (StackClient.EventReader events = client.events()) {
            for (int i = 1; i <= 30; i++) {
                long t0 = System.nanoTime();
                client.publishFrame(new WireFrame(netns, "eth0", frame, 0));
                final int n = i;
                assertThat(events.pollUntil(ledger, l -> l.settled(n) && l.born().size() == 2 * n, SETTLE)).isTrue();
                if (i > 10) millis.add((System.nanoTime() - t0) / 1_000_000);
            }
        }
        millis.sort(null);
        System.out.printf("echo request on the wire -> reply transmitted (6 hops, " + System.getProperty("netstack.delivery", "exactly-once") + ") over %d frames: p50 %d ms, max %d ms%n",
                millis.size(), millis.get(millis.size() / 2), millis.get(millis.size() - 1));
        assertThat(ledger.multipleFates()).isEmpty();
        assertThat(millis.get(millis.size() / 2)).isLessThan(5_000L);
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
