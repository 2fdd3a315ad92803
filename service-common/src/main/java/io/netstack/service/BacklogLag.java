package io.netstack.service;

import io.netstack.net.core.BacklogDepth;
import io.netstack.stack.KernelQueue;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The depth of each CPU's backlog in the distributed stack: the consumer lag of the softirq
 * group on the backlog partition standing for that CPU (committed end offset minus the group's
 * committed offset), sampled every {@code every} by an admin client. The NIC compares it with
 * netdev_max_backlog in enqueue_to_backlog, so a stalled or overloaded softirq makes the NIC
 * drop with CPU_BACKLOG and count it in softnet_stat's dropped column, as Linux does. The lag
 * runs a sampling period behind: the bound is soft by what arrives in one period.
 */
public final class BacklogLag implements BacklogDepth, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BacklogLag.class);

    private final Admin admin;
    private final int cpus;
    private final AtomicLongArray depth;
    private final ScheduledExecutorService timer;
    /** The NIC asked for a depth since the last sample (it is receiving). */
    private volatile boolean asked = true;

    public BacklogLag(String bootstrap, int cpus, long everyMillis) {
        this.cpus = cpus;
        this.depth = new AtomicLongArray(cpus);
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "netstack-backlog-lag");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::sample, everyMillis, everyMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public long depth(int cpu) {
        asked = true;
        return cpu >= 0 && cpu < cpus ? depth.get(cpu) : 0;
    }

    private void sample() {
        // An idle NIC with empty backlogs needs no fresh figure: two admin requests ten times a
        // second were most of what an idle nic-service cost.
        if (!asked && allEmpty()) return;
        asked = false;
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < cpus; p++) latest.put(new TopicPartition(KernelQueue.BACKLOG.topic(), p), OffsetSpec.latest());
            var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(3, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("softirq")
                    .partitionsToOffsetAndMetadata().get(3, TimeUnit.SECONDS);
            for (int p = 0; p < cpus; p++) {
                TopicPartition tp = new TopicPartition(KernelQueue.BACKLOG.topic(), p);
                var end = ends.get(tp);
                OffsetAndMetadata c = committed.get(tp);
                long lag = end == null ? 0 : Math.max(0, end.offset() - (c == null ? 0 : c.offset()));
                depth.set(p, lag);
            }
        } catch (Exception e) {
            log.debug("backlog lag not sampled: {}", e.toString());
        }
    }

    private boolean allEmpty() {
        for (int p = 0; p < cpus; p++) if (depth.get(p) != 0) return false;
        return true;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(java.time.Duration.ofSeconds(1));
    }
}
