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
            warm = ncUdp(List.of("warm-up " + i + "\n"), 0, 5);
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
     * {@code nc -u -w W 192.0.2.2 7} in the peer, its stdin fed one line every {@code gapMs}
     * (nc sends what one read(2) of stdin returns as one datagram, so each line is one datagram
     * unless nc falls behind and reads two at once).
     */
    private LivePeer.Run ncUdp(List<String> lines, long gapMs, int waitSecs) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(live.peer.inNetns("nc", "-u", "-w", String.valueOf(waitSecs), LivePeer.OURS, "7"));
        Path out = dir.resolve("nc-udp.out");
        Path err = dir.resolve("nc-udp.err");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        long t = System.nanoTime();
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            for (String l : lines) {
                in.write(l.getBytes(StandardCharsets.US_ASCII));
                in.flush();
                if (gapMs > 0) Thread.sleep(gapMs);
            }
        }
        boolean done = p.waitFor(waitSecs + 120L, TimeUnit.SECONDS);
        if (!done) LivePeer.kill(p);
        return new LivePeer.Run(done ? p.exitValue() : -1, Files.readAllBytes(out), Files.readString(err),
                (System.nanoTime() - t) / 1_000_000);
    }

    @Test
    @Order(1)
    void ncSendsAThousandDatagramsToUdpEchoAndGetsAllBackIntact() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < N; i++) lines.add(line(i));
        Map<String, Long> peer0 = live.peerNstat();
        Map<String, Long> host0 = live.hostNstat();
        LivePeer.Run r = ncUdp(lines, 4, 10);
        Map<String, Long> peerD = LivePeer.delta(peer0, live.peerNstat());
        Map<String, Long> hostD = LivePeer.delta(host0, live.hostNstat());
        String[] got = r.out().split("\n", -1);
        List<String> back = new ArrayList<>();
        for (String g : got) if (!g.isEmpty()) back.add(g + "\n");
        TreeSet<String> want = new TreeSet<>(lines);
        TreeSet<String> have = new TreeSet<>(back);
        System.out.printf("$ nc -u -w 10 192.0.2.2 7  (%d lines, one every 4 ms): %d lines back in %d ms, nc exit %d %s%n",
                N, back.size(), r.millis(), r.exitCode(), r.stderr().trim());
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
     * nc -u connects its socket; the emulated host answers the first datagram to port 9 with an
     * ICMP port unreachable, Linux puts ECONNREFUSED on the socket, and nc's next read reports it.
     */
    @Test
    @Order(2)
    void aDatagramToAClosedPortMakesNcReportConnectionRefused() throws Exception {
        Map<String, Long> host0 = live.hostNstat();
        ProcessBuilder pb = new ProcessBuilder(live.peer.inNetns("nc", "-u", "-v", "-w", "10", LivePeer.OURS, "9"));
        Path out = dir.resolve("nc-refused.out");
        pb.redirectOutput(out.toFile());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            // One datagram, then stdin stays open: nc waits on the socket, where the error comes.
            in.write("anyone on port 9?\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            if (!p.waitFor(30, TimeUnit.SECONDS)) LivePeer.kill(p);
        } catch (java.io.IOException closedByNc) {
            // nc exited and closed its stdin
        }
        p.waitFor(5, TimeUnit.SECONDS);
        String said = Files.readString(out);
        Map<String, Long> hostD = LivePeer.delta(host0, live.hostNstat());
        System.out.println("$ echo 'anyone on port 9?' | nc -u -v 192.0.2.2 9\n" + said.trim());
        System.out.println("emulated host: " + LivePeer.pick(hostD, "UdpNoPorts", "IcmpOutDestUnreachs", "IcmpOutMsgs"));
        assertThat(said).contains("Connection refused");
        assertThat(hostD.getOrDefault("UdpNoPorts", 0L)).isGreaterThanOrEqualTo(1);
        assertThat(hostD.getOrDefault("IcmpOutDestUnreachs", 0L)).isGreaterThanOrEqualTo(1);
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
