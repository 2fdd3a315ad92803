package io.netstack.cli;

import io.netstack.broker.ChildProcess;
import io.netstack.broker.FreePorts;
import io.netstack.broker.RepoRoot;
import io.netstack.codec.SkbCodec;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.stack.WireFrame;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The transport ceiling of `netstack bench`: bare relay JVMs (the nic-service jar with
 * {@code --netstack.relay.from/to}: service-common's RelayRuntime, the layers' client settings
 * and delivery mode, no logic) in a chain over the bench's broker, relay k from
 * {@code bench.relay.<k-1>} to {@code bench.relay.<k>}.
 *
 * <p>{@link #throughput}: as many relays as the pipeline has layers, the bench's warm-up and N
 * records. {@link #singleRecords}: relays added to the end of the chain up to the ping's hop
 * count, warmed by relaying what the chain already carried, then records one at a time, as the
 * pipeline's pings go.
 */
final class BenchCeiling implements AutoCloseable {

    static final String PREFIX = "bench.relay.";
    /** Sequence numbers of the single records: past the measured ones (0..n-1), warm-up is negative. */
    private static final long SINGLE_BASE = 1L << 40;

    private final BenchCommand bench;
    private final StackLauncher stack;
    private final String mode;
    private final Path dir;
    private final List<ChildProcess> relays = new ArrayList<>();
    /** Records the throughput run put through the chain (warm-up and measured): the added relays relay them too. */
    private long carried;

    BenchCeiling(BenchCommand bench, StackLauncher stack, String mode, Path dir) {
        this.bench = bench;
        this.stack = stack;
        this.mode = mode;
        this.dir = dir;
    }

    /** What reached the end of the chain: warm-up records counted, the others' times by sequence number. */
    static final class Arrivals {
        long warm;
        final Map<Long, Long> at = new HashMap<>();

        synchronized long warm() { return warm; }

        synchronized long count() { return warm + at.size(); }

        synchronized Long at(long seq) { return at.get(seq); }
    }

    /** Relays first..last, started together; returns once each has its partitions. */
    private List<ChildProcess> startRelays(int first, int last) {
        Path jar = RepoRoot.find().resolve("nic-service/target/nic-service.jar");
        List<ChildProcess> started = new ArrayList<>();
        for (int k = first; k <= last; k++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(ChildProcess.javaExecutable());
            cmd.add("-Xmx256m");
            cmd.addAll(bench.jvmArgList());
            cmd.add("-jar");
            cmd.add(jar.toString());
            cmd.add("--spring.kafka.bootstrap-servers=" + stack.bootstrapServers());
            cmd.add("--server.port=" + FreePorts.next());
            cmd.add("--netstack.instance=relay-" + k);
            cmd.add("--netstack.delivery=" + mode);
            cmd.add("--netstack.cpus=" + bench.cpus);
            cmd.add("--netstack.parent-pid=" + ProcessHandle.current().pid());
            cmd.add("--netstack.relay.from=" + PREFIX + (k - 1));
            cmd.add("--netstack.relay.to=" + PREFIX + k);
            cmd.addAll(bench.serviceArgs);
            ChildProcess p = ChildProcess.start("relay-" + k, cmd, dir, dir.resolve("relay-" + k + ".log"));
            started.add(p);
            relays.add(p);
        }
        for (ChildProcess r : started) r.awaitLine(l -> l.contains("netstack relay ready on port"), Duration.ofSeconds(120));
        return started;
    }

    /** Reads {@code bench.relay.<k>}: each record's arrival, the time the last relay took it (its header). */
    private PollLoop reader(int k, Arrivals arrivals) {
        return PollLoop.start("bench-relay-" + k, running -> {
            try (StackClient client = stack.client(); StackClient.TopicReader r = client.reader(PREFIX + k)) {
                while (running.getAsBoolean()) {
                    for (ConsumerRecord<byte[], byte[]> rec : r.poll(Duration.ofMillis(100))) {
                        long seq = BenchCommand.seqOfFrame(SkbCodec.decodeFrame(rec.value()).frame());
                        Header h = rec.headers().lastHeader("netstack-relay-received-ns");
                        long at = h == null ? BenchCommand.Clock.nowNanos() : BenchCommand.seqOfPayload(h.value());
                        synchronized (arrivals) {
                            if (seq < 0) arrivals.warm++;
                            else arrivals.at.put(seq, at);
                        }
                    }
                }
            }
        });
    }

    /** The ceiling's throughput and latency over {@code relays} relays; prints them with each relay's memory and CPU time. */
    double throughput(int count, KafkaProducer<byte[], byte[]> feeder, double pipelineRate, BenchStats.Summary pipelineE2e)
            throws Exception {
        int n = bench.n;
        PrintWriterOut out = new PrintWriterOut(bench);
        startRelays(1, count);
        out.printf("ceiling: %d relay JVMs up (%s -> ... -> %s%d)%n", count, PREFIX + 0, PREFIX, count);
        Arrivals arrivals = new Arrivals();
        try (PollLoop reader = reader(count, arrivals)) {
            long w = bench.push(feeder, PREFIX + 0, BenchCommand.WARM_HOST, -1, bench.warmupSeconds, bench.warmupRate, null);
            bench.awaitCount(arrivals::warm, w, "warm-up records through the relays");
            ProcessUsage.Window cpu = window().start();
            long[] published = new long[n];
            bench.push(feeder, PREFIX + 0, BenchCommand.HOST, n, 0, bench.rate, published);
            boolean done = bench.awaitCount(() -> arrivals.count() - arrivals.warm(), n, "records through the relays");
            cpu.end();
            carried = arrivals.count();
            List<Long> lat = new ArrayList<>();
            long last = Long.MIN_VALUE;
            synchronized (arrivals) {
                for (Map.Entry<Long, Long> e : arrivals.at.entrySet()) {
                    lat.add(e.getValue() - published[(int) (long) e.getKey()]);
                    last = Math.max(last, e.getValue());
                }
            }
            double pps = BenchStats.perSecond(lat.size(), last - published[0]);
            BenchStats.Summary s = BenchStats.summarize(lat);
            out.printf("ceiling: %d of %d records through %d relays%s%n", lat.size(), n, count, done ? "" : " (gave up waiting)");
            out.printf("  throughput %.0f records/s; pipeline/ceiling = %.2f%n", pps, pps > 0 ? pipelineRate / pps : 0);
            out.println("  latency (published -> taken by the last relay): " + s.format());
            out.printf("  pipeline/ceiling latency p50 %.2f, p99 %.2f%n",
                    s.p50() > 0 ? (double) pipelineE2e.p50() / s.p50() : 0, s.p99() > 0 ? (double) pipelineE2e.p99() / s.p99() : 0);
            Map<String, Long> ps = processes(relays);
            ps.put("broker", stack.broker().pid());
            ps.put("bench", ProcessHandle.current().pid());
            bench.printUsage("  resident memory (VmRSS / VmHWM), CPU time (utime+stime) in the measured run", cpu, ps);
            return pps;
        }
    }

    /**
     * Single records, one at a time, through a chain of {@code hops} relays, as the pings go through
     * the pipeline (published -> taken by the last relay, as a ping is published -> its reply taken
     * by the nic). Adds relays after the throughput run's, warmed by relaying the records that run
     * carried (as many as the first relays relayed) before the first single record.
     */
    BenchStats.Summary singleRecords(int hops, int count, KafkaProducer<byte[], byte[]> feeder) throws Exception {
        PrintWriterOut out = new PrintWriterOut(bench);
        int have = relays.size();
        List<ChildProcess> added = hops > have ? startRelays(have + 1, hops) : List.of();
        Arrivals arrivals = new Arrivals();
        try (PollLoop reader = reader(hops, arrivals)) {
            if (!added.isEmpty()) {
                out.printf("relay chain single record: %d more relays (%s%d -> ... -> %s%d), warmed by the %d records the chain carried%n",
                        added.size(), PREFIX, have, PREFIX, hops, carried);
                bench.awaitCount(arrivals::count, carried, "the added relays to relay what the chain carried");
            }
            ProcessUsage.Window cpu = window().start();
            byte[] key = (BenchCommand.HOST + "/eth0").getBytes(StandardCharsets.UTF_8);
            List<Long> rtts = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                long seq = SINGLE_BASE + i;
                long t0 = BenchCommand.Clock.nowNanos();
                feeder.send(new ProducerRecord<>(PREFIX + 0, null, key,
                        SkbCodec.encode(new WireFrame(BenchCommand.HOST, "eth0", BenchCommand.datagram(seq), t0))))
                        .get(30, TimeUnit.SECONDS);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                Long at = arrivals.at(seq);
                while (at == null && System.nanoTime() < deadline) {
                    Thread.sleep(2); // the bench's own wait, as for the pings
                    at = arrivals.at(seq);
                }
                if (at != null) rtts.add(at - t0);
            }
            cpu.end();
            if (rtts.size() < count) out.printf("  %d of %d single records did not come through within 30 s%n", count - rtts.size(), count);
            BenchStats.Summary s = BenchStats.summarize(rtts);
            out.printf("relay chain single record, %d hops, one at a time: %s%n", hops, s.format());
            if (!added.isEmpty()) {
                bench.printUsage("  the added relays: resident memory, CPU time during the single records", cpu, processes(added));
            }
            return s;
        }
    }

    /** The relays given, by name. */
    private static Map<String, Long> processes(List<ChildProcess> ps) {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (ChildProcess p : ps) m.put(p.name(), p.pid());
        return m;
    }

    /** A CPU window over every relay, the broker and the bench. */
    private ProcessUsage.Window window() {
        ProcessUsage.Window w = new ProcessUsage.Window();
        for (ChildProcess r : relays) w.watch(r.name(), r.pid());
        w.watch("broker", stack.broker().pid());
        w.watch("bench", ProcessHandle.current().pid());
        return w;
    }

    @Override
    public void close() {
        for (ChildProcess r : relays) r.stop(Duration.ofSeconds(10));
    }

    /** printf with Locale.ROOT to the bench's output, flushed per line. */
    private record PrintWriterOut(BenchCommand bench) {
        void printf(String format, Object... args) {
            bench.out.printf(Locale.ROOT, format, args);
            bench.out.flush();
        }

        void println(String s) {
            bench.out.println(s);
            bench.out.flush();
        }
    }
}
