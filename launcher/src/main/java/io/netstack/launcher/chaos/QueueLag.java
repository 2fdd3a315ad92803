package io.netstack.launcher.chaos;

import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The depth of each layer's input queues during a chaos run: the consumer lag of the layer's
 * group (group id = layer name, as LayerRuntime names it), summed over every partition the group
 * has committed: committed end offset (read_committed) minus the group's committed offset,
 * sampled every {@code everyMillis} by an admin client. A sample that fails (the broker
 * restarting) is skipped.
 */
public final class QueueLag implements AutoCloseable {

    /** One sample: epoch nanos, layer, records waiting. */
    public record Sample(long timeNanos, String layer, long lag) {}

    private final Admin admin;
    private final List<String> layers;
    private final ScheduledExecutorService timer;
    private final List<Sample> samples = new ArrayList<>();

    public QueueLag(String bootstrap, List<String> layers, long everyMillis) {
        this.layers = List.copyOf(layers);
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chaos-queue-lag");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::sample, everyMillis, everyMillis, TimeUnit.MILLISECONDS);
    }

    private void sample() {
        for (String layer : layers) {
            long lag = lagOf(admin, layer, false);
            if (lag < 0) continue;   // broker restarting or group rebalancing: no sample this time
            synchronized (samples) {
                samples.add(new Sample(ChaosRun.Clock.now(), layer, lag));
            }
        }
    }

    /**
     * The records group {@code layer} has not yet taken: committed end offset (read_committed)
     * minus the group's committed offset. {@code everyInput}: over every partition of the layer's
     * input topics (a partition the group never committed counts from 0), else over the partitions
     * it has committed. -1 when the broker does not answer.
     */
    public static long lagOf(Admin admin, String layer, boolean everyInput) {
        return lagOf(admin, layer, everyInput, 0);
    }

    /**
     * {@link #lagOf(Admin, String, boolean)} not counting the last {@code trailing} offsets of each
     * partition: a partition a transactional producer wrote ends in its commit marker, an offset
     * the group passes only when it next commits there (1 for a drained partition, exactly once).
     */
    public static long lagOf(Admin admin, String layer, boolean everyInput, int trailing) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(layer)
                    .partitionsToOffsetAndMetadata().get(3, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (TopicPartition tp : committed.keySet()) latest.put(tp, OffsetSpec.latest());
            if (everyInput) {
                List<String> topics = new ArrayList<>();
                for (KernelQueue q : KernelQueue.values()) if (q.layer().equals(layer)) topics.add(q.topic());
                if (LayerName.NIC.id().equals(layer)) topics.add(KernelQueue.WIRE_RX_TOPIC);
                for (var d : admin.describeTopics(topics).allTopicNames().get(3, TimeUnit.SECONDS).values()) {
                    for (var p : d.partitions()) latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                }
            }
            if (latest.isEmpty()) return 0;
            var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(3, TimeUnit.SECONDS);
            long lag = 0;
            for (Map.Entry<TopicPartition, OffsetSpec> e : latest.entrySet()) {
                var end = ends.get(e.getKey());
                OffsetAndMetadata c = committed.get(e.getKey());
                if (end != null) lag += Math.max(0, end.offset() - (c == null ? 0 : c.offset()) - trailing);
            }
            return lag;
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return -1;
        }
    }

    public List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(Duration.ofSeconds(1));
    }
}
