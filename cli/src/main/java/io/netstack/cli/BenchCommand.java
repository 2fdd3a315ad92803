package io.netstack.cli;

import io.netstack.codec.SkbCodec;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.launcher.chaos.QueueLag;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerName;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import io.netstack.wire.Bytes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * `netstack bench`: the distributed pipeline against the transport ceiling, per delivery mode.
 *
 * <p>For each delivery mode: start a broker and the five services (StackLauncher), configure a
 * host with a UDP socket on port 5353, warm the JVMs up with traffic that is then ignored, push
 * N UDP datagrams (valid checksums, source ports varied so the flows spread over the backlog
 * partitions) as wire frames, and read the events: every datagram's fate, the end-to-end latency
 * (frame published to its Delivered event at the socket layer), the latency of each hop (between
 * consecutive events of one skb), a few single pings ({@value #PING_HOPS} hops: the request in,
 * the reply out, published to Transmitted), and each JVM's resident memory and CPU time in the
 * measured run. Then stop the five services and run the same N records through five bare relays
 * (service JVMs in relay mode, same client settings and delivery mode) over the same broker: the
 * transport ceiling ({@link BenchCeiling}); then single records one at a time through a chain of
 * as many relays as a ping has hops. Last, a summary of every mode.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the distributed pipeline (throughput, latency per hop, memory) against a bare relay chain.")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "-n", defaultValue = "20000", description = "datagrams measured (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--rate", defaultValue = "0",
            description = "datagrams per second offered; 0 = as fast as the producer goes (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--delivery", defaultValue = "exactly-once",
            description = "exactly-once, at-least-once or both (default: ${DEFAULT-VALUE})")
    String delivery;

    @Option(names = "--cpus", defaultValue = "4", description = "emulated CPUs = partitions per topic (default: ${DEFAULT-VALUE})")
    int cpus;

    @Option(names = "--warmup", defaultValue = "30", description = "seconds of warm-up traffic, discarded (default: ${DEFAULT-VALUE})")
    int warmupSeconds;

    @Option(names = "--warmup-rate", defaultValue = "1000", description = "datagrams per second during the warm-up (default: ${DEFAULT-VALUE})")
    int warmupRate;

    @Option(names = "--pings", defaultValue = "20", description = "single pings, one at a time; as many single records through the relay chain (default: ${DEFAULT-VALUE})")
    int pings;

    @Option(names = "--no-ceiling", description = "skip the relay chain (the ceiling and its single records)")
    boolean noCeiling;

    @Option(names = "--scaling", description = "instead: the pipeline with 1, 2, ... --max-instances instances of every layer, "
            + "N datagrams spread over one host per partition; throughput and records per instance")
    boolean scaling;

    @Option(names = "--max-instances", defaultValue = "3", description = "with --scaling: the most instances per layer (default: ${DEFAULT-VALUE})")
    int maxInstances;

    @Option(names = "--jvm-args", description = "JVM options of every service and relay besides -Xmx "
            + "(default: -Dnetstack.service.jvmArgs, else \"" + DEFAULT_JVM_ARGS + "\")")
    String jvmArgs;

    @Option(names = "--service-arg", description = "extra Spring argument for every service and relay (repeatable)")
    List<String> serviceArgs = new ArrayList<>();

    @Option(names = "--run-dir", paramLabel = "DIR", description = "logs and broker data (default: a new temporary directory)")
    Path runDir;

    @Option(names = "--timeout", defaultValue = "120", description = "seconds without progress before the wait for fates gives up (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** StackLauncher's default (serial GC, C1 only: quick start-up on two cores). */
    static final String DEFAULT_JVM_ARGS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k";
    /** The UDP socket of the bench host (the demo host.yaml binds it). */
    static final int UDP_PORT = 5353;
    /** Payload: 8 bytes of sequence number (measured: >= 0, warm-up: negative), then zeros. */
    static final int PAYLOAD = 32;
    static final String HOST = "bench";
    static final String WARM_HOST = "bench-warmup";
    static final int RELAYS = LayerName.names().size();
    /**
     * The Kafka hops of a ping as the bench times it (published -> the reply's Transmitted event,
     * taken when the nic takes the reply): wire.rx (nic), backlog (softirq), ptype.ip (l3),
     * inet-protos.icmp (l4), then ip-local-out (l3), dev-queue-xmit (softirq), hard-start-xmit
     * (nic). The eighth topic of a ping on a live wire, wire.tx, is after the Transmitted event.
     * The bench counts the layer visits of each ping and says so when they differ from this.
     */
    static final int PING_HOPS = 7;

    PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        List<String> modes = switch (delivery) {
            case "both" -> List.of("exactly-once", "at-least-once");
            case "exactly-once", "at-least-once" -> List.of(delivery);
            default -> null;
        };
        if (modes == null) {
            spec.commandLine().getErr().println("--delivery: exactly-once, at-least-once or both, not " + delivery);
            return 2;
        }
        if (n < 1) {
            spec.commandLine().getErr().println("-n must be at least 1");
            return 2;
        }
        Path base = runDir != null ? runDir : Files.createTempDirectory("netstack-bench-");
        out.printf("netstack bench: %d UDP datagrams (%d-byte payload) per run, offered %s, %d emulated CPUs, warm-up %d s at %d/s%n",
                n, PAYLOAD, rate > 0 ? rate + "/s" : "as fast as possible", cpus, warmupSeconds, warmupRate);
        out.printf("JVM options of services and relays: %s; logs in %s%n%n", jvmArgs(), base);
        out.flush();
        if (scaling) return scaling(modes.get(0), base) ? 0 : 1;
        boolean allDelivered = true;
        List<ModeResult> results = new ArrayList<>();
        for (String mode : modes) {
            ModeResult r = runMode(mode, base.resolve(mode));
            results.add(r);
            allDelivered &= r.lost == 0;
        }
        printSummary(results);
        return allDelivered ? 0 : 1;
    }

    /** One line per mode: throughput against the ceiling, the ping against the relay chain. */
    private void printSummary(List<ModeResult> results) {
        out.println("Summary (pipeline/ceiling: throughput ratio; ping/relay: p50 over " + PING_HOPS + " hops each)");
        out.printf("  %-14s %10s %10s %6s %10s %16s %10s %10s %10s%n", "mode", "pipeline/s", "ceiling/s", "ratio",
                "ping p50", "relay " + PING_HOPS + "-hop p50", "ping/relay", "e2e p50", "e2e p99");
        for (ModeResult r : results) {
            out.printf(Locale.ROOT, "  %-14s %10.0f %10s %6s %7.1f ms %13s ms %10s %7.0f ms %7.0f ms%n", r.mode, r.pipelineRate,
                    r.ceilingRate > 0 ? String.format(Locale.ROOT, "%.0f", r.ceilingRate) : "n/a",
                    r.ceilingRate > 0 ? String.format(Locale.ROOT, "%.2f", r.pipelineRate / r.ceilingRate) : "n/a",
                    r.ping.p50() / 1e6,
                    r.relayPing.count() > 0 ? String.format(Locale.ROOT, "%.1f", r.relayPing.p50() / 1e6) : "n/a",
                    r.relayPing.p50() > 0 && r.ping.count() > 0 ? String.format(Locale.ROOT, "%.2f", (double) r.ping.p50() / r.relayPing.p50()) : "n/a",
                    r.e2e.p50() / 1e6, r.e2e.p99() / 1e6);
        }
        out.flush();
    }

    String jvmArgs() {
        if (jvmArgs != null) return jvmArgs.trim();
        return System.getProperty("netstack.service.jvmArgs", DEFAULT_JVM_ARGS).trim();
    }

    List<String> jvmArgList() {
        String a = jvmArgs();
        return a.isEmpty() ? List.of() : List.of(a.split("\\s+"));
    }

    /** One delivery mode's figures; {@code relayPing}: single records through {@value #PING_HOPS} relays. */
    record ModeResult(String mode, double pipelineRate, double ceilingRate, BenchStats.Summary e2e,
                      BenchStats.Summary ping, BenchStats.Summary relayPing, long lost) {}

    // ---- one delivery mode ----

    private ModeResult runMode(String mode, Path dir) throws Exception {
        out.println("=== delivery " + mode + " ===");
        StackLauncher.Builder b = StackLauncher.builder().runDir(dir).delivery(mode).cpus(cpus).jvmArgs(jvmArgList());
        serviceArgs.forEach(b::serviceArg);
        try (StackLauncher stack = b.build().start(); StackClient client = stack.client()) {
            out.printf("stack up in %.1f s (broker pid %d)%n", stack.startupTime().toMillis() / 1e3, stack.broker().pid());
            String yaml = hostYaml();
            client.publishConfig(WARM_HOST, yaml);
            client.publishConfig(HOST, yaml);
            Recorder rec = new Recorder();
            try (PollLoop reader = PollLoop.start("bench-events", running -> readEvents(client, rec, running));
                 KafkaProducer<byte[], byte[]> feeder = feeder(stack.bootstrapServers())) {
                // 1. Warm-up: the JIT compiles the hot paths of all seven JVMs; the traffic is ignored.
                long warm = push(feeder, KernelQueue.WIRE_RX_TOPIC, WARM_HOST, -1, warmupSeconds, warmupRate, null);
                awaitCount(() -> rec.warmFates, warm, "warm-up fates");
                out.printf("warm-up: %d datagrams in %d s, all with a fate%n", warm, warmupSeconds);

                // 2. The measured run, with each process's CPU time over it.
                ProcessUsage.Window cpu = new ProcessUsage.Window();
                Map<String, Long> processes = new LinkedHashMap<>();
                for (StackLauncher.Service s : stack.services()) processes.put(s.instance(), s.pid());
                processes.put("broker", stack.broker().pid());
                processes.put("bench", ProcessHandle.current().pid());
                processes.forEach(cpu::watch);
                // The events are read once the stack has taken every record: decoding them while
                // it runs would take CPU from it (the relays' run reads only its last topic).
                eventsPaused = true;
                cpu.start();
                long[] published = new long[n];
                push(feeder, KernelQueue.WIRE_RX_TOPIC, HOST, n, 0, rate, published);
                awaitDrained(stack.bootstrapServers());
                cpu.end();
                eventsPaused = false;
                boolean settled = awaitCount(() -> rec.fates(), n, "fates of the measured datagrams");
                ModeResult partial = reportPipeline(rec, published, settled);

                // 3. Single pings, one at a time.
                BenchStats.Summary ping = pings(feeder, rec);

                // 4. Memory, and CPU time in the measured run.
                printUsage("resident memory (VmRSS / VmHWM peak), CPU time (utime+stime) in the measured run", cpu, processes);
                if (reader.failure() != null) out.println("the events reader stopped early: " + reader.failure());

                // 5. The transport ceiling, with the services stopped so they take no CPU; then
                //    single records through as many relays as a ping has hops.
                double ceilingRate = 0;
                BenchStats.Summary relayPing = BenchStats.Summary.EMPTY;
                if (!noCeiling) {
                    for (StackLauncher.Service s : stack.services()) s.process().stop(Duration.ofSeconds(10));
                    try (BenchCeiling ceiling = new BenchCeiling(this, stack, mode, dir)) {
                        ceilingRate = ceiling.throughput(RELAYS, feeder, partial.pipelineRate, partial.e2e);
                        relayPing = ceiling.singleRecords(PING_HOPS, pings, feeder);
                    }
                    if (ping.count() > 0 && relayPing.p50() > 0) {
                        out.printf(Locale.ROOT, "ping / relay p50 = %.2f (%d hops each)%n", (double) ping.p50() / relayPing.p50(), PING_HOPS);
                    }
                }
                out.println();
                out.flush();
                return new ModeResult(mode, partial.pipelineRate, ceilingRate, partial.e2e, ping, relayPing, partial.lost);
            }
        }
    }

    /** The demo host, with a receive buffer that holds every datagram of a run (nothing reads the socket). */
    static String hostYaml() throws IOException {
        try (InputStream in = BenchCommand.class.getResourceAsStream("/demo/host.yaml")) {
            if (in == null) throw new IOException("demo/host.yaml is missing from the jar");
            String yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // sk_rcvbuf = rmem_default: 1 GiB - 1 (768 bytes truesize each: 1.4 M datagrams) so the
            // bench measures the path, not a full receive queue that no application empties.
            String big = yaml.replace("net.core.rmem_default: 212992", "net.core.rmem_default: 1073741823");
            if (big.equals(yaml)) throw new IllegalStateException("demo host.yaml has no net.core.rmem_default");
            // The burst sits in the backlog (the softirq group's lag) far beyond Linux's 1000
            // (CPU_BACKLOG drops): the bench measures throughput, not netif_rx's bound.
            return big.replace("sysctl:\n", "sysctl:\n  net.core.netdev_max_backlog: 1000000000\n");
        }
    }

    static KafkaProducer<byte[], byte[]> feeder(String bootstrap) {
        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.ACKS_CONFIG, "all");
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        pc.put(ProducerConfig.CLIENT_ID_CONFIG, "netstack-bench");
        return new KafkaProducer<>(pc);
    }

    /** A UDP datagram from 192.0.2.1:sport to the host's socket; sequence number in the payload's first 8 bytes. */
    static byte[] datagram(long seq) {
        byte[] payload = new byte[PAYLOAD];
        for (int i = 0; i < 8; i++) payload[i] = (byte) (seq >>> (56 - 8 * i));
        int sport = 10_000 + (int) Math.floorMod(seq, 4096L); // 4096 flows: RSS spreads them over the CPUs
        return DemoTraffic.udp(sport, UDP_PORT, payload);
    }

    /** The sequence number of a datagram frame (Ethernet + 20-byte IP + 8-byte UDP header). */
    static long seqOfFrame(byte[] frame) {
        return seqOfPayload(Arrays.copyOfRange(frame, 42, 50));
    }

    static long seqOfPayload(byte[] payload) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (payload[i] & 0xff);
        return v;
    }

    /**
     * Publishes datagrams: {@code count} of them (seq 0..count-1) or, when count is negative, for
     * {@code seconds} (seq -1, -2, ...); paced at {@code perSecond} when > 0. Records each
     * publish time in {@code published}. Returns how many were sent.
     */
    long push(KafkaProducer<byte[], byte[]> feeder, String topic, String netns, long count, int seconds,
              int perSecond, long[] published) {
        return push(feeder, topic, List.of(netns), count, seconds, perSecond, published);
    }

    /** As above, the datagrams dealt round-robin over {@code hosts}. */
    private long push(KafkaProducer<byte[], byte[]> feeder, String topic, List<String> hosts, long count, int seconds,
                      int perSecond, long[] published) {
        byte[][] keys = new byte[hosts.size()][];
        for (int i = 0; i < keys.length; i++) keys[i] = (hosts.get(i) + "/eth0").getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        long sent = 0;
        while (count >= 0 ? sent < count : System.nanoTime() < end) {
            if (perSecond > 0) {
                long due = start + sent * 1_000_000_000L / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) LockSupport.parkNanos(wait); // pacing the load generator, not the stack
            }
            long seq = count >= 0 ? sent : -1 - sent;
            long now = Clock.nowNanos();
            int h = (int) (sent % hosts.size());
            byte[] value = SkbCodec.encode(new WireFrame(hosts.get(h), "eth0", datagram(seq), now));
            if (published != null) published[(int) seq] = now;
            feeder.send(new ProducerRecord<>(topic, null, keys[h], value));
            sent++;
        }
        feeder.flush();
        return sent;
    }

    /** Waits until {@code have} reaches {@code want}, giving up after --timeout seconds without progress. */
    boolean awaitCount(java.util.function.LongSupplier have, long want, String what) throws InterruptedException {
        long last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            long h = have.getAsLong();
            if (h >= want) return true;
            if (h != last) {
                last = h;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(timeoutSeconds)) {
                out.printf("gave up waiting for %s: %d of %d after %d s without progress%n", what, h, want, timeoutSeconds);
                return false;
            }
            Thread.sleep(50); // the bench's own polling loop, not the stack's
        }
    }

    // ---- events ----

    /** What the events say, per host: fates of warm-up skbs, and each measured skb's events. */
    static final class Recorder {
        volatile long warmFates;
        final Map<Long, List<SkbEvent>> eventsBySkb = new HashMap<>();
        final Map<Long, Long> deliveredAt = new HashMap<>();   // seq -> Delivered event time
        final Map<Long, Long> skbOfSeq = new HashMap<>();
        final Map<String, Long> otherFates = new TreeMap<>();
        final Map<Long, Long> pingReplies = new HashMap<>();   // icmp seq -> Transmitted event time
        /** Layer visits (instance, time) of the host's events once {@link #trackVisits} was called: the pings'. */
        private final java.util.Set<Map.Entry<String, Long>> visits = new java.util.HashSet<>();
        private boolean trackVisits;
        long enteredCount;
        long fateCount;

        synchronized void trackVisits() { trackVisits = true; }

        /** Layer visits with a time in (from, to]: while one ping alone is in flight, the hops it took. */
        synchronized int visitsBetween(long from, long to) {
            int c = 0;
            for (Map.Entry<String, Long> v : visits) if (v.getValue() > from && v.getValue() <= to) c++;
            return c;
        }

        synchronized void add(SkbEvent e) {
            if (WARM_HOST.equals(e.netns())) {
                if (e.fate() != null) warmFates++;
                return;
            }
            if (!HOST.equals(e.netns())) return;
            if (trackVisits) visits.add(Map.entry(e.instance(), e.timeNanos()));
            if (e.fate() instanceof Fate.Transmitted t && isEchoReply(t.frame())) {
                pingReplies.put((long) Bytes.u16(t.frame(), 40), e.timeNanos());
                return;
            }
            if (e.skbId() == 0) return;
            eventsBySkb.computeIfAbsent(e.skbId(), k -> new ArrayList<>()).add(e);
            if (e.entered()) enteredCount++;
            if (e.fate() == null) return;
            fateCount++;
            if (e.fate() instanceof Fate.Delivered d && d.payload().length >= 8) {
                long seq = seqOfPayload(d.payload());
                deliveredAt.put(seq, e.timeNanos());
                skbOfSeq.put(seq, e.skbId());
            } else {
                otherFates.merge(describe(e.fate()), 1L, Long::sum);
            }
        }

        /** Fates of the measured host's skbs (read before the pings are sent). */
        synchronized long fates() { return fateCount; }

        static boolean isEchoReply(byte[] f) {
            return f.length >= 42 && Bytes.u16(f, 12) == 0x0800 && (f[23] & 0xff) == 1 && (f[34] & 0xff) == 0;
        }

        static String describe(Fate f) {
            if (f instanceof Fate.Dropped d) return "DROPPED " + d.reason().name();
            if (f instanceof Fate.Transmitted t) return "TRANSMITTED " + t.function();
            if (f instanceof Fate.Consumed c) return "CONSUMED " + c.function();
            return "DELIVERED " + f.function();
        }
    }

    /** While the measured run is in the stack, the events reader waits (see {@link #awaitDrained}). */
    private volatile boolean eventsPaused;

    /**
     * Waits until every layer's group has taken every record of its input queues (no consumer lag
     * on any input partition beyond a commit marker, twice in a row): the measured datagrams have
     * gone through.
     */
    private void awaitDrained(String bootstrap) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long lastChange = System.nanoTime();
            long last = -1;
            int zeros = 0;
            while (zeros < 2) {
                long lag = 0;
                for (LayerName l : LayerName.values()) {
                    long g = QueueLag.lagOf(admin, l.id(), true, 1);
                    lag += g < 0 ? 1 : g;
                }
                zeros = lag == 0 ? zeros + 1 : 0;
                if (lag != last) {
                    last = lag;
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(timeoutSeconds)) {
                    out.printf("the stack did not drain: %d records waiting after %d s without progress%n", lag, timeoutSeconds);
                    return;
                }
                Thread.sleep(200); // the bench's own polling loop, not the stack's (each look is 15 broker requests)
            }
        }
    }

    private void readEvents(StackClient client, Recorder rec, java.util.function.BooleanSupplier running)
            throws InterruptedException {
        try (StackClient.EventReader events = client.events()) {
            while (running.getAsBoolean()) {
                if (eventsPaused) {
                    Thread.sleep(20);
                    continue;
                }
                for (SkbEvent e : events.poll(Duration.ofMillis(100))) rec.add(e);
            }
            if (events.undecodable() > 0) {
                out.printf("events: %d records skipped that did not decode (last: %s)%n", events.undecodable(), events.lastUndecodable());
            }
        }
    }

    private ModeResult reportPipeline(Recorder rec, long[] published, boolean settled) {
        List<Long> e2e = new ArrayList<>();
        List<List<SkbEvent>> measured = new ArrayList<>();
        long lastDelivered = Long.MIN_VALUE;
        long lost;
        Map<String, Long> other;
        synchronized (rec) {
            for (Map.Entry<Long, Long> d : rec.deliveredAt.entrySet()) {
                int seq = (int) (long) d.getKey();
                if (seq < 0 || seq >= n) continue;
                e2e.add(d.getValue() - published[seq]);
                lastDelivered = Math.max(lastDelivered, d.getValue());
                measured.add(rec.eventsBySkb.get(rec.skbOfSeq.get(d.getKey())));
            }
            lost = n - e2e.size();
            other = new TreeMap<>(rec.otherFates);
        }
        double pps = BenchStats.perSecond(e2e.size(), lastDelivered - published[0]);
        double offered = BenchStats.perSecond(n, published[n - 1] - published[0]);
        BenchStats.Summary s = BenchStats.summarize(e2e);
        out.printf(Locale.ROOT, "pipeline: %d of %d datagrams delivered to udp 0.0.0.0:%d; lost %d%s%n", e2e.size(), n, UDP_PORT,
                lost, settled ? "" : " (gave up waiting)");
        if (!other.isEmpty()) out.println("  other fates: " + other);
        out.printf(Locale.ROOT, "  throughput %.0f datagrams/s delivered (offered %.0f/s)%n", pps, offered);
        out.println("  end to end (published -> Delivered at the socket layer): " + s.format());
        out.println("  per hop (consecutive events of one skb):");
        Map<String, List<Long>> hops = BenchStats.hopLatencies(measured);
        List<Long> wireToNic = new ArrayList<>();
        synchronized (rec) {
            for (Map.Entry<Long, Long> d : rec.skbOfSeq.entrySet()) {
                List<SkbEvent> ev = rec.eventsBySkb.get(d.getValue());
                int seq = (int) (long) d.getKey();
                if (seq < 0 || seq >= n) continue;
                long first = ev.stream().mapToLong(SkbEvent::timeNanos).min().orElse(published[seq]);
                wireToNic.add(first - published[seq]);
            }
        }
        Map<String, List<Long>> all = new LinkedHashMap<>();
        all.put("wire->nic", wireToNic);
        all.putAll(hops);
        all.forEach((hop, v) -> out.printf("    %-14s %s%n", hop, BenchStats.summarize(v).format()));
        out.flush();
        return new ModeResult("", pps, 0, s, BenchStats.Summary.EMPTY, BenchStats.Summary.EMPTY, lost);
    }

    private BenchStats.Summary pings(KafkaProducer<byte[], byte[]> feeder, Recorder rec) throws Exception {
        byte[] key = (HOST + "/eth0").getBytes(StandardCharsets.UTF_8);
        List<Long> rtts = new ArrayList<>();
        Map<Integer, Integer> hops = new TreeMap<>();   // layer visits of a ping -> pings
        rec.trackVisits();
        for (int i = 1; i <= pings; i++) {
            byte[] frame = DemoTraffic.echoRequest(DemoTraffic.HOST_MAC, DemoTraffic.HOST_IP, i);
            long t0 = Clock.nowNanos();
            feeder.send(new ProducerRecord<>(KernelQueue.WIRE_RX_TOPIC, null, key,
                    SkbCodec.encode(new WireFrame(HOST, "eth0", frame, t0)))).get(30, TimeUnit.SECONDS);
            long seq = i;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Long at = null;
            while (at == null && System.nanoTime() < deadline) {
                synchronized (rec) {
                    at = rec.pingReplies.get(seq);
                }
                if (at == null) Thread.sleep(2);
            }
            if (at != null) {
                rtts.add(at - t0);
                // Events of a visit may still be on their way (other partitions): a moment for them.
                Thread.sleep(20);
                hops.merge(rec.visitsBetween(t0, at), 1, Integer::sum);
            }
        }
        BenchStats.Summary s = BenchStats.summarize(rtts);
        out.printf("ping (echo request in, reply out: %d hops), one at a time: %s%n", PING_HOPS, s.format());
        if (rtts.size() < pings) out.printf("  %d of %d pings got no reply within 30 s%n", pings - rtts.size(), pings);
        if (!hops.isEmpty() && !hops.keySet().equals(java.util.Set.of(PING_HOPS))) {
            out.println("  note: layer visits per ping (visits=pings) " + hops + ", not " + PING_HOPS + " as the relay chain assumes");
        }
        return s;
    }

    /** A title with the window's length, then per process: pid, resident memory, CPU time in the window. */
    void printUsage(String title, ProcessUsage.Window cpu, Map<String, Long> processes) {
        out.printf(Locale.ROOT, "%s (%.1f s, %d ticks/s):%n", title, cpu.seconds(), ProcessUsage.CLK_TCK);
        processes.forEach((name, pid) -> out.printf("    %-12s pid %-8d %-30s %s%n", name, pid, ProcessUsage.memory(pid), cpu.cpu(name)));
        out.printf(Locale.ROOT, "    %-12s %.2f s of CPU in %.1f s on %d cores%n", "together", cpu.cpuSeconds(processes.keySet()), cpu.seconds(),
                Runtime.getRuntime().availableProcessors());
        out.flush();
    }

    // ---- scaling ----

    /** One scale's result: instances per layer, datagrams delivered, throughput, e2e p50, events per instance. */
    record ScaleResult(int instances, long delivered, double rate, BenchStats.Summary e2e, Map<String, Long> perInstance) {}

    /**
     * The pipeline with k = 1 .. --max-instances instances of every layer: the same N datagrams,
     * dealt over one host per partition (l3, l4 and socket partition by host: one busy host runs
     * on one instance whatever the scale), after the same warm-up. Prints throughput, end-to-end
     * p50 and the events each instance wrote during the measured run (the spread of the work).
     */
    private boolean scaling(String mode, Path base) throws Exception {
        List<String> hosts = new ArrayList<>();
        java.util.Set<Integer> parts = new java.util.HashSet<>();
        for (int i = 0; hosts.size() < cpus && i < 1000; i++) {
            String h = HOST + "-" + i;
            if (parts.add(Math.floorMod(h.hashCode(), cpus))) hosts.add(h); // Topics.hostPartition
        }
        out.printf("scaling (%s): hosts %s, one per partition%n%n", mode, hosts);
        List<ScaleResult> results = new ArrayList<>();
        boolean ok = true;
        for (int k = 1; k <= maxInstances; k++) {
            ScaleResult r = scaleRun(mode, k, hosts, base.resolve("scale-" + k));
            results.add(r);
            ok &= r.delivered == n;
        }
        out.println("Summary (" + mode + ", " + n + " datagrams)");
        out.println("  instances/layer  delivered  throughput/s  e2e p50");
        for (ScaleResult r : results) {
            out.printf(Locale.ROOT, "  %15d %10d %13.0f %7.1f ms%n", r.instances, r.delivered, r.rate, r.e2e.p50() / 1e6);
        }
        out.flush();
        return ok;
    }

    private ScaleResult scaleRun(String mode, int k, List<String> hosts, Path dir) throws Exception {
        out.printf("=== %d instance%s of every layer ===%n", k, k == 1 ? "" : "s");
        Map<String, Integer> scale = new LinkedHashMap<>();
        for (String l : LayerName.names()) scale.put(l, k);
        StackLauncher.Builder b = StackLauncher.builder().runDir(dir).delivery(mode).cpus(cpus).jvmArgs(jvmArgList()).scale(scale);
        serviceArgs.forEach(b::serviceArg);
        try (StackLauncher stack = b.build().start(); StackClient client = stack.client()) {
            out.printf("stack up in %.1f s (%d JVMs and the broker)%n", stack.startupTime().toMillis() / 1e3, stack.services().size());
            String yaml = hostYaml();
            for (String h : hosts) client.publishConfig(h, yaml);
            ScaleRecorder rec = new ScaleRecorder(hosts);
            try (PollLoop reader = PollLoop.start("bench-scale-events", running -> {
                     try (StackClient.EventReader events = client.events()) {
                         while (running.getAsBoolean()) for (SkbEvent e : events.poll(Duration.ofMillis(100))) rec.add(e);
                     }
                 });
                 KafkaProducer<byte[], byte[]> feeder = feeder(stack.bootstrapServers())) {
                long warm = push(feeder, KernelQueue.WIRE_RX_TOPIC, hosts, -1, warmupSeconds, warmupRate, null);
                awaitCount(rec::fates, warm, "warm-up fates");
                rec.measure();
                long[] published = new long[n];
                push(feeder, KernelQueue.WIRE_RX_TOPIC, hosts, n, 0, rate, published);
                awaitCount(rec::fates, n, "fates of the measured datagrams");
                List<Long> e2e = new ArrayList<>();
                long last = Long.MIN_VALUE;
                Map<String, Long> per;
                synchronized (rec) {
                    for (Map.Entry<Long, Long> d : rec.deliveredAt.entrySet()) {
                        long seq = d.getKey();
                        if (seq < 0 || seq >= n) continue;
                        e2e.add(d.getValue() - published[(int) seq]);
                        last = Math.max(last, d.getValue());
                    }
                    per = new TreeMap<>(rec.perInstance);
                }
                double pps = BenchStats.perSecond(e2e.size(), last - published[0]);
                BenchStats.Summary s = BenchStats.summarize(e2e);
                out.printf(Locale.ROOT, "delivered %d of %d; throughput %.0f datagrams/s; end to end %s%n", e2e.size(), n, pps, s.format());
                out.println("events written per instance during the measured run:");
                for (String l : LayerName.names()) {
                    StringBuilder line = new StringBuilder();
                    per.forEach((inst, c) -> { if (inst.startsWith(l + "-")) line.append(String.format("  %s %d", inst, c)); });
                    out.printf("  %-8s%s%n", l, line);
                }
                out.println();
                out.flush();
                return new ScaleResult(k, e2e.size(), pps, s, per);
            }
        }
    }

    /** Fates of the hosts' skbs (warm-up, then measured), delivery times by sequence number, events per instance. */
    static final class ScaleRecorder {
        private final java.util.Set<String> hosts;
        private boolean measuring;
        private long fates;
        final Map<Long, Long> deliveredAt = new HashMap<>();
        final Map<String, Long> perInstance = new HashMap<>();

        ScaleRecorder(List<String> hosts) { this.hosts = java.util.Set.copyOf(hosts); }

        synchronized void measure() {
            measuring = true;
            fates = 0;
        }

        synchronized long fates() { return fates; }

        synchronized void add(SkbEvent e) {
            if (!hosts.contains(e.netns()) || e.skbId() == 0) return;
            if (measuring) perInstance.merge(e.instance(), 1L, Long::sum);
            if (e.fate() == null) return;
            fates++;
            if (measuring && e.fate() instanceof Fate.Delivered d && d.payload().length >= 8) {
                deliveredAt.put(seqOfPayload(d.payload()), e.timeNanos());
            }
        }
    }

    /** Epoch nanoseconds with nanoTime's resolution, as the services' WallClock (service-common). */
    static final class Clock {
        private static final long BASE_EPOCH;
        private static final long BASE_NANO;

        static {
            Instant now = Instant.now();
            BASE_NANO = System.nanoTime();
            BASE_EPOCH = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        private Clock() {}

        static long nowNanos() { return BASE_EPOCH + (System.nanoTime() - BASE_NANO); }
    }
}
