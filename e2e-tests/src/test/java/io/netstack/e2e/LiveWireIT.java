package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.EventLedger;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.launcher.wire.KafkaStackSide;
import io.netstack.launcher.wire.TapPeer;
import io.netstack.launcher.wire.WireBridge;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Linux itself as the peer: the distributed stack (broker and five services) runs an emulated host
 * 192.0.2.2/24 on eth0 with a UDP socket on 5353; its eth0 is wired (WireBridge over a UDP wire,
 * socat, a TAP) into a network namespace where Linux has 192.0.2.1/24. From there Linux's own
 * ping, arping and a Python UDP socket talk to the emulated host, and Linux's own receive path
 * (checksums included) judges the replies.
 *
 * <p>Needs root, iproute2, socat, ping (iputils-ping), arping (iputils-arping) and python3; skipped
 * with the reason printed when any is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveWireIT {

    private static final String HOST = "wire-e2e";
    private static final String PEER_NETNS = "netstack-e2e-peer";
    private static final String TAP = "nse2e0";
    private static final String OURS = "192.0.2.2";
    private static final String HOST_YAML = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
            sockets:
              - {proto: udp, bind: "0.0.0.0:5353"}
            """;

    private StackLauncher stack;
    private StackClient client;
    private TapPeer peer;
    private Process leftover;
    private WireBridge bridge;
    private StackClient.EventReader events;
    private final EventLedger ledger = EventLedger.forHost(HOST);
    private long t0;

    @BeforeAll
    void wireUp() throws Exception {
        t0 = System.nanoTime();
        List<String> missing = new ArrayList<>(TapPeer.missingPrerequisites());
        for (String tool : List.of("ping", "arping", "python3")) if (TapPeer.which(tool) == null) missing.add(tool);
        if (!missing.isEmpty()) {
            System.out.println("LiveWireIT SKIPPED: needs " + String.join(", ", missing)
                    + " (Debian: iproute2 socat iputils-ping iputils-arping python3; run as root)");
            Assumptions.abort("LiveWireIT needs " + String.join(", ", missing));
        }
        Path repo = RepoRoot.find();
        Path runDir = repo.resolve("e2e-tests/target/netstack-run-wire-" + System.currentTimeMillis());
        stack = StackLauncher.builder().repoRoot(repo).runDir(runDir)
                .delivery(System.getProperty("netstack.delivery", "exactly-once")).build().start();
        System.out.printf("stack up in %d ms (%s), logs in %s%n", stack.startupTime().toMillis(),
                stack.bootstrapServers(), runDir);
        client = stack.client();
        client.publishConfig(HOST, HOST_YAML);
        events = client.events();
        peer = TapPeer.create(TapPeer.Options.defaults().withNetns(PEER_NETNS).withTap(TAP));
        // A process left running in the peer (as a test that died leaves its nc): closing the
        // peer must end it, or it would keep the namespace and the TAP alive, unnamed.
        leftover = new ProcessBuilder(peer.inNetns("sleep", "600")).start();
        bridge = new WireBridge(HOST, "eth0", peer.wire(), new KafkaStackSide(stack.bootstrapServers())).start();
        System.out.printf("peer netns %s, %s 192.0.2.1/24 MAC %s; wire %s%n", PEER_NETNS, TAP, peer.mac(), bridge.describe());
    }

    @AfterAll
    void wireDown() {
        if (bridge != null) bridge.close();
        if (peer != null) peer.close();
        if (events != null) events.close();
        if (client != null) client.close();
        if (stack != null) stack.stop();
        if (peer != null) {
            assertThat(leftover.toHandle().onExit()).as("the process left in the peer ended").succeedsWithin(Duration.ofSeconds(10));
            assertThat(TapPeer.run(List.of("ip", "netns", "list"), false).output()).doesNotContain(PEER_NETNS);
            assertThat(TapPeer.run(List.of("ip", "link", "show", "dev", TAP), false).exitCode()).isNotZero();
        }
        System.out.printf("LiveWireIT: %d ms in all (bridge: %s frames in, %s out)%n", (System.nanoTime() - t0) / 1_000_000,
                bridge == null ? "-" : bridge.framesIn(), bridge == null ? "-" : bridge.framesOut());
    }

    @Test
    @Order(1)
    void arpingIsAnsweredByTheEmulatedHost() {
        TapPeer.Result r = TapPeer.run(peer.inNetns("arping", "-c", "3", "-w", "20", "-I", TAP, OURS), false);
        System.out.println("$ arping -c 3 -I " + TAP + " " + OURS + "\n" + r.output().trim());
        Matcher m = Pattern.compile("Received (\\d+) response").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(3);
        assertThat(r.output()).containsIgnoringCase("reply from " + OURS + " [02:00:00:00:00:01]");
        assertThat(r.exitCode()).isZero();
    }

    /**
     * -W 10, not -w: with a deadline ping keeps sending until it has 20 replies, so a slow stack
     * (replies in flight: "pipe N") would see a 21st request; -W only bounds the wait for the last ones.
     */
    @Test
    @Order(2)
    void pingGetsTwentyRepliesThatLinuxAccepts() {
        TapPeer.Result r = TapPeer.run(peer.inNetns("ping", "-c", "20", "-i", "0.2", "-W", "10", OURS), false);
        System.out.println("$ ping -c 20 -i 0.2 " + OURS + "\n" + r.output().trim());
        Matcher stats = Pattern.compile("(\\d+) packets transmitted, (\\d+) received.*?([\\d.]+)% packet loss").matcher(r.output());
        assertThat(stats.find()).as(r.output()).isTrue();
        assertThat(stats.group(1)).isEqualTo("20");
        assertThat(stats.group(2)).isEqualTo("20");
        assertThat(stats.group(3)).isEqualTo("0");
        List<Double> rtts = new ArrayList<>();
        Matcher t = Pattern.compile("icmp_seq=(\\d+) ttl=(\\d+) time=([\\d.]+) ms").matcher(r.output());
        while (t.find()) {
            rtts.add(Double.parseDouble(t.group(3)));
            assertThat(t.group(2)).as("ttl of the reply (ip_default_ttl)").isEqualTo("64");
        }
        assertThat(rtts).hasSize(20);
        assertThat(r.output()).doesNotContain("DUP!").doesNotContain("wrong data");
        Matcher summary = Pattern.compile("rtt min/avg/max/mdev = ([\\d.]+)/([\\d.]+)/([\\d.]+)/([\\d.]+) ms").matcher(r.output());
        assertThat(summary.find()).isTrue();
        System.out.printf("RTTs (ms): %s%nmin %s avg %s max %s mdev %s%n", rtts, summary.group(1), summary.group(2),
                summary.group(3), summary.group(4));
    }

    @Test
    @Order(3)
    void aDatagramToAClosedPortIsRefusedByIcmpPortUnreachable() {
        String py = """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(15)
                s.connect(("192.0.2.2", 9))
                s.send(b"anyone on port 9?")
                try:
                    s.recv(100)
                    print("DATA")
                except ConnectionRefusedError as e:
                    print("REFUSED", e)
                except socket.timeout:
                    print("TIMEOUT")
                """;
        TapPeer.Result r = TapPeer.run(peer.inNetns("python3", "-c", py), false);
        System.out.println("connected UDP socket to 192.0.2.2:9: " + r.output().trim());
        assertThat(r.output()).startsWith("REFUSED").contains("Connection refused");
    }

    @Test
    @Order(4)
    void aDatagramToTheBoundPortIsDelivered() {
        String payload = "hello 5353 from linux";
        String py = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                + "s.sendto(b'" + payload + "', ('192.0.2.2', 5353))\nprint('sent from', s.getsockname())\n";
        TapPeer.Result r = TapPeer.run(peer.inNetns("python3", "-c", py), true);
        System.out.println(r.output().trim());
        boolean delivered = events.pollUntil(ledger, l -> delivered(l, payload) != null, Duration.ofSeconds(20));
        assertThat(delivered).as("a Delivered fate with the payload; fates so far: %s", fates()).isTrue();
        Fate.Delivered d = delivered(ledger, payload);
        System.out.printf("delivered to %s from %s: \"%s\"%n", d.socket(), d.peer(), new String(d.payload(), StandardCharsets.UTF_8));
        assertThat(d.socket()).contains("5353");
        assertThat(d.peer()).startsWith("192.0.2.1:");
        assertThat(ledger.multipleFates()).isEmpty();
    }

    private static Fate.Delivered delivered(EventLedger l, String payload) {
        for (SkbEvent e : l.events()) {
            if (e.fate() instanceof Fate.Delivered d && new String(d.payload(), StandardCharsets.UTF_8).equals(payload)) return d;
        }
        return null;
    }

    private List<String> fates() {
        List<String> out = new ArrayList<>();
        for (SkbEvent e : ledger.events()) if (e.fate() != null) out.add(e.fate().getClass().getSimpleName() + " " + e.fate().function());
        return out;
    }
}
