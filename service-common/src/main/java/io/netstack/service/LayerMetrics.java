package io.netstack.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The service's meters, per layer and queue, registered at start-up so every series exists at zero:
 * netstack_skb_in_total{queue} (input queue), netstack_skb_out_total{queue} (output queue),
 * netstack_skb_dropped_total{queue,reason} (input queue of the visit that dropped it),
 * netstack_skb_dead_lettered_total{queue}, netstack_hop_latency_seconds{queue} (previous hop to now),
 * netstack_e2e_latency_seconds{fate} (the skb's entry into the stack, or its parent's, to its fate here),
 * netstack_rebalances_total (partition assignments this instance received),
 * netstack_instance_start_time_seconds{member} (1 series per live instance; a restart changes it).
 * Every meter carries the tag layer. Queue depth: {@link QueueDepth}.
 */
public final class LayerMetrics {

    private final MeterRegistry registry;
    private final String layer;
    private final Map<String, Counter> in = new ConcurrentHashMap<>();
    private final Map<String, Counter> out = new ConcurrentHashMap<>();
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLettered = new ConcurrentHashMap<>();
    private final Map<String, Timer> hop = new ConcurrentHashMap<>();
    private final Map<String, Timer> e2e = new ConcurrentHashMap<>();
    private final Counter rebalances;

    /** The fates an skb can have, as e2e latency tags. */
    public static final List<String> FATES = List.of("delivered", "transmitted", "consumed", "dropped");

    public LayerMetrics(MeterRegistry registry, String layer, List<String> inputTopics) {
        this.registry = registry;
        this.layer = layer;
        for (String topic : inputTopics) {
            String q = Topics.tag(topic);
            in(q);
            deadLettered(q);
            hop(q);
            for (SkbDropReason r : SkbDropReason.values()) {
                if (r != SkbDropReason.NOT_DROPPED_YET) dropped(q, r.name());   // no skb is dropped for no reason
            }
        }
        dropped("timer", SkbDropReason.NOT_SPECIFIED.name());
        for (KernelQueue q : KernelQueue.values()) out(Topics.tag(q.topic()));
        for (String f : FATES) e2e(f);
        rebalances = Counter.builder("netstack.rebalances").description("partition assignments this instance received")
                .tag("layer", layer).register(registry);
    }

    /** The instance's identity and start time: the series count is the instances up, a change of value a restart. */
    public void instance(String member) {
        double start = ProcessHandle.current().info().startInstant()
                .map(i -> i.toEpochMilli() / 1000.0).orElse(System.currentTimeMillis() / 1000.0);
        io.micrometer.core.instrument.Gauge.builder("netstack.instance.start.time", () -> start)
                .description("when this instance's process started (epoch seconds)").baseUnit("seconds")
                .tag("layer", layer).tag("member", member).register(registry);
    }

    public void rebalanced() { rebalances.increment(); }

    private volatile io.micrometer.core.instrument.DistributionSummary stateBytes;
    private volatile Timer stateRestore;

    /** A host snapshot written to the layer's changelog (its size). */
    public void stateWritten(int bytes) {
        if (stateBytes == null) {
            stateBytes = io.micrometer.core.instrument.DistributionSummary.builder("netstack.state.snapshot")
                    .description("host snapshots written to the state changelog").baseUnit("bytes")
                    .tag("layer", layer).register(registry);
        }
        stateBytes.record(bytes);
    }

    /** Partitions taken: the time their hosts' snapshots took to read and restore. */
    public void stateRestored(long millis) {
        if (stateRestore == null) {
            stateRestore = Timer.builder("netstack.state.restore").description("reading and restoring host snapshots on assignment")
                    .tag("layer", layer).register(registry);
        }
        stateRestore.record(java.time.Duration.ofMillis(millis));
    }

    /** From an skb's entry into the stack (a frame off the wire, a socket's send) to its fate in this layer. */
    public void endToEnd(String fate, long nanos) {
        if (nanos >= 0) e2e(fate).record(nanos, TimeUnit.NANOSECONDS);
    }

    public String layer() { return layer; }

    public MeterRegistry registry() { return registry; }

    public void received(String queue) { in(queue).increment(); }

    public void sent(String queue) { out(queue).increment(); }

    public void dropped(String queue, SkbDropReason reason) { dropped(queue, reason.name()).increment(); }

    public void deadLettered(String queue, long n) { deadLettered(queue).increment(n); }

    public void hopLatency(String queue, long nanos) {
        if (nanos >= 0) hop(queue).record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter in(String q) {
        return in.computeIfAbsent(q, k -> Counter.builder("netstack.skb.in").description("skbs taken from a queue")
                .tag("layer", layer).tag("queue", k).register(registry));
    }

    private Counter out(String q) {
        return out.computeIfAbsent(q, k -> Counter.builder("netstack.skb.out").description("skbs handed to a queue")
                .tag("layer", layer).tag("queue", k).register(registry));
    }

    private Counter dropped(String q, String reason) {
        return dropped.computeIfAbsent(q + "/" + reason, k -> Counter.builder("netstack.skb.dropped")
                .description("skbs freed with a drop reason").tag("layer", layer).tag("queue", q).tag("reason", reason)
                .register(registry));
    }

    private Counter deadLettered(String q) {
        return deadLettered.computeIfAbsent(q, k -> Counter.builder("netstack.skb.dead.lettered")
                .description("records sent to the dead-letter topic").tag("layer", layer).tag("queue", k).register(registry));
    }

    private Timer e2e(String fate) {
        return e2e.computeIfAbsent(fate, k -> Timer.builder("netstack.e2e.latency")
                .description("time from the skb's entry into the stack to its fate").tag("layer", layer).tag("fate", k)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry));
    }

    private Timer hop(String q) {
        return hop.computeIfAbsent(q, k -> Timer.builder("netstack.hop.latency")
                .description("time from the skb's previous hop to its arrival here").tag("layer", layer).tag("queue", k)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry));
    }
}
