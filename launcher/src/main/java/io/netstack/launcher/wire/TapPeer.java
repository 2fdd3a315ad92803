package io.netstack.launcher.wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A peer host made of real Linux: a network namespace with a TAP interface whose other end is a
 * UDP wire ({@link UdpWire}), so Linux's own ping, arping, nc, ssh ... talk to an emulated host.
 *
 * <p>How: socat opens /dev/net/tun (TUNSETIFF, {@code IFF_TAP|IFF_NO_PI}) in the root namespace and
 * relays each frame the TAP transmits as one datagram to the bridge's UDP port, and each datagram
 * back into the TAP; the TAP is then moved into the namespace (socat's file descriptor stays valid)
 * and gets its MAC, address, IPv6 off (the emulated stack is IPv4 only), 10 ARP probes instead of
 * 3 (patience with a cold stack) and routes there. Needs root,
 * iproute2 ({@code ip}) and socat.
 *
 * <p>Nothing is left behind: {@link #close()} (also run by a shutdown hook: Ctrl-C, SIGTERM) ends
 * socat and deletes the namespace, which destroys the TAP. After a SIGKILL, the next
 * {@link #create} removes what a dead owner left: each peer writes {@code /run/netstack/peer-NAME}
 * (owner pid, socat pid, TAP), and only namespaces with such a file whose owner is gone are removed.
 */
public final class TapPeer implements AutoCloseable {

    /** Where the ownership files live: a tmpfs, emptied at boot like the namespaces themselves. */
    static final Path STATE_DIR = Path.of(System.getProperty("netstack.wire.stateDir", "/run/netstack"));

    /**
     * @param netns   the peer's network namespace (created; must not exist)
     * @param tap     the TAP interface's name (IFNAMSIZ 15)
     * @param address the peer's address with prefix, "192.0.2.1/24"
     * @param mac     the TAP's MAC, null for the kernel's random one
     * @param routes  extra routes in the peer, "198.51.100.0/24 via 192.0.2.2"
     */
    public record Options(String netns, String tap, String address, String mac, List<String> routes) {
        public Options {
            routes = List.copyOf(routes);
            if (!netns.matches("[A-Za-z0-9._-]{1,64}")) throw new IllegalArgumentException("bad namespace name '" + netns + "'");
            if (!tap.matches("[A-Za-z0-9._-]{1,15}")) throw new IllegalArgumentException("bad interface name '" + tap + "'");
            if (!address.matches("\\d+\\.\\d+\\.\\d+\\.\\d+/\\d{1,2}")) throw new IllegalArgumentException("'" + address + "' is not address/prefix");
        }

        public static Options defaults() {
            return new Options("netstack-peer", "nstap0", "192.0.2.1/24", null, List.of());
        }

        public Options withNetns(String n) { return new Options(n, tap, address, mac, routes); }
        public Options withTap(String t) { return new Options(netns, t, address, mac, routes); }
        public Options withAddress(String a) { return new Options(netns, tap, a, mac, routes); }
        public Options withMac(String m) { return new Options(netns, tap, address, m, routes); }
        public Options withRoutes(List<String> r) { return new Options(netns, tap, address, mac, r); }
    }

    private final Options options;
    private final UdpWire wire;
    private final Process socat;
    private final Path marker;
    private final Thread hook;
    private boolean closed;

    private TapPeer(Options options, UdpWire wire, Process socat, Path marker) {
        this.options = options;
        this.wire = wire;
        this.socat = socat;
        this.marker = marker;
        this.hook = new Thread(this::closeQuietly, "netstack-tap-peer-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** What a TAP peer needs, or why it cannot be made here: empty when all is there. */
    public static List<String> missingPrerequisites() {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) missing.add("root (network namespaces and TAP devices)");
        if (!Files.isReadable(Path.of("/dev/net/tun")) && !"root".equals(System.getProperty("user.name"))) missing.add("/dev/net/tun");
        if (which("ip") == null) missing.add("ip (Debian package iproute2)");
        if (which("socat") == null) missing.add("socat (Debian package socat)");
        return missing;
    }

    /** The executable's path on $PATH, or null. */
    public static Path which(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * Makes the peer: removes what dead owners left, creates the namespace and the TAP, and returns
     * with the peer ready. The returned peer's {@link #wire()} is the UDP end a {@link WireBridge}
     * plugs into the emulated interface.
     */
    public static TapPeer create(Options o) throws IOException {
        List<String> missing = missingPrerequisites();
        if (!missing.isEmpty()) throw new IllegalStateException("a TAP peer needs " + String.join(", ", missing));
        removeStale();
        if (netnsExists(o.netns())) {
            throw new IllegalStateException("network namespace " + o.netns() + " exists and is not a stale netstack peer: "
                    + "choose another --peer-netns or remove it (ip netns del " + o.netns() + ")");
        }
        if (run(List.of("ip", "link", "show", "dev", o.tap()), false).exitCode == 0) {
            throw new IllegalStateException("an interface " + o.tap() + " exists already in the root namespace");
        }
        Files.createDirectories(STATE_DIR);
        Path marker = STATE_DIR.resolve("peer-" + o.netns());
        int socatPort = freeUdpPort();
        UdpWire wire = UdpWire.open(new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", socatPort));
        Process socat = null;
        boolean ok = false;
        try {
            int bridgePort = wire.localAddress().getPort();
            run(List.of("ip", "netns", "add", o.netns()), true);
            writeMarker(marker, -1, o);
            List<String> cmd = new ArrayList<>();
            // socat ends with us even after a SIGKILL (PR_SET_PDEATHSIG), when setpriv is there.
            if (which("setpriv") != null) cmd.addAll(List.of("setpriv", "--pdeathsig", "KILL", "--"));
            cmd.addAll(List.of("socat", "-d",
                    "TUN,tun-type=tap,tun-name=" + o.tap() + ",iff-no-pi",
                    // rcvbuf: the stack transmits a window at once (a batch of wire.tx) and the
                    // bridge sends it back to back; with the default 212992 bytes socat's socket
                    // overflowed (UdpRcvbufErrors in the root namespace, TCP losses on a clean wire).
                    "UDP-DATAGRAM:127.0.0.1:" + bridgePort + ",bind=127.0.0.1:" + socatPort + ",rcvbuf=" + UdpWire.RCVBUF));
            Path log = STATE_DIR.resolve("socat-" + o.netns() + ".log");
            socat = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            writeMarker(marker, socat.pid(), o);
            awaitLink(o.tap(), socat, log);
            String ns = o.netns();
            run(List.of("ip", "link", "set", "dev", o.tap(), "netns", ns), true);
            // IPv4 only, as the emulated stack: no router solicitations or MLD reports on the wire.
            run(List.of("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf." + o.tap() + ".disable_ipv6=1"), false);
            // Patience with a cold stack: its first ARP reply can take longer than Linux's 3 probes
            // a second apart (mcast_solicit 3, retrans_time 1 s); 10 probes give it 10 s. Only the peer's
            // resolution is changed, never what the emulated host does.
            run(List.of("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.neigh." + o.tap() + ".mcast_solicit=10"), false);
            if (o.mac() != null) run(List.of("ip", "-n", ns, "link", "set", "dev", o.tap(), "address", o.mac()), true);
            run(List.of("ip", "-n", ns, "link", "set", "dev", "lo", "up"), true);
            run(List.of("ip", "-n", ns, "addr", "add", o.address(), "dev", o.tap()), true);
            run(List.of("ip", "-n", ns, "link", "set", "dev", o.tap(), "up"), true);
            for (String r : o.routes()) {
                List<String> c = new ArrayList<>(List.of("ip", "-n", ns, "route", "add"));
                c.addAll(List.of(r.trim().split("\\s+")));
                run(c, true);
            }
            TapPeer peer = new TapPeer(o, wire, socat, marker);
            ok = true;
            return peer;
        } finally {
            if (!ok) {
                wire.close();
                if (socat != null) destroy(socat.toHandle());
                run(List.of("ip", "netns", "del", o.netns()), false);
                Files.deleteIfExists(marker);
            }
        }
    }

    /** The UDP end of the TAP's wire, for a {@link WireBridge}. */
    public UdpWire wire() { return wire; }

    public Options options() { return options; }

    public String netns() { return options.netns(); }

    public String tap() { return options.tap(); }

    public long socatPid() { return socat.pid(); }

    /** The TAP's MAC in the namespace ("aa:bb:..."). */
    public String mac() {
        Result r = run(List.of("ip", "-n", options.netns(), "-br", "link", "show", "dev", options.tap()), true);
        String[] f = r.output.trim().split("\\s+");
        return f.length >= 3 ? f[2] : "?";
    }

    /** A command in the peer's namespace: {@code ip netns exec NAME cmd...}. */
    public List<String> inNetns(String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", options.netns()));
        c.addAll(List.of(cmd));
        return c;
    }

    /** Ends socat, deletes the namespace (and with it the TAP) and the ownership file. Idempotent. */
    @Override
    public synchronized void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // we are the hook
        }
    }

    private synchronized void closeQuietly() {
        if (closed) return;
        closed = true;
        try {
            wire.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        endProcessesIn(options.netns());
        run(List.of("ip", "netns", "del", options.netns()), false);
        destroy(socat.toHandle());
        try {
            Files.deleteIfExists(marker);
            Files.deleteIfExists(STATE_DIR.resolve("socat-" + options.netns() + ".log"));
        } catch (IOException ignored) {
            // best effort
        }
    }

    /**
     * Removes the peers whose owner process is gone: kills their socat (when that pid is still a
     * socat), deletes their namespace and ownership file. Touches nothing without an ownership file.
     *
     * @return the namespaces removed
     */
    public static List<String> removeStale() throws IOException {
        List<String> removed = new ArrayList<>();
        if (!Files.isDirectory(STATE_DIR)) return removed;
        List<Path> markers;
        try (Stream<Path> s = Files.list(STATE_DIR)) {
            markers = s.filter(p -> p.getFileName().toString().startsWith("peer-")).toList();
        }
        for (Path m : markers) {
            Map<String, String> kv = readMarker(m);
            long owner = parseLong(kv.get("owner"));
            if (owner > 0 && alive(owner, parseLong(kv.get("started")))) continue;
            long socatPid = parseLong(kv.get("socat"));
            if (socatPid > 0) {
                ProcessHandle.of(socatPid).filter(h -> h.info().command().map(c -> c.endsWith("socat")).orElse(false))
                        .ifPresent(TapPeer::destroy);
            }
            String ns = kv.getOrDefault("netns", m.getFileName().toString().substring("peer-".length()));
            if (netnsExists(ns)) {
                endProcessesIn(ns);
                run(List.of("ip", "netns", "del", ns), false);
            }
            Files.deleteIfExists(m);
            Files.deleteIfExists(STATE_DIR.resolve("socat-" + ns + ".log"));
            removed.add(ns);
            System.err.println("netstack wire: removed stale peer namespace " + ns + " (owner pid " + owner + " is gone)");
        }
        return removed;
    }

    /**
     * Whether the owner still runs: the pid exists, is no zombie (a killed owner nobody has reaped yet
     * is gone for our purpose) and started when the file says (not a recycled pid).
     */
    static boolean alive(long pid, long startedMillis) {
        java.util.Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return false;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            if (close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z') return false;
        } catch (IOException | RuntimeException e) {
            // no /proc: trust the handle
        }
        if (startedMillis > 0) {
            long start = h.get().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(startedMillis);
            if (Math.abs(start - startedMillis) > 2_000) return false;
        }
        return true;
    }

    static boolean netnsExists(String name) {
        return Files.exists(Path.of("/run/netns", name));
    }

    private static void writeMarker(Path marker, long socatPid, Options o) throws IOException {
        long started = ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
        String text = "owner=" + ProcessHandle.current().pid() + "\nstarted=" + started + "\nsocat=" + socatPid + "\nnetns=" + o.netns()
                + "\ntap=" + o.tap() + "\n";
        Files.writeString(marker, text, StandardCharsets.UTF_8);
    }

    private static Map<String, String> readMarker(Path m) throws IOException {
        Map<String, String> kv = new java.util.HashMap<>();
        for (String line : Files.readAllLines(m, StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) kv.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
        return kv;
    }

    private static long parseLong(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void awaitLink(String tap, Process socat, Path log) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (run(List.of("ip", "link", "show", "dev", tap), false).exitCode == 0) return;
            if (!socat.isAlive()) break;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String out = Files.exists(log) ? Files.readString(log) : "";
        throw new IllegalStateException("socat did not create TAP " + tap + (socat.isAlive() ? "" : " (exit " + socat.exitValue() + ")")
                + ": " + out.trim());
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }

    /**
     * Ends what still runs in the peer's namespace (a ping, an nc left by a test that died):
     * {@code ip netns del} only removes the name, and a process inside would keep the namespace,
     * with its TAP, alive and unnamed.
     */
    static void endProcessesIn(String netns) {
        Result pids = run(List.of("ip", "netns", "pids", netns), false);
        if (pids.exitCode() != 0) return;
        for (String line : pids.output().split("\\s+")) {
            if (line.isBlank()) continue;
            try {
                ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(TapPeer::destroy);
            } catch (NumberFormatException notAPid) {
                // ip printed something else
            }
        }
    }

    private static void destroy(ProcessHandle h) {
        if (!h.isAlive()) return;
        h.destroy();
        try {
            h.onExit().get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            h.destroyForcibly();
        }
    }

    /** A finished command: exit code and its output (stdout and stderr). */
    public record Result(int exitCode, String output) {}

    /** Runs a command to its end (30 s at most); with {@code check}, a failure throws with its output. */
    public static Result run(List<String> cmd, boolean check) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
            }
            Result r = new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
            if (check && r.exitCode != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.exitCode + "): " + r.output.trim());
            }
            return r;
        } catch (IOException e) {
            if (check) throw new UncheckedIOException(String.join(" ", cmd) + ": " + e.getMessage(), e);
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
        }
    }
}
