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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole distributed stack: a real broker and the five services as separate JVMs
 * (StackLauncher), fed a recorded scenario's host configuration and input frame through Kafka,
 * judged by the events topic. Checks the bookkeeping (one fate per skb, nothing in flight) and the
 * infrastructure paths (dead letters), and prints the start-up time and per-record latency.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StackE2eIT {

    private static final Duration SETTLE = Duration.ofSeconds(30);

    private StackLauncher stack;
    private StackClient client;
    private Path scenario;

    @BeforeAll
    void startStack() throws IOException {
        Path repo = RepoRoot.find();
        String shared = System.getProperty("netstack.shared");
        Path sharedDir = shared != null ? Path.of(shared) : repo.resolve("..").resolve("shared");
        scenario = sharedDir.resolve("conformance/scenarios/icmp-echo-request").normalize();
        assertThat(scenario.resolve("host.yaml")).as("scenario (set -Dnetstack.shared=...)").exists();
        Path runDir = repo.resolve("e2e-tests/target/netstack-run-" + System.currentTimeMillis());
        stack = StackLauncher.builder().repoRoot(repo).runDir(runDir)
                .delivery(System.getProperty("netstack.delivery", "exactly-once")).build().start();
        System.out.printf("stack up in %d ms (broker pid %d, %s), logs in %s%n", stack.startupTime().toMillis(),
                stack.broker().pid(), stack.bootstrapServers(), runDir);
        for (StackLauncher.Service s : stack.services()) {
            System.out.printf("  %-10s pid %d port %d%n", s.instance(), s.pid(), s.port());
        }
        client = stack.client();
    }

    @AfterAll
    void stopStack() {
        if (client != null) client.close();
        if (stack != null) stack.stop();
    }

    private List<PcapRecord> inputFrames() {
        return PcapReader.read(scenario.resolve("in-eth0.pcap"));
    }

    private String hostYaml() throws IOException {
        return Files.readString(scenario.resolve("host.yaml"));
    }

    @Test
    void aFrameEntersAtTheNicAndEveryLayerItMeetsAccountsForIt() throws IOException {
        String netns = "e2e-echo";
        client.publishConfig(netns, hostYaml());
        List<PcapRecord> frames = inputFrames();
        assertThat(frames).hasSize(1);
        byte[] frame = frames.get(0).frame();

        EventLedger ledger = EventLedger.forHost(netns);
        try (StackClient.EventReader events = client.events()) {
            client.publishFrame(new WireFrame(netns, "eth0", frame, frames.get(0).timeNanos()));
            boolean settled = events.pollUntil(ledger, l -> l.settled(1), SETTLE);
            assertThat(settled).as("settled; in flight %s, events %s", ledger.inFlight(), ledger.events()).isTrue();
        }

        // One skb entered, at the NIC, with the link statistics of one received frame.
        assertThat(ledger.entered()).hasSize(1);
        long id = ledger.entered().get(0);
        SkbEvent first = ledger.eventsOf(id).get(0);
        assertThat(first.layer()).isEqualTo("nic");
        assertThat(first.entered()).isTrue();
        assertThat(ledger.linkStat(netns, "eth0", "rx_packets")).isEqualTo(1);
        assertThat(ledger.linkStat(netns, "eth0", "rx_bytes")).isEqualTo(frame.length);
        // Stub layers: through the backlog to softirq, which drops it as not emulated.
        assertThat(ledger.layers(id)).containsExactly("nic", "softirq");
        assertThat(ledger.trace(id)).contains("netif_rx");
        assertThat(ledger.fate(id)).isInstanceOfSatisfying(Fate.Dropped.class,
                d -> assertThat(d.reason()).isEqualTo(SkbDropReason.NOT_EMULATED));
        // The bookkeeping: one fate per skb, nothing in flight, no fate without a birth.
        assertThat(ledger.multipleFates()).isEmpty();
        assertThat(ledger.inFlight()).isEmpty();
        assertThat(ledger.fatesWithoutBirth()).isEmpty();
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
            assertThat(events.pollUntil(ledger, l -> l.settled(1), SETTLE)).as("good frame settled").isTrue();
        }
        assertThat(ledger.fate(ledger.entered().get(0))).isInstanceOf(Fate.Dropped.class);

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

    /** Not a benchmark: one frame at a time, wire to fate (nic, backlog, softirq: two hops), after a warm-up. */
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
                assertThat(events.pollUntil(ledger, l -> l.settled(n), SETTLE)).isTrue();
                if (i > 10) millis.add((System.nanoTime() - t0) / 1_000_000);
            }
        }
        millis.sort(null);
        System.out.printf("wire -> fate (2 hops, " + System.getProperty("netstack.delivery", "exactly-once") + ") over %d frames: p50 %d ms, max %d ms%n",
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
