package io.netstack.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * UDP between Linux's own netcat (netcat-openbsd, in a peer namespace on a TAP) and the
 * emulated host 192.0.2.2 on the distributed stack: 1,000 datagrams to the udp-echo app come
 * back intact; a datagram to a closed port makes nc report "Connection refused" (the emulated
 * host's ICMP port unreachable, matched by Linux to nc's connected socket); and the emulated
 * host's own `netstack nc -u` (the cli, as a process, over the socket API) sends to a
 * {@code nc -u -l} in the peer.
 */
@ExtendWith(SharedStack.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveUdpNcIT {

    private static final String HOST = "live-udp";
    /**
     * udp-echo on 7. rmem_default 1 MB: the echo app reads through the socket API (each read and
     * each send one Kafka transaction, about 200 datagrams/s on two busy cores); with 212992 a
     * burst from the peer overflows the socket (UdpRcvbufErrors, as Linux would count them).
     */
    private static final String HOST_YAML = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
            sysctl:
              net.core.rmem_default: 1048576
            apps:
              - {app: udp-echo, port: 7}
            """;
    private static final int N = 1000;
    /** Datagrams in flight at most (the emulated socket holds far more: no overflow). */
    private static final int WINDOW = 64;

    private LivePeer live;
    private Path dir;
    private long t0;

    @BeforeAll
    void up() throws Exception {
        t0 = System.nanoTime();
        LivePeer.assumeTools("LiveUdpNcIT", List.of("nc", "nstat"), "netcat-openbsd iproute2 socat");
        dir = Files.createTempDirectory("live-udp");
        live = new LivePeer(HOST, HOST_YAML, "netstack-udp-peer", "nsudp0");
        // The emulated host's echo app starts with the configuration; a first exchange (ARP both ways) warms up.
        LivePeer.Run warm = null;
        for (int i = 0; i < 10; i++) {
            warm = ncUdp(List.of("warm-up " + i + "\n"), 1, 5);
            if (warm.out().contains("warm-up")) break;
        }
        System.out.println("warm-up: " + (warm == null ? "-" : warm.out().trim()));
    }

    @AfterAll
    void down() throws Exception {
        if (live != null) live.close();
        if (dir != null) {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
        System.out.printf("LiveUdpNcIT: %d ms in all%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * {@code nc -u -w W 192.0.2.2 7} in the peer, its stdin fed one line at a time (nc sends what
     * one read(2) of stdin returns as one datagram: one line, unless nc falls behind and reads
     * two at once), at most {@code window} lines ahead of the echoes nc has printed: the echo
     * app answers about 200 datagrams/s on two busy cores, and a sender that outruns it only
     * fills the emulated socket (UdpRcvbufErrors, as on Linux).
     */
    private LivePeer.Run ncUdp(List<String> lines, int window, int waitSecs) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(live.peer.inNetns("nc", "-u", "-w", String.valueOf(waitSecs), LivePeer.OURS, "7"));
        Path err = dir.resolve("nc-udp.err");
        pb.redirectError(err.toFile());
        long t = System.nanoTime();
        Process p = pb.start();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        java.util.concurrent.atomic.AtomicInteger echoed = new java.util.concurrent.atomic.AtomicInteger();
        Thread reader = new Thread(() -> {
            try (var in = p.getInputStream()) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (got) {
                        got.write(buf, 0, n);
                    }
                    for (int i = 0; i < n; i++) if (buf[i] == '\n') echoed.incrementAndGet();
                }
            } catch (java.io.IOException e) {
                // nc ended
            }
        }, "nc-udp-out");
        reader.start();
        try (OutputStream in = p.getOutputStream()) {
            long stall = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            for (int i = 0; i < lines.size(); i++) {
                while (i - echoed.get() >= window && System.nanoTime() < stall) Thread.sleep(2);
                in.write(lines.get(i).getBytes(StandardCharsets.US_ASCII));
                in.flush();
                Thread.sleep(1);
            }
        } catch (java.io.IOException e) {
            // nc exited early: what it printed tells
        }
        boolean done = p.waitFor(waitSecs + 120L, TimeUnit.SECONDS);
        if (!done) LivePeer.kill(p);
        reader.join(5000);
        byte[] out;
        synchronized (got) {
            out = got.toByteArray();
        }
        return new LivePeer.Run(done ? p.exitValue() : -1, out, Files.readString(err), (System.nanoTime() - t) / 1_000_000);
    }

    @Test
    @Order(1)
    void ncSendsAThousandDatagramsToUdpEchoAndGetsAllBackIntact() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < N; i++) lines.add(line(i));
        Map<String, Long> peer0 = live.peerNstat();
        Map<String, Long> host0 = live.hostNstat();
        LivePeer.Run r = ncUdp(lines, WINDOW, 10);
        Map<String, Long> peerD = LivePeer.delta(peer0, live.peerNstat());
        Map<String, Long> hostD = LivePeer.delta(host0, live.hostNstat());
        String[] got = r.out().split("\n", -1);
        List<String> back = new ArrayList<>();
        for (String g : got) if (!g.isEmpty()) back.add(g + "\n");
        TreeSet<String> want = new TreeSet<>(lines);
        TreeSet<String> have = new TreeSet<>(back);
        System.out.printf("$ nc -u -w 10 192.0.2.2 7  (%d lines, at most %d ahead of the echoes): %d lines back in %d ms"
                + " (%.0f datagrams/s), nc exit %d %s%n", N, WINDOW, back.size(), r.millis(),
                peerD.getOrDefault("UdpOutDatagrams", 0L) * 1000.0 / Math.max(1, r.millis() - 10_000), r.exitCode(), r.stderr().trim());
        System.out.println("peer:          " + LivePeer.pick(peerD, "UdpOutDatagrams", "UdpInDatagrams", "UdpRcvbufErrors", "UdpInErrors"));
        System.out.println("emulated host: " + LivePeer.pick(hostD, "UdpInDatagrams", "UdpOutDatagrams", "UdpRcvbufErrors", "UdpInErrors"));
        assertThat(back).as("every line back exactly once").hasSize(N);
        assertThat(have).as("contents").isEqualTo(want);
        // Each datagram came back as it went (nc may join two lines into one datagram when it falls behind).
        assertThat(peerD.getOrDefault("UdpInDatagrams", 0L)).isEqualTo(peerD.getOrDefault("UdpOutDatagrams", -1L));
        assertThat(peerD.getOrDefault("UdpOutDatagrams", 0L)).isGreaterThan(N / 2);
        assertThat(hostD.getOrDefault("UdpRcvbufErrors", 0L)).isZero();
    }

    /** Line i: its number and a digest, so a corrupted, cut or foreign line shows. */
    private static String line(int i) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(("datagram " + i).getBytes(StandardCharsets.US_ASCII));
        return String.format("datagram %04d %s%n", i, HexFormat.of().formatHex(d));
    }

    /**
     * nc -u connects its socket; the emulated host answers a datagram to port 9 with an ICMP port
     * unreachable, and Linux puts ECONNREFUSED on the socket. netcat-openbsd 1.219 (Debian 12)
     * reports it by its exit status, silently: {@code nc -zu} (probe, no data) exits 1 for the
     * closed port 9 and 0, "succeeded", for the echo port 7; plain {@code nc -u} ends at the
     * POLLERR without a word. socat says it in words: "read(...): Connection refused".
     */
    @Test
    @Order(2)
    void aDatagramToAClosedPortIsRefused() throws Exception {
        Map<String, Long> host0 = live.hostNstat();
        Map<String, Long> peer0 = live.peerNstat();
        LivePeer.Run closed = live.inPeer(null, null, Duration.ofSeconds(60), "nc", "-vzu", "-w", "5", LivePeer.OURS, "9");
        LivePeer.Run open = live.inPeer(null, null, Duration.ofSeconds(60), "nc", "-vzu", "-w", "5", LivePeer.OURS, "7");
        System.out.printf("$ nc -vzu -w 5 192.0.2.2 9   -> exit %d in %d ms %s%n", closed.exitCode(), closed.millis(), closed.stderr().trim());
        System.out.printf("$ nc -vzu -w 5 192.0.2.2 7   -> exit %d in %d ms %s%n", open.exitCode(), open.millis(), open.stderr().trim());
        assertThat(closed.exitCode()).as("nc -zu to the closed port").isEqualTo(1);
        assertThat(open.exitCode()).as("nc -zu to udp-echo").isZero();
        assertThat(open.stderr()).contains("succeeded");

        Path in = dir.resolve("refused-in.txt");
        Files.writeString(in, "anyone on port 9?\n");
        // socat reads stdin to its end, then waits (-t) for the answer: the error arrives then.
        LivePeer.Run s = live.inPeer(in, null, Duration.ofSeconds(60), "socat", "-t", "10", "-", "UDP:" + LivePeer.OURS + ":9");
        System.out.printf("$ echo 'anyone on port 9?' | socat -t 10 - UDP:192.0.2.2:9   -> exit %d%n%s%n", s.exitCode(), s.stderr().trim());
        assertThat(s.stderr()).contains("Connection refused");
        Map<String, Long> hostD = LivePeer.delta(host0, live.hostNstat());
        Map<String, Long> peerD = LivePeer.delta(peer0, live.peerNstat());
        System.out.println("emulated host: " + LivePeer.pick(hostD, "UdpNoPorts", "IcmpOutDestUnreachs", "IcmpOutMsgs"));
        System.out.println("peer:          " + LivePeer.pick(peerD, "IcmpInDestUnreachs", "UdpOutDatagrams"));
        assertThat(hostD.getOrDefault("UdpNoPorts", 0L)).isGreaterThanOrEqualTo(2);
        assertThat(hostD.getOrDefault("IcmpOutDestUnreachs", 0L)).isGreaterThanOrEqualTo(2);
        assertThat(peerD.getOrDefault("IcmpInDestUnreachs", 0L)).isGreaterThanOrEqualTo(2);
    }

    /**
     * The other way: {@code netstack nc -u 192.0.2.1 5000} on the emulated host (the cli as a
     * process, stdin to datagrams over the socket API) to Linux's {@code nc -u -l 5000}.
     */
    @Test
    @Order(3)
    void netstackNcOnTheEmulatedHostSendsToNcListeningInThePeer() throws Exception {
        Path heard = dir.resolve("nc-listen.out");
        Process listener = live.startInPeer(heard, "nc", "-u", "-l", "5000");
        try {
            Thread.sleep(500);
            String msg = "hello from the emulated host " + System.nanoTime() + "\n";
            Path in = dir.resolve("msg.txt");
            Files.writeString(in, msg);
            LivePeer.Run r = LivePeer.exec(live.netstackNc("-u", "-w", "3", LivePeer.PEER_ADDR, "5000"), in, null, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!Files.readString(heard).contains(msg) && System.nanoTime() < deadline) Thread.sleep(100);
            System.out.printf("$ netstack nc -u -w 3 192.0.2.1 5000 <<< '%s'  (exit %d in %d ms) %s%n", msg.trim(), r.exitCode(),
                    r.millis(), r.stderr().trim());
            System.out.println("peer's nc -u -l 5000 printed: " + Files.readString(heard).trim());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(Files.readString(heard)).isEqualTo(msg);
        } finally {
            LivePeer.kill(listener);
        }
    }
}
