package io.netstack.service;

import io.netstack.stack.Layer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaOperations;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stateful layer's per-host state as this instance holds it: which hosts it owns (their
 * partition is assigned here), what it last committed to the layer's changelog
 * ({@code netstack.state.<layer>}, compacted, partition = the host's), and the moves between
 * the two: what changed, sent in the visit's transaction; back to the last commit after a
 * rollback; restored from the changelog when partitions are assigned, dropped when they go.
 *
 * <p>A host's state is its snapshot (key = the host) and its objects (key = host, NUL, object
 * key: the entries of its receive queues, {@link Layer#takeObjectChanges}); a visit writes the
 * snapshot if it changed and only the objects that changed (a removed one as a tombstone), so
 * the cost of a visit follows what it changed, not what the host holds.
 *
 * <p>Callers hold the runtime's state lock ({@code txLock}) around a visit and its commit; the
 * layer itself is read and written under its own lock ({@code layerLock}).
 */
final class HostStateStore {

    private static final Logger log = LoggerFactory.getLogger(HostStateStore.class);

    private final Layer layer;
    private final String instance;
    private final int cpus;
    private final String bootstrap;
    private final String topic;
    private final ReentrantLock txLock;
    private final ReentrantLock layerLock;
    private final HostConfigs hostConfigs;
    private final LayerMetrics metrics;
    private final Map<String, byte[]> committed = new ConcurrentHashMap<>();
    private final Map<String, Map<String, byte[]>> committedObjects = new ConcurrentHashMap<>();
    private final Set<Integer> owned = ConcurrentHashMap.newKeySet();

    HostStateStore(Layer layer, String instance, int cpus, String bootstrap, ReentrantLock txLock,
                   ReentrantLock layerLock, HostConfigs hostConfigs, LayerMetrics metrics) {
        this.layer = layer;
        this.instance = instance;
        this.cpus = cpus;
        this.bootstrap = bootstrap;
        this.topic = Topics.stateTopic(layer.name());
        this.txLock = txLock;
        this.layerLock = layerLock;
        this.hostConfigs = hostConfigs;
        this.metrics = metrics;
        layer.keepObjectJournal();
    }

    /** Changelog keys: the host for its snapshot, host NUL object for an object. */
    private static final char OBJECT_SEPARATOR = '\0';

    private static String objectKey(String netns, String object) { return netns + OBJECT_SEPARATOR + object; }

    private static String hostOf(String changelogKey) {
        int i = changelogKey.indexOf(OBJECT_SEPARATOR);
        return i < 0 ? changelogKey : changelogKey.substring(0, i);
    }

    /** Is the host's state this instance's to keep (its partition assigned here)? */
    boolean owns(String netns) {
        return owned.contains(Topics.hostPartition(netns, cpus));
    }

    /**
     * What the hosts a visit touched changed since the last commit, by changelog key: a snapshot
     * that differs from the committed one, and the objects written (removed: null).
     */
    Map<String, byte[]> changed(Set<String> hosts) {
        Map<String, byte[]> changed = new HashMap<>();
        for (String netns : hosts) {
            byte[] state;
            Map<String, byte[]> objects;
            layerLock.lock();
            try {
                objects = layer.takeObjectChanges(netns);
                if (!owns(netns)) continue;
                state = layer.snapshot(netns);
            } finally {
                layerLock.unlock();
            }
            if (state != null && !Arrays.equals(state, committed.get(netns))) changed.put(netns, state);
            for (Map.Entry<String, byte[]> o : objects.entrySet()) changed.put(objectKey(netns, o.getKey()), o.getValue());
        }
        return changed;
    }

    /** The changes to the changelog with {@code ops} (in the visit's transaction); futures to {@code sends}. */
    void send(Map<String, byte[]> changed, KafkaOperations<byte[], byte[]> ops, List<CompletableFuture<?>> sends) {
        for (Map.Entry<String, byte[]> e : changed.entrySet()) {
            CompletableFuture<?> f = ops.send(new ProducerRecord<>(topic, Topics.hostPartition(hostOf(e.getKey()), cpus),
                    e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue()));
            if (sends != null) sends.add(f);
            metrics.stateWritten(e.getValue() == null ? 0 : e.getValue().length);
        }
    }

    /** The transaction that carried {@code written} committed: that is the state to go back to now. */
    void committed(Map<String, byte[]> written) {
        apply(written, committed, committedObjects);
    }

    /**
     * Changelog entries (key to value, null: gone) applied to snapshots by host and objects by
     * host, as the compacted changelog keeps them.
     */
    private static void apply(Map<String, byte[]> entries, Map<String, byte[]> snapshots,
                              Map<String, Map<String, byte[]>> objects) {
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            String key = e.getKey();
            int sep = key.indexOf(OBJECT_SEPARATOR);
            Map<String, byte[]> into = sep < 0 ? snapshots : objects.computeIfAbsent(key.substring(0, sep), n -> new HashMap<>());
            String name = sep < 0 ? key : key.substring(sep + 1);
            if (e.getValue() == null) into.remove(name);
            else into.put(name, e.getValue());
        }
    }

    /** The objects of a host as last committed. */
    private Map<String, byte[]> committedObjects(String netns) {
        return committedObjects.getOrDefault(netns, Map.of());
    }

    /** A transaction rolled back: its hosts' state goes back to what the changelog holds. */
    void rollBack(Set<String> hosts) {
        if (hosts.isEmpty()) return;
        layerLock.lock();
        try {
            for (String netns : hosts) {
                if (owns(netns)) layer.restore(netns, committed.get(netns), committedObjects(netns));
            }
        } finally {
            layerLock.unlock();
        }
        log.warn("{}: transaction rolled back; state of {} restored to the last commit", instance, hosts);
    }

    /**
     * Partitions assigned: the hosts they carry are this instance's now; their latest committed
     * snapshots are read from the changelog (read_committed, to its end) and restored before
     * the first record of those partitions is processed.
     */
    void take(Collection<TopicPartition> partitions) {
        Set<Integer> parts = partitionsOf(partitions);
        parts.removeAll(owned);
        if (parts.isEmpty()) return;
        long t0 = System.nanoTime();
        Map<String, byte[]> latest = new HashMap<>();
        Map<String, Map<String, byte[]>> objects = new HashMap<>();
        apply(readChangelog(parts), latest, objects);
        txLock.lock();
        layerLock.lock();
        try {
            owned.addAll(parts);
            int restored = 0;
            for (String netns : hostConfigs.configured()) {
                if (!parts.contains(Topics.hostPartition(netns, cpus))) continue;
                byte[] state = latest.get(netns);
                Map<String, byte[]> hostObjects = objects.getOrDefault(netns, Map.of());
                try {
                    layer.restore(netns, state, hostObjects);
                    if (state != null) {
                        committed.put(netns, state);
                        restored++;
                    } else {
                        committed.remove(netns);
                    }
                    committedObjects.put(netns, new HashMap<>(hostObjects));
                } catch (RuntimeException e) {
                    log.error("{}: snapshot of {} not restorable, host starts empty: {}", instance, netns, e.toString());
                    layer.restore(netns, null, hostObjects);
                    committed.remove(netns);
                    committedObjects.put(netns, new HashMap<>(hostObjects));
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            metrics.stateRestored(ms);
            log.info("{}: partitions {} taken: {} host snapshots restored from {} in {} ms", instance, parts, restored,
                    topic, ms);
        } finally {
            layerLock.unlock();
            txLock.unlock();
        }
    }

    /** Partitions gone to another instance: their hosts' state is dropped (fresh), it is not ours to act on. */
    void drop(Collection<TopicPartition> partitions) {
        Set<Integer> parts = partitionsOf(partitions);
        txLock.lock();
        layerLock.lock();
        try {
            owned.removeAll(parts);
            for (String netns : hostConfigs.configured()) {
                if (!parts.contains(Topics.hostPartition(netns, cpus))) continue;
                layer.restore(netns, null, Map.of());
                committed.remove(netns);
                committedObjects.remove(netns);
            }
        } finally {
            layerLock.unlock();
            txLock.unlock();
        }
    }

    private static Set<Integer> partitionsOf(Collection<TopicPartition> partitions) {
        Set<Integer> parts = new TreeSet<>();
        for (TopicPartition tp : partitions) parts.add(tp.partition());
        return parts;
    }

    /**
     * The latest committed value of every key (snapshots and objects) in those changelog partitions, read to the
     * end however long that takes (a broker still coming back): restoring from part of the
     * changelog would bring back an older state than the one committed, and with it packets
     * already handled.
     */
    private Map<String, byte[]> readChangelog(Set<Integer> parts) {
        Map<String, Object> cc = KafkaSettings.consumer(bootstrap, 500);
        cc.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        cc.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
        Map<String, byte[]> latest = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cc)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p : parts) tps.add(new TopicPartition(topic, p));
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
            long nextWarning = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                boolean done = true;
                for (TopicPartition tp : tps) if (c.position(tp) < end.get(tp)) done = false;
                if (done) break;
                if (System.nanoTime() - nextWarning > 0) {
                    log.warn("{}: still reading {} partitions {} to restore them", instance, topic, parts);
                    nextWarning += TimeUnit.SECONDS.toNanos(30);
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    String key = new String(r.key(), StandardCharsets.UTF_8);
                    if (r.value() == null) latest.remove(key);
                    else latest.put(key, r.value());
                }
            }
        }
        return latest;
    }
}
