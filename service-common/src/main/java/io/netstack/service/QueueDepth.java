package io.netstack.service;

import io.micrometer.core.instrument.Gauge;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * netstack_queue_depth{layer,queue,partition}: the emulated backlog of each queue this layer
 * reads, per partition (= per emulated CPU): the records committed to the partition that the
 * layer's consumer group has not committed yet (log end offset, read_committed, minus the
 * group's offset). An instance reports the partitions assigned to it and 0 for the others, so
 * the sum over a layer's instances is the layer's backlog; every series exists from start-up.
 * Polled with an admin client every {@code every} milliseconds, off the scrape path.
 */
public final class QueueDepth implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueDepth.class);

    private final String group;
    private final Map<TopicPartition, AtomicLong> depth = new ConcurrentHashMap<>();
    private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    private final Map<String, Object> adminConfig = new HashMap<>();
    private final long every;
    private ScheduledExecutorService poller;
    private Admin admin;

    public QueueDepth(LayerMetrics metrics, List<String> topics, int partitions, String bootstrap, long everyMillis) {
        this.group = metrics.layer();
        this.every = everyMillis;
        for (String topic : topics) {
            for (int p = 0; p < partitions; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                AtomicLong v = new AtomicLong();
                depth.put(tp, v);
                Gauge.builder("netstack.queue.depth", v, AtomicLong::get)
                        .description("records in the queue not yet taken by the layer (consumer lag)")
                        .tag("layer", group).tag("queue", Topics.tag(topic)).tag("partition", Integer.toString(p))
                        .register(metrics.registry());
            }
        }
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "netstack-depth-" + group + "-" + ProcessHandle.current().pid());
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
    }

    public void assigned(Collection<TopicPartition> partitions) { owned.addAll(partitions); }

    public void revoked(Collection<TopicPartition> partitions) {
        owned.removeAll(partitions);
        for (TopicPartition tp : partitions) {
            AtomicLong v = depth.get(tp);
            if (v != null) v.set(0);
        }
    }

    public synchronized void start() {
        if (poller != null) return;
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "netstack-queue-depth");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }

    void poll() {
        try {
            if (admin == null) admin = Admin.create(adminConfig);
            Set<TopicPartition> mine = Set.copyOf(owned);
            for (Map.Entry<TopicPartition, AtomicLong> e : depth.entrySet()) {
                if (!mine.contains(e.getKey())) e.getValue().set(0);
            }
            if (mine.isEmpty()) return;
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            for (TopicPartition tp : mine) {
                latest.put(tp, OffsetSpec.latest());
                earliest.put(tp, OffsetSpec.earliest());
            }
            ListOffsetsOptions rc = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = admin.listOffsets(latest, rc).all()
                    .get(5, TimeUnit.SECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start = null;
            for (TopicPartition tp : mine) {
                ListOffsetsResult.ListOffsetsResultInfo e = end.get(tp);
                if (e == null) continue;
                OffsetAndMetadata c = committed.get(tp);
                long from;
                if (c != null) {
                    from = c.offset();
                } else {
                    if (start == null) start = admin.listOffsets(earliest, rc).all().get(5, TimeUnit.SECONDS);
                    from = start.get(tp) == null ? e.offset() : start.get(tp).offset();
                }
                // The end offset (LSO) can include transaction markers: a few records of lag that are not skbs.
                depth.get(tp).set(Math.max(0, e.offset() - from));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("queue depth of {} not read: {}", group, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (poller != null) poller.shutdownNow();
        poller = null;
        if (admin != null) admin.close(java.time.Duration.ofSeconds(2));
        admin = null;
    }
}
