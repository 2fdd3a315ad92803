package io.netstack.service;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.config.SysctlRegistry;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * The compacted configuration topic, read whole by every instance (netlink's role): all
 * partitions assigned by hand, from the beginning, no consumer group. Key = netns, value =
 * host.yaml text; a tombstone removes the host. A configuration that does not parse is logged
 * with its line and skipped. Calls {@code onCaughtUp} once the end offsets seen at start are read.
 */
public final class HostConfigs implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(HostConfigs.class);

    private final Layer layer;
    private final Lock layerLock;
    private final Condition changed;
    private final Map<String, Object> consumerConfig;
    private final Runnable onCaughtUp;
    private final Set<String> configured = new HashSet<>();
    /** The unimplemented sysctls last reported per host: said once, again only when they change. */
    private final Map<String, List<String>> unimplemented = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    private volatile KafkaConsumer<String, String> consumer;
    private volatile Listener listener = new Listener() {};

    /** Told after a host is configured or removed (the metrics make its series appear or go). */
    public interface Listener {
        default void configured(HostConfig host) {}

        default void removed(String netns) {}
    }

    public void setListener(Listener listener) { this.listener = listener; }

    /** @param layerLock the lock every call into the layer holds; waits for a host's config use its condition */
    public HostConfigs(Layer layer, Lock layerLock, String bootstrap, Runnable onCaughtUp) {
        this.layer = layer;
        this.layerLock = layerLock;
        this.changed = layerLock.newCondition();
        this.onCaughtUp = onCaughtUp;
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "netstack-config-" + layer.name() + "-" + ProcessHandle.current().pid());
        this.consumerConfig = c;
    }

    public boolean caughtUp() { return caughtUp; }

    @Override
    public void run() {
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerConfig)) {
            consumer = c;
            List<TopicPartition> parts = partitions(c);
            if (parts == null) return;
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (running) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) apply(r);
                if (!caughtUp && reached(c, end)) {
                    caughtUp = true;
                    log.info("configuration caught up: {} host(s)", configuredCount());
                    onCaughtUp.run();
                }
            }
        } catch (WakeupException stopping) {
            // stop() woke the consumer
        } catch (RuntimeException e) {
            log.error("configuration reader stopped", e);
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, String> c) {
        while (running) {
            try {
                List<PartitionInfo> infos = c.partitionsFor(KernelQueue.CONFIG_TOPIC, Duration.ofSeconds(5));
                if (infos != null && !infos.isEmpty()) {
                    List<TopicPartition> parts = new ArrayList<>();
                    for (PartitionInfo p : infos) parts.add(new TopicPartition(p.topic(), p.partition()));
                    return parts;
                }
            } catch (WakeupException e) {
                throw e;
            } catch (RuntimeException e) {
                log.warn("no {} yet: {}", KernelQueue.CONFIG_TOPIC, e.toString());
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return null;
            }
        }
        return null;
    }

    private static boolean reached(KafkaConsumer<String, String> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) return false;
        }
        return true;
    }

    void apply(ConsumerRecord<String, String> r) {
        String netns = r.key();
        if (netns == null || netns.isEmpty()) {
            log.warn("configuration record without a netns key at {}-{}@{}: skipped", r.topic(), r.partition(), r.offset());
            return;
        }
        if (r.value() == null) {
            layerLock.lock();
            try {
                layer.remove(netns);
                configured.remove(netns);
                unimplemented.remove(netns);
                changed.signalAll();
            } finally {
                layerLock.unlock();
            }
            listener.removed(netns);
            log.info("host {} removed", netns);
            return;
        }
        HostConfig host;
        try {
            host = HostConfigParser.parse(r.value(), "config topic " + netns, netns);
        } catch (RuntimeException e) {
            // ConfigException's message names the source and the line.
            log.warn("bad host configuration skipped (offset {}): {}", r.offset(), e.getMessage());
            return;
        }
        layerLock.lock();
        try {
            layer.configure(host);
            configured.add(netns);
            changed.signalAll();
        } catch (RuntimeException e) {
            log.warn("layer {} refused the configuration of {}: {}", layer.name(), netns, e.toString());
            return;
        } finally {
            layerLock.unlock();
        }
        listener.configured(host);
        log.info("host {} configured", netns);
        reportUnimplemented(host);
    }

    /**
     * Names, once per host, the sysctls of its host.yaml that no layer of the emulation honours
     * ({@link SysctlRegistry}): they are accepted and change nothing, which a user should know.
     */
    void reportUnimplemented(HostConfig host) {
        List<String> keys = SysctlRegistry.unimplemented(host.sysctl());
        List<String> before = unimplemented.put(host.netns(), keys);
        if (keys.isEmpty() || keys.equals(before)) return;
        log.warn("host {}: {} sysctl(s) not implemented by the emulation, their values change nothing: {}",
                host.netns(), keys.size(), String.join(" ", keys));
    }

    /** The sysctls of {@code netns} that nothing honours (empty for an unknown host). */
    public List<String> unimplementedSysctls(String netns) {
        return unimplemented.getOrDefault(netns, List.of());
    }

    /**
     * Whether {@code netns} is configured, waiting up to {@code wait} for it. The caller must
     * hold the layer lock (the wait releases it).
     */
    public boolean awaitConfigured(String netns, Duration wait) throws InterruptedException {
        long left = wait.toNanos();
        while (!configured.contains(netns)) {
            if (left <= 0) return false;
            left = changed.awaitNanos(left);
        }
        return true;
    }

    /** The hosts configured now (a copy). */
    public Set<String> configured() {
        layerLock.lock();
        try {
            return new java.util.TreeSet<>(configured);
        } finally {
            layerLock.unlock();
        }
    }

    private int configuredCount() {
        layerLock.lock();
        try {
            return configured.size();
        } finally {
            layerLock.unlock();
        }
    }

    public void stop() {
        running = false;
        KafkaConsumer<String, String> c = consumer;
        if (c != null) c.wakeup();
    }
}
