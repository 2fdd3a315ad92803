package io.netstack.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TCP between Linux (a peer namespace on a TAP: curl, netcat-openbsd, tc, nstat) and the
 * emulated host 192.0.2.2 on the distributed stack, whose host.yaml runs the http and tcp-echo
 * apps: curl gets the page; 10 MB sent with nc to tcp-echo come back identical (SHA-256),
 * also with 1% loss and 20 ms delay on the peer's TAP (tc netem); and the emulated host's own
 * {@code netstack nc} (the cli as a process) sends 10 MB to a {@code nc -l} in the peer.
 * Each transfer prints its goodput and the retransmissions of both sides (the emulated host's
 * TcpRetransSegs from the services' metrics, the peer's from nstat).
 *
 * <p>{@code -Dnetstack.live.bytes=N} changes the 10 MB (a busy machine: the stack's RTT is
 * 50 ms to seconds, and a transfer is bounded by window / RTT).
 */
@ExtendWith(SharedStack.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveTcpIT {

    static final int BYTES = Integer.getInteger("netstack.live.bytes", 10 << 20);
    /** How long one transfer may take before the test gives up on it (and kills only its own process). */
    static final Duration LIMIT = Duration.ofSeconds(Integer.getInteger("netstack.live.limitSeconds", 300));

    private static final String HOST = "live-tcp";
    private static final String HOST_YAML = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
            apps:
              - {app: tcp-echo, port: 7}
              - {app: http, port: 80}
            """;

    private LivePeer live;
    private Path dir;
    private Path data;
    private String dataSha;
    private long t0;

    @BeforeAll
    void up() throws Exception {
        t0 = System.nanoTime();
        LivePeer.assumeTools("LiveTcpIT", List.of("nc", "curl", "tc", "nstat"), "netcat-openbsd curl iproute2 socat");
        dir = Files.createTempDirectory("live-tcp");
        data = LivePeer.randomFile(dir, "data.bin", BYTES, 42);
        dataSha = LivePeer.sha256(data);
        live = new LivePeer(HOST, HOST_YAML, "netstack-tcp-peer", "nstcp0");
    }

    @AfterAll
    void down() throws Exception {
        if (live != null) live.close();
        deleteDir(dir);
        System.out.printf("LiveTcpIT: %d ms in all%n", (System.nanoTime() - t0) / 1_000_000);
    }

    static void deleteDir(Path dir) throws Exception {
        if (dir == null) return;
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    @Test
    @Order(1)
    void curlGetsThePageFromTheHttpApp() throws Exception {
        LivePeer.Run r = null;
        // The app starts with the host's configuration: a refused connect means not yet.
        for (int i = 0; i < 20; i++) {
            r = live.inPeer(null, null, Duration.ofSeconds(90), "curl", "-sS", "-i", "-m", "60", "http://" + LivePeer.OURS + "/");
            if (r.exitCode() == 0) break;
            Thread.sleep(500);
        }
        System.out.printf("$ curl -i http://192.0.2.2/   (%d ms)%n%s%n", r.millis(), r.out().trim());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.out()).startsWith("HTTP/1.1 200 OK").contains("Hello from " + HOST).contains("to 192.0.2.1:");
    }

    @Test
    @Order(2)
    void tenMegabytesEchoedByTcpEchoComeBackIdentical() throws Exception {
        echo(live, dir, data, dataSha, "");
    }

    /**
     * nc in the peer sends the file to tcp-echo (-N: shutdown(SHUT_WR) at the end of stdin) and
     * writes what comes back until the app closes; the SHA-256 of both must match.
     */
    static void echo(LivePeer live, Path dir, Path data, String dataSha, String label) throws Exception {
        Path back = dir.resolve("echo.out");
        Map<String, Long> peer0 = live.peerNstat();
        Map<String, Long> host0 = live.hostNstat();
        LivePeer.Run r;
        try (LivePeer.SsSampler ss = live.new SsSampler(Duration.ofSeconds(3))) {
            r = live.inPeer(data, back, LIMIT, "nc", "-N", LivePeer.OURS, "7");
        }
        Map<String, Long> peerD = LivePeer.delta(peer0, live.peerNstat());
        Map<String, Long> hostD = LivePeer.delta(host0, live.hostNstat());
        long got = Files.size(back);
        String sha = LivePeer.sha256(back);
        System.out.printf("$ nc -N 192.0.2.2 7 < %d bytes > echo.out%s: exit %d in %.1f s, %d bytes back, sha256 %s (%s)%n",
                Files.size(data), label, r.exitCode(), r.millis() / 1000.0, got, sha.substring(0, 16),
                sha.equals(dataSha) ? "identical" : "DIFFERENT");
        report(Files.size(data), r.millis(), hostD, peerD, "each way");
        Files.deleteIfExists(back);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(got).isEqualTo(Files.size(data));
        assertThat(sha).isEqualTo(dataSha);
    }

    /** Goodput and both sides' retransmission counters of one transfer. */
    static void report(long bytes, long millis, Map<String, Long> hostD, Map<String, Long> peerD, String how) {
        System.out.printf("  goodput %.3f MB/s %s (%d bytes in %.1f s)%n", bytes / 1e6 / (millis / 1000.0), how, bytes, millis / 1000.0);
        System.out.println("  emulated host: " + LivePeer.pick(hostD, "TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPSpuriousRTOs",
                "TcpExtTCPLossUndo", "TcpExtTCPFastRetrans", "TcpExtTCPSlowStartRetrans", "TcpExtTCPSackRecovery",
                "TcpExtTCPDSACKRecv", "TcpExtTCPOFOQueue", "TcpExtDelayedACKLost", "TcpOutSegs", "TcpInSegs"));
        System.out.println("  peer (nstat):  " + LivePeer.pick(peerD, "TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPLossProbes",
                "TcpExtTCPSpuriousRTOs", "TcpExtTCPDSACKRecv", "TcpExtTCPDSACKOldSent", "TcpExtTCPSackRecovery",
                "TcpExtTCPOFOQueue", "TcpOutSegs", "TcpInSegs"));
    }

    /**
     * The emulated host connects out: {@code netstack nc 192.0.2.1 6000 < file} (the cli as a
     * process over the socket API) to Linux's {@code nc -l 6000 > out}; the file arrives intact.
     */
    @Test
    @Order(3)
    void theEmulatedHostSendsTenMegabytesToNcListeningInThePeer() throws Exception {
        Path heard = dir.resolve("heard.bin");
        Process listener = live.startInPeer(heard, "nc", "-l", "6000");
        try {
            Thread.sleep(500);
            Map<String, Long> peer0 = live.peerNstat();
            Map<String, Long> host0 = live.hostNstat();
            LivePeer.Run r;
            try (LivePeer.SsSampler ss = live.new SsSampler(Duration.ofSeconds(3))) {
                r = LivePeer.exec(live.netstackNc(LivePeer.PEER_ADDR, "6000"), data, null, LIMIT);
            }
            listener.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
            Map<String, Long> peerD = LivePeer.delta(peer0, live.peerNstat());
            Map<String, Long> hostD = LivePeer.delta(host0, live.hostNstat());
            String sha = LivePeer.sha256(heard);
            System.out.printf("$ netstack nc 192.0.2.1 6000 < %d bytes   (peer: nc -l 6000 > heard.bin): exit %d in %.1f s,"
                    + " %d bytes arrived, sha256 %s (%s) %s%n", BYTES, r.exitCode(), r.millis() / 1000.0, Files.size(heard),
                    sha.substring(0, 16), sha.equals(dataSha) ? "identical" : "DIFFERENT", r.stderr().trim());
            report(BYTES, r.millis(), hostD, peerD, "(includes the cli's JVM start)");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(Files.size(heard)).isEqualTo(BYTES);
            assertThat(sha).isEqualTo(dataSha);
        } finally {
            if (listener.isAlive()) LivePeer.kill(listener);
        }
    }
}
