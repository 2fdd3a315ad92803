package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.launcher.wire.KafkaStackSide;
import io.netstack.launcher.wire.TapPeer;
import io.netstack.launcher.wire.WireBridge;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One emulated host on the shared stack, its eth0 wired to a TAP in a peer namespace where
 * Linux has 192.0.2.1/24, for the tests that use Linux's own tools (nc, curl, tc, nstat) as the
 * peer. Also: running a command in the peer with files as stdin/stdout and a time limit (the
 * process, and only it, is killed when it overruns), the peer's counters (nstat: the namespace
 * is new, so its counters are this test's), the emulated host's counters (the services'
 * node_netstat_* metrics), and {@code netstack nc} as a process against the stack's socket API.
 */
final class LivePeer implements AutoCloseable {

    static final String PEER_ADDR = "192.0.2.1";
    static final String OURS = "192.0.2.2";

    final String host;
    final StackLauncher stack;
    final TapPeer peer;
    final WireBridge bridge;
    private final StackClient client;
    final Path repo = RepoRoot.find();

    /**
     * Skips the class, visibly, when a tool is missing or we are not root, or when told to with
     * -Dnetstack.live=false (the 1,000-datagram and 10 MB runs against Linux take minutes).
     */
    static void assumeTools(String testName, List<String> tools, String debianPackages) {
        if ("false".equals(System.getProperty("netstack.live"))) {
            System.out.println(testName + " SKIPPED: -Dnetstack.live=false");
            Assumptions.abort(testName + " skipped with -Dnetstack.live=false");
        }
        List<String> missing = new ArrayList<>(TapPeer.missingPrerequisites());
        for (String t : tools) if (TapPeer.which(t) == null) missing.add(t);
        Path cli = RepoRoot.find().resolve("cli/target/netstack-cli.jar");
        if (!Files.isRegularFile(cli)) missing.add(cli + " (./mvnw package -pl cli -am)");
        if (!missing.isEmpty()) {
            System.out.println(testName + " SKIPPED: needs " + String.join(", ", missing)
                    + " (Debian: " + debianPackages + "; run as root)");
            Assumptions.abort(testName + " needs " + String.join(", ", missing));
        }
    }

    LivePeer(String host, String hostYaml, String netns, String tap) throws IOException {
        this(host, hostYaml, netns, tap, null);
    }

    /** With {@code impairment}, the bridge loses and delays what the peer sends (netem's stand-in). */
    LivePeer(String host, String hostYaml, String netns, String tap, WireBridge.Impairment impairment) throws IOException {
        this.host = host;
        this.stack = SharedStack.get();
        this.client = stack.client();
        client.publishConfig(host, hostYaml);
        this.peer = TapPeer.create(TapPeer.Options.defaults().withNetns(netns).withTap(tap));
        WireBridge b = new WireBridge(host, "eth0", peer.wire(), new KafkaStackSide(stack.bootstrapServers()));
        if (impairment != null) b.impair(impairment);
        this.bridge = b.start();
        // The peer is Linux as Debian ships it: CUBIC. A namespace inherits the machine's
        // default, which may be BBR (it is on the VM this was written on), and may not set
        // another one (only tcp_allowed_congestion_control outside init_net), but a route may:
        // congctl on the connected route. BBR sizes its window from the minimum RTT, and this
        // wire's RTT goes from 30 ms to over a second: it kept a handful of segments in flight.
        TapPeer.run(peer.inNetns("ip", "route", "replace", "192.0.2.0/24", "dev", tap, "proto", "kernel", "scope", "link",
                "src", PEER_ADDR, "congctl", "cubic"), false);
        String route = TapPeer.run(peer.inNetns("ip", "route", "show", "192.0.2.0/24"), false).output().trim();
        System.out.printf("peer netns %s, %s %s/24 MAC %s, route \"%s\"; wire %s%s%n", netns, tap, PEER_ADDR, peer.mac(), route,
                bridge.describe(), impairment == null ? "" : ", impaired " + impairment);
    }

    @Override
    public void close() {
        String netns = peer == null ? null : peer.netns();
        String tap = peer == null ? null : peer.tap();
        if (bridge != null) bridge.close();
        if (peer != null) peer.close();
        try {
            client.removeConfig(host);
        } catch (RuntimeException e) {
            // the stack may be gone
        }
        client.close();
        if (netns != null) {
            assertThat(TapPeer.run(List.of("ip", "netns", "list"), false).output()).doesNotContain(netns);
            assertThat(TapPeer.run(List.of("ip", "link", "show", "dev", tap), false).exitCode()).isNotZero();
        }
        System.out.printf("bridge %s: %d frames in, %d out, %d errors, %d lost by the impairment%n", host,
                bridge == null ? 0 : bridge.framesIn(), bridge == null ? 0 : bridge.framesOut(), bridge == null ? 0 : bridge.errors(),
                bridge == null ? 0 : bridge.impairedDrops());
    }

    /** What a finished process left: exit code (-1 when it had to be killed), stdout, stderr, time. */
    record Run(int exitCode, byte[] stdout, String stderr, long millis) {
        String out() { return new String(stdout, StandardCharsets.UTF_8); }
    }

    /** {@code cmd} in the peer namespace. */
    Run inPeer(Path stdin, Path stdout, Duration limit, String... cmd) throws Exception {
        return exec(peer.inNetns(cmd), stdin, stdout, limit);
    }

