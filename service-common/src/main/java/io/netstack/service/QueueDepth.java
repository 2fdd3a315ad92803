package io.netstack.service;

import io.micrometer.core.instrument.Gauge;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * netstack_queue_depth{layer,queue,partition}: the emulated backlog of each queue this layer
 * reads, per partition (= per emulated CPU): the committed records of the partition past the
 * consumer's position ({@code Consumer#currentLag}: the last stable offset the broker reported
 * with the last fetch minus the position; no extra request). Taken after every batch on the
 * consumer's thread; transaction markers do not count, as the position moves past them. An instance
 * reports the partitions assigned to it and 0 for the others, so the sum over a layer's instances
 * is the layer's backlog; every series exists from start-up. While no instance of a layer runs, the
 * kafka-exporter's consumer-group lag shows the backlog instead.
 */
public final class QueueDepth {

    private final Map<TopicPartition, AtomicLong> depth = new ConcurrentHashMap<>();

    public QueueDepth(LayerMetrics metrics, List<String> topics, int partitions) {
        for (String topic : topics) {
            for (int p = 0; p < partitions; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                AtomicLong v = new AtomicLong();
                depth.put(tp, v);
                Gauge.builder("netstack.queue.depth", v, AtomicLong::get)
                        .description("records in the queue not yet taken by the layer (consumer lag)")
                        .tag("layer", metrics.layer()).tag("queue", Topics.tag(topic)).tag("partition", Integer.toString(p))
                        .register(metrics.registry());
            }
        }
    }

    /** Partitions taken away: their backlog is the new owner's to report. */
    public void revoked(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) set(tp, 0);
    }

    /** After a batch: the lag of every partition the consumer holds, where the last fetch told it. */
    public void observe(Consumer<?, ?> consumer) {
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isPresent()) set(tp, Math.max(0, lag.getAsLong()));
        }
    }

    void set(TopicPartition tp, long value) {
        AtomicLong v = depth.get(tp);
        if (v != null) v.set(value);
    }
}
