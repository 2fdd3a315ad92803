package io.netstack.launcher.chaos;

import io.netstack.stack.LayerName;
import io.netstack.codec.SkbCodec;
import io.netstack.launcher.EventLedger;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kill any layer, lose nothing: one chaos run on the distributed stack, shared by {@code netstack
 * chaos} and ChaosIT.
 *
 * <p>Two hosts, a (10.0.0.1) and b (10.0.0.2, udp-echo and tcp-echo on port 7), wired by a bridge
 * (a reader of the transmit topic that publishes each frame as the peer's received frame). The
 * traffic, seeded: UDP datagrams a -> b:7 from a few sockets at {@code rate} per second in all,
 * pings to a from its peer (wire frames) once a second, and {@code connections} TCP connections
 * a -> b:7, each echoing 20 000 random bytes before the faults and 20 000 after. The fault
 * schedule, seeded ({@link #schedule}): {@code faults} faults spread over {@code duration}, each
 * started at its time on its own thread ({@link FaultInjector}). Then the traffic stops, the run
 * drains (every skb born gets its fate, 120 s at most), and the ledger of every event gives the
 * report ({@link ChaosReport}).
 */
public final class ChaosRun {

    /** What a run does. {@code scale}: instances per layer (absent: 1). */
    public record Options(long seed, Duration duration, int rate, Map<String, Integer> scale, int faults, int cpus,
                          int connections, Path repoRoot, Path runDir) {}

    /**
     * One fault as scheduled and as it ran (epoch nanos, as the events' clock). {@code slot}: when
     * it is due (faults sharing a slot start together); {@code other}: the second instance of a
     * kill during a rebalance.
     */
    public record Fault(String kind, String layer, String instance, String other, int slot, long startNanos,
                        long endNanos, long freezeMillis) {
        public Fault(String kind, String layer, String instance, int slot, long freezeMillis) {
            this(kind, layer, instance, null, slot, 0, 0, freezeMillis);
        }

        public String describe() {
            return switch (kind) {
                case "freeze" -> "SIGSTOP/SIGCONT " + freezeMillis + " ms " + instance;
                case "broker" -> "broker restart (SIGTERM)";
                case REBALANCE_KILL -> "SIGKILL " + instance + ", " + other + " in the rebalance";
                default -> kind + " + restart " + instance;
            };
        }

        /** The instances it touches (the broker counts as one). */
        List<String> instances() {
            return other == null ? List.of(instance) : List.of(instance, other);
        }

        Fault ran(long start, long end) {
            return new Fault(kind, layer, instance, other, slot, start, end, freezeMillis);
        }
    }

    /** A SIGKILL of one instance and, while its group rebalances, of another of the same layer. */
    static final String REBALANCE_KILL = "SIGKILL-in-rebalance";
    /** How long after the first kill of {@link #REBALANCE_KILL} the second comes: inside the session timeout + rebalance. */
    static final long REBALANCE_KILL_GAP_MILLIS = 1500;

    static final Pattern TAKEN = Pattern.compile("partitions \\[([0-9, ]*)] taken");
    static final byte[] MAC_A = {2, 0, 0, 0, 0, 1};
    static final byte[] MAC_B = {2, 0, 0, 0, 0, 2};
    static final int UDP_SOCKETS = 4;

    private final Options o;
    private final PrintStream log;
    private volatile boolean on = true;
    private volatile boolean traffic = true;

    public ChaosRun(Options options, PrintStream log) {
        this.o = options;
        this.log = log;
    }

    /** Epoch nanoseconds with nanoTime's resolution (the services' WallClock does the same). */
    static final class Clock {
        private static final long BASE_NANO = System.nanoTime();
        private static final long BASE_EPOCH;

        static {
            Instant now = Instant.now();
            BASE_EPOCH = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        static long now() { return BASE_EPOCH + (System.nanoTime() - BASE_NANO); }
    }

    public static String hostYaml(String addr, String mac, String peerAddr, String peerMac, String apps) {
        return "interfaces:\n"
                + "  - name: eth0\n"
                + "    mac: \"" + mac + "\"\n"
                + "    mtu: 1500\n"
                + "    addresses: [\"" + addr + "/24\"]\n"
                + "neighbors:\n"
                + "  - {ip: \"" + peerAddr + "\", mac: \"" + peerMac + "\", dev: eth0}\n"
                + apps;
    }

    /** Starts the stack, runs traffic and faults, drains, stops the stack; the report. */
    public ChaosReport run() throws Exception {
        StackLauncher.Builder b = StackLauncher.builder().runDir(o.runDir()).scale(o.scale()).cpus(o.cpus())
                .readyTimeout(Duration.ofSeconds(300)); // a loaded 2-core machine took over 120 s to start a JVM
        if (o.repoRoot() != null) b.repoRoot(o.repoRoot());
        StackLauncher stack = b.build().start();
        EventLedger ledger = new EventLedger();
        QueueLag lag = null;
        List<Thread> threads = new ArrayList<>();
        AtomicInteger udpSent = new AtomicInteger();
        AtomicInteger udpEchoed = new AtomicInteger();
        AtomicLong pingsSent = new AtomicLong();
        List<Fault> done = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int tcpSurvived = 0;
        long t0;
        try (StackClient client = stack.client()) {
            log.printf("chaos: stack up in %d ms, logs in %s%n", stack.startupTime().toMillis(), o.runDir());
            client.publishConfig("a", hostYaml("10.0.0.1", "02:00:00:00:00:01", "10.0.0.2", "02:00:00:00:00:02", ""));
            client.publishConfig("b", hostYaml("10.0.0.2", "02:00:00:00:00:02", "10.0.0.1", "02:00:00:00:00:01",
                    "apps:\n  - {app: udp-echo, port: 7}\n  - {app: tcp-echo, port: 7}\n"));
            threads.add(daemon("chaos-bridge", () -> bridge(stack)));
            threads.add(daemon("chaos-events", () -> {
                try (StackClient.EventReader r = stack.client().events()) {
                    while (on) for (SkbEvent e : r.poll(Duration.ofMillis(100))) ledger.add(e);
                } catch (RuntimeException e) {
                    if (on) e.printStackTrace(log);
                }
            }));
            lag = new QueueLag(stack.bootstrapServers(), LayerName.names(), 500);
            NetstackApi api = NetstackApi.connect(stack.socketApiAddress());
            Random rnd = new Random(o.seed());
            List<NetstackSocket> tcp = new ArrayList<>();
            for (int i = 0; i < o.connections(); i++) {
                NetstackSocket c = connect(api);
                tcp.add(c);
                byte[] before = new byte[20_000];
                rnd.nextBytes(before);
                String err = echo(c, before);
                if (err != null) notes.add("tcp connection " + i + ": echo before the faults failed: " + err);
            }
            t0 = Clock.now();
            for (int i = 0; i < UDP_SOCKETS; i++) {
                int k = i;
                threads.add(daemon("chaos-udp-" + i, () -> udp(stack, k, udpSent, udpEchoed)));
            }
            threads.add(daemon("chaos-ping", () -> pings(stack, pingsSent)));

            Map<String, List<String>> instances = new LinkedHashMap<>();
            for (String l : LayerName.names()) {
                instances.put(l, stack.instances(l).stream().map(StackLauncher.Service::instance).toList());
            }
            String l4a = holder(stack, "l4", Math.floorMod("a".hashCode(), o.cpus())).instance();
            List<Fault> plan = schedule(o.faults(), instances, l4a, new Random(o.seed() * 31 + 7));
            long durationNanos = o.duration().toNanos();
            int slots = plan.isEmpty() ? 0 : plan.get(plan.size() - 1).slot() + 1;
            // Each fault starts at its slot's time on its own thread, whatever the others are
            // doing, so faults overlap (a restart takes seconds); two faults on one instance
            // still take turns.
            try (FaultInjector injector = new FaultInjector(stack, log, t0)) {
                for (Fault f : plan) {
                    long due = t0 + durationNanos * (f.slot() + 1) / (slots + 1);
                    long wait = due - Clock.now();
                    if (wait > 0) Thread.sleep(wait / 1_000_000);
                    injector.start(f);
                }
                done.addAll(injector.awaitAll());
            }
            long end = t0 + durationNanos;
            if (end > Clock.now()) Thread.sleep((end - Clock.now()) / 1_000_000);

            for (int i = 0; i < tcp.size(); i++) {
                byte[] after = new byte[20_000];
                rnd.nextBytes(after);
                // After outages of tens of seconds the retransmission timer has backed off (RTO
                // doubles up to TCP_RTO_MAX, 120 s): give the connection that long to come back.
                tcp.get(i).setTimeout(Duration.ofSeconds(240));
                String err = echo(tcp.get(i), after);
                if (err == null) tcpSurvived++;
                else notes.add("tcp connection " + i + ": echo after the faults failed: " + err);
            }
            traffic = false;
            for (NetstackSocket c : tcp) {
                try { c.close(); } catch (ErrnoException | RuntimeException e) { notes.add("tcp close: " + e); }
            }
            long trafficEnd = Clock.now();
            // Drain: every skb born gets its fate. Bounded well past the broker's hanging-
            // transaction limit (20 s): a transaction left open by the broker restart holds
            // read_committed readers until the broker's janitor aborts it.
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            Thread.sleep(2000);
            while (System.nanoTime() < deadline && !ledger.inFlight().isEmpty()) Thread.sleep(500);
            log.printf("chaos: drained %.1f s after the traffic stopped%n", (Clock.now() - trafficEnd) / 1e9);
            on = false;
            for (Thread t : threads) t.join(5000);
            api.close();
            return ChaosReport.of(o, ledger, done, lag.samples(), t0, trafficEnd,
                    udpSent.get(), udpEchoed.get(), pingsSent.get(), tcpSurvived, tcp.size(), notes);
        } finally {
            on = false;
            if (lag != null) lag.close();
            stack.stop();
        }
    }

    // ---- the fault schedule ----

    /**
     * The seeded plan: the l4 holder of host a killed, one broker restart, the rest drawn: a
     * SIGKILL, SIGTERM or SIGSTOP/SIGCONT (2 to 8 s) of a random instance (the socket service is
     * only frozen when it runs alone: its clients would have nowhere to go), or, for a layer with two
     * instances or more, a kill during a rebalance. About one fault in six shares its slot with
     * the one before (several at once).
     */
    static List<Fault> schedule(int faults, Map<String, List<String>> instances, String l4Holder, Random rnd) {
        List<Fault> drawn = new ArrayList<>();
        int n = Math.max(faults, 0);
        if (n == 0) return drawn;
        drawn.add(new Fault("SIGKILL", "l4", l4Holder, 0, 0));
        if (n > 1) drawn.add(new Fault("broker", "broker", "broker", 0, 0));
        List<String> layers = List.copyOf(instances.keySet());
        while (drawn.size() < n) {
            String layer = layers.get(rnd.nextInt(layers.size()));
            List<String> inst = instances.get(layer);
            String instance = inst.get(rnd.nextInt(inst.size()));
            // A lone socket instance is only frozen: its clients' calls have nowhere to go while
            // it restarts. With two or more, the API fails over (the client retries on the owner).
            int k = "socket".equals(layer) && inst.size() < 2 ? 2 : rnd.nextInt(inst.size() > 1 ? 4 : 3);
            if (k == 0) drawn.add(new Fault("SIGKILL", layer, instance, 0, 0));
            else if (k == 1) drawn.add(new Fault("SIGTERM", layer, instance, 0, 0));
            else if (k == 2) drawn.add(new Fault("freeze", layer, instance, 0, 2000 + rnd.nextInt(7) * 1000L));
            else {
                String other = inst.stream().filter(i -> !i.equals(instance)).toList().get(0);
                drawn.add(new Fault(REBALANCE_KILL, layer, instance, other, 0, 0, 0, 0));
            }
        }
        // Shuffle all but keep it seeded; the TCP holder's kill stays somewhere in the middle.
        java.util.Collections.shuffle(drawn, rnd);
        List<Fault> plan = new ArrayList<>();
        int slot = -1;
        for (Fault f : drawn) {
            boolean together = slot >= 0 && rnd.nextInt(6) == 0
                    && plan.stream().filter(p -> p.slot() == plan.get(plan.size() - 1).slot())
                            .noneMatch(p -> p.layer().equals(f.layer()));
            if (!together) slot++;
            plan.add(new Fault(f.kind(), f.layer(), f.instance(), f.other(), slot, 0, 0, f.freezeMillis()));
        }
        return plan;
    }

    /** Runs one fault to its end (the instance, or both, ready again). */
    static void inject(StackLauncher stack, Fault f) throws InterruptedException {
        if ("broker".equals(f.kind())) {
            stack.restartBroker(false);
            return;
        }
        StackLauncher.Service s = instance(stack, f.layer(), f.instance());
        switch (f.kind()) {
            case "SIGKILL" -> stack.restart(s);   // restart() kills the old process first
            case "SIGTERM" -> { stack.terminate(s); stack.restart(s); }
            case REBALANCE_KILL -> {
                stack.kill(s);
                Thread.sleep(REBALANCE_KILL_GAP_MILLIS);
                StackLauncher.Service t = instance(stack, f.layer(), f.other());
                stack.kill(t);
                stack.restart(s);
                stack.restart(t);
            }
            default -> {
                stack.signal(s, "STOP");
                Thread.sleep(f.freezeMillis());
                stack.signal(s, "CONT");
            }
        }
    }

    private static StackLauncher.Service instance(StackLauncher stack, String layer, String name) {
        return stack.instances(layer).stream().filter(x -> x.instance().equals(name)).findFirst().orElseThrow();
    }

    /** The instance whose last assignment took {@code partition} (its log says so). */
    public static StackLauncher.Service holder(StackLauncher stack, String layer, int partition) throws IOException {
        for (StackLauncher.Service s : stack.instances(layer)) {
            String last = null;
            for (String line : Files.readAllLines(s.log())) {
                Matcher m = TAKEN.matcher(line);
                if (m.find()) last = m.group(1);
            }
            if (last != null && Arrays.stream(last.split(",\\s*")).anyMatch(p -> p.equals(String.valueOf(partition)))) return s;
        }
        throw new IllegalStateException("no " + layer + " instance holds partition " + partition);
    }

    // ---- traffic ----

    private void udp(StackLauncher stack, int k, AtomicInteger sent, AtomicInteger echoed) {
        long periodNanos = 1_000_000_000L * UDP_SOCKETS / Math.max(o.rate(), 1);
        try (NetstackApi api = NetstackApi.connect(stack.socketApiAddress()); NetstackSocket s = api.udp("a")) {
            // Non-blocking reads: a receive timeout of a few ms expires in gRPC before the call
            // completes on a busy machine, and unread echoes then fill the socket's receive buffer.
            s.setNonBlocking(true);
            long next = System.nanoTime() + periodNanos * k / UDP_SOCKETS;
            int seq = 0;
            while (on && traffic) {
                long wait = next - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                next += periodNanos;
                try {
                    s.sendTo(("dgram " + k + " " + (seq++)).getBytes(StandardCharsets.US_ASCII), "10.0.0.2", 7);
                    sent.incrementAndGet();
                } catch (ErrnoException | RuntimeException e) {
                    continue; // a frozen socket service: the send times out, the next one is due
                }
                try {
                    while (true) { s.recvFrom(1500); echoed.incrementAndGet(); }
                } catch (ErrnoException | RuntimeException e) {
                    // nothing more to read now
                }
            }
        } catch (Exception e) {
            if (on) log.println("chaos: udp client " + k + ": " + e);
        }
    }

    /** One echo request a second from a's peer (10.0.0.2) as a wire frame; a's reply crosses the bridge to b. */
    private void pings(StackLauncher stack, AtomicLong sent) {
        try (StackClient c = stack.client()) {
            int seq = 0;
            while (on && traffic) {
                try {
                    c.publishFrame(new WireFrame("a", "eth0", echoRequest(++seq), Clock.now()));
                    sent.incrementAndGet();
                } catch (RuntimeException e) {
                    // broker restarting
                }
                Thread.sleep(1000);
            }
        } catch (Exception e) {
            if (on) log.println("chaos: pings: " + e);
        }
    }

    static byte[] echoRequest(int seq) {
        byte[] f = new byte[14 + 20 + 8 + 56];
        System.arraycopy(MAC_A, 0, f, 0, 6);
        System.arraycopy(MAC_B, 0, f, 6, 6);
        Bytes.put16(f, 12, 0x0800);
        f[14] = 0x45;
        Bytes.put16(f, 16, 20 + 8 + 56);
        Bytes.put16(f, 18, 0x3000 + (seq & 0xfff));
        f[22] = 64;
        f[23] = 1;
        byte[] src = {10, 0, 0, 2};
        byte[] dst = {10, 0, 0, 1};
        System.arraycopy(src, 0, f, 26, 4);
        System.arraycopy(dst, 0, f, 30, 4);
        Bytes.put16(f, 24, InetChecksum.compute(f, 14, 20));
        f[34] = 8;
        Bytes.put16(f, 38, 0x99);
        Bytes.put16(f, 40, seq & 0xffff);
        for (int i = 0; i < 56; i++) f[42 + i] = (byte) i;
        Bytes.put16(f, 36, InetChecksum.compute(f, 34, 8 + 56));
        return f;
    }

    private static NetstackSocket connect(NetstackApi api) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            NetstackSocket s = api.tcp("a");
            s.setTimeout(Duration.ofSeconds(30));
            try {
                s.connect("10.0.0.2", 7);
                s.setTimeout(Duration.ofSeconds(90));
                return s;
            } catch (ErrnoException e) {
                s.close();
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(500);
            }
        }
    }

    /** Sends and reads back {@code data}; null when it came back intact and in order, else what went wrong. */
    static String echo(NetstackSocket s, byte[] data) {
        try {
            s.sendAll(data);
            byte[] got = new byte[data.length];
            int n = 0;
            while (n < data.length) {
                byte[] part = s.recv(data.length - n);
                if (part.length == 0) return "EOF after " + n + " bytes";
                System.arraycopy(part, 0, got, n, part.length);
                n += part.length;
            }
            return Arrays.equals(got, data) ? null : "echo differs from what was sent";
        } catch (ErrnoException | RuntimeException e) {
            return e.toString();
        }
    }

    /** The cable, one reader for the whole run (a consumer rides out a broker restart); a failed send is retried. */
    private void bridge(StackLauncher stack) {
        try (StackClient out = stack.client(); StackClient.TopicReader tx = out.reader(KernelQueue.WIRE_TX_TOPIC)) {
            while (on) {
                for (ConsumerRecord<byte[], byte[]> r : tx.poll(Duration.ofMillis(20))) {
                    WireFrame f = SkbCodec.decodeFrame(r.value());
                    String peer = "a".equals(f.netns()) ? "b" : "b".equals(f.netns()) ? "a" : null;
                    if (peer == null || !"eth0".equals(f.dev())) continue;
                    for (int attempt = 0; ; attempt++) {
                        try {
                            out.publishFrame(new WireFrame(peer, "eth0", f.frame(), Clock.now()));
                            break;
                        } catch (RuntimeException e) {
                            if (!on || attempt > 20) throw e;
                            log.println("chaos: bridge: " + e + " (retrying)");
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            if (on) e.printStackTrace(log);
        }
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static Map<String, Integer> parseScale(String spec) {
        Map<String, Integer> m = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) return m;
        for (String part : spec.split(",")) {
            String[] kv = part.trim().split("=");
            if (kv.length != 2 || !LayerName.names().contains(kv[0].trim()))
                throw new IllegalArgumentException("--scale: layer=N[,layer=N], layers " + LayerName.names() + ", not " + part);
            m.put(kv[0].trim(), Integer.parseInt(kv[1].trim()));
        }
        return m;
    }

    /** "l3=2,l4=2" as a map (layers of LayerName.names()). */
    public static Map<String, Integer> scale(String spec) { return parseScale(spec); }
}