    /**
     * Runs a process, stdin from a file (or nothing), stdout to a file (or kept), and kills
     * exactly it (by its handle, with its children) when it overruns {@code limit}.
     */
    static Run exec(List<String> cmd, Path stdin, Path stdout, Duration limit) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stdin != null) pb.redirectInput(stdin.toFile());
        else pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path out = stdout != null ? stdout : Files.createTempFile("live-out", ".bin");
        pb.redirectOutput(out.toFile());
        Path err = Files.createTempFile("live-err", ".txt");
        pb.redirectError(err.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        boolean done = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) kill(p);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        byte[] o = stdout != null ? new byte[0] : Files.readAllBytes(out);
        String e = Files.readString(err);
        if (stdout == null) Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return new Run(done ? p.exitValue() : -1, o, e, ms);
    }

    /** Ends a process this test started (and its children), by its handle. */
    static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** A process in the peer namespace left running (a listener); stdout to a file. */
    Process startInPeer(Path stdout, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(peer.inNetns(cmd));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(stdout.toFile());
        pb.redirectError(ProcessBuilder.Redirect.appendTo(stdout.resolveSibling(stdout.getFileName() + ".err").toFile()));
        return pb.start();
    }

    /** {@code netstack nc} on the emulated host, as a process: the cli jar against the shared stack's socket API. */
    List<String> netstackNc(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
                repo.resolve("cli/target/netstack-cli.jar").toString(), "nc", "--netns", host, "--api", stack.socketApiAddress()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Samples the peer's TCP connections ({@code ss -tin}) every {@code every} while a transfer
     * runs: RTT, cwnd, the window the emulated host offers (snd_wnd), what is in flight (unacked)
     * and waits (notsent): the figures that tell what bounds the goodput. Stop with close().
     */
    final class SsSampler implements AutoCloseable {
        private final List<String> samples = new ArrayList<>();
        private final Thread t;
        private volatile boolean on = true;

        SsSampler(Duration every) {
            Pattern keep = Pattern.compile("(?<![a-z_])(rtt:[0-9.]+/[0-9.]+|rto:\\d+|cwnd:\\d+|ssthresh:\\d+|snd_wnd:\\d+|unacked:\\d+|notsent:\\d+|rcv_space:\\d+|retrans:[0-9/]+)");
            t = new Thread(() -> {
                while (on) {
                    try {
                        Thread.sleep(every.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    String out = TapPeer.run(peer.inNetns("ss", "-tin", "state", "established"), false).output();
                    for (String conn : out.split("\n(?=\\S)")) {
                        Matcher m = keep.matcher(conn);
                        StringBuilder b = new StringBuilder();
                        while (m.find()) b.append(b.length() == 0 ? "" : " ").append(m.group(1));
                        if (b.indexOf("rtt:") >= 0) {
                            synchronized (samples) {
                                samples.add(b.toString());
                            }
                        }
                    }
                }
            }, "ss-sampler");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws InterruptedException {
            on = false;
            t.interrupt();
            t.join(5000);
            synchronized (samples) {
                int step = Math.max(1, samples.size() / 8);
                for (int i = 0; i < samples.size(); i += step) System.out.println("  peer ss: " + samples.get(i));
            }
        }
    }

    /** The peer's counters now (nstat -az: absolute values of its own namespace). */
    Map<String, Long> peerNstat() {
        TapPeer.Result r = TapPeer.run(peer.inNetns("nstat", "-az"), true);
        Map<String, Long> m = new HashMap<>();
        for (String line : r.output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[1].matches("\\d+")) m.put(f[0], Long.parseLong(f[1]));
        }
        return m;
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * The emulated host's counters now, nstat-named (TcpRetransSegs, TcpExtTCPTimeouts), summed
     * over every service's node_netstat_* metrics for this host.
     */
    Map<String, Long> hostNstat() throws Exception {
        Pattern p = Pattern.compile("^node_netstat_([A-Za-z]+)_([A-Za-z0-9]+)\\{[^}]*netns=\"" + Pattern.quote(host) + "\"[^}]*} ([0-9.eE+-]+)$",
                Pattern.MULTILINE);
        Map<String, Long> m = new HashMap<>();
        for (StackLauncher.Service s : stack.services()) {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "/actuator/prometheus")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher mt = p.matcher(body);
            while (mt.find()) m.merge(mt.group(1) + mt.group(2), (long) Double.parseDouble(mt.group(3)), Long::sum);
        }
        return m;
    }

    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new HashMap<>();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long v = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (v != 0) d.put(e.getKey(), v);
        }
        return d;
    }

    /** The named counters of a delta, "TcpRetransSegs=3 TcpExtTCPTimeouts=0". */
    static String pick(Map<String, Long> d, String... names) {
        StringBuilder b = new StringBuilder();
        for (String n : names) b.append(b.length() == 0 ? "" : " ").append(n).append('=').append(d.getOrDefault(n, 0L));
        return b.toString();
    }

    static String sha256(Path f) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** A file of {@code n} random bytes (seeded: the same every run). */
    static Path randomFile(Path dir, String name, int n, long seed) throws IOException {
        Path f = dir.resolve(name);
        java.util.Random r = new java.util.Random(seed);
        byte[] buf = new byte[1 << 16];
        try (OutputStream o = Files.newOutputStream(f)) {
            for (int left = n; left > 0; left -= buf.length) {
                r.nextBytes(buf);
                o.write(buf, 0, Math.min(buf.length, left));
            }
        }
        return f;
    }
}
