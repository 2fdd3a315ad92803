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
 * netstack_skb_dead_lettered_total{queue}, netstack_hop_latency_seconds{queue} (previous hop to now).
 */
public final class LayerMetrics {

    private final MeterRegistry registry;
    private final String layer;
    private final Map<String, Counter> in = new ConcurrentHashMap<>();
    private final Map<String, Counter> out = new ConcurrentHashMap<>();
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLettered = new ConcurrentHashMap<>();
    private final Map<String, Timer> hop = new ConcurrentHashMap<>();

    public LayerMetrics(MeterRegistry registry, String layer, List<String> inputTopics) {
        this.registry = registry;
        this.layer = layer;
        for (String topic : inputTopics) {
            String q = Topics.tag(topic);
            in(q);
            deadLettered(q);
            hop(q);
            for (SkbDropReason r : SkbDropReason.values()) dropped(q, r.name());
        }
        dropped("timer", SkbDropReason.NOT_SPECIFIED.name());
        for (KernelQueue q : KernelQueue.values()) out(Topics.tag(q.topic()));
    }

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

    private Timer hop(String q) {
        return hop.computeIfAbsent(q, k -> Timer.builder("netstack.hop.latency")
                .description("time from the skb's previous hop to its arrival here").tag("layer", layer).tag("queue", k)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry));
    }
}
