package io.netstack.service;

import io.netstack.stack.LayerName;
import io.netstack.stack.KernelQueue;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Every topic of the stack: one per kernel queue, the wire, events, configuration, and the dead letters. */
public final class Topics {
    private Topics() {}

    /** Suffix of a topic's dead-letter topic (spring-kafka's default). */
    public static final String DLT_SUFFIX = ".DLT";

    /** Prefix of the compacted changelog of a layer's per-host state ({@code netstack.state.l3}...). */
    public static final String STATE_PREFIX = "netstack.state.";

    /** The layers that keep per-host state, whose input topics are partitioned by host. */
    public static final java.util.Set<String> STATEFUL_LAYERS = LayerName.statefulNames();

    /** The changelog of a layer's per-host state: key = netns, value = Layer.snapshot, partition = the host's. */
    public static String stateTopic(String layer) { return STATE_PREFIX + layer; }

    /**
     * The partition of a host's records on the queues a stateful layer reads, and of its
     * snapshots: one host, one partition, so one instance owns (and alone writes) its state.
     * String.hashCode is fixed by its specification, so every JVM agrees.
     */
    public static int hostPartition(String netns, int partitions) {
        return Math.floorMod(netns.hashCode(), partitions);
    }

    /**
     * The partition of an skb on {@code q}: by host for a queue a stateful layer reads, by the
     * emulated CPU (RSS, the flow hash) for the backlog and the transmit queues.
     */
    public static int partitionOf(KernelQueue q, String netns, int cpu, int partitions) {
        return STATEFUL_LAYERS.contains(q.layer()) ? hostPartition(netns, partitions) : Math.floorMod(cpu, partitions);
    }

    /** The topics of the data path: they carry skbs or frames, partitioned by emulated CPU. */
    public static List<String> dataTopics() {
        List<String> t = new ArrayList<>();
        for (KernelQueue q : KernelQueue.values()) t.add(q.topic());
        t.add(KernelQueue.WIRE_RX_TOPIC);
        return t;
    }

    public static List<NewTopic> all(int cpus, short replicationFactor) {
        List<NewTopic> topics = new ArrayList<>();
        for (String t : dataTopics()) {
            topics.add(new NewTopic(t, cpus, replicationFactor));
            topics.add(new NewTopic(t + DLT_SUFFIX, cpus, replicationFactor));
        }
        topics.add(new NewTopic(KernelQueue.WIRE_TX_TOPIC, cpus, replicationFactor));
        topics.add(new NewTopic(KernelQueue.EVENTS_TOPIC, cpus, replicationFactor));
        for (String layer : LayerName.names()) {
            // Every queued datagram is an object written once and tombstoned once: tombstones
            // go a minute after compaction (not a day), so a restore reads what is live, not
            // the day's traffic. A stale object a slow reader might still see is never claimed
            // (a queue claims only its live entry numbers) and is removed again.
            topics.add(new NewTopic(stateTopic(layer), cpus, replicationFactor)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                            TopicConfig.SEGMENT_MS_CONFIG, "60000",
                            TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1",
                            TopicConfig.DELETE_RETENTION_MS_CONFIG, "60000")));
        }
        // Like netlink state: the latest configuration per host, kept for ever; a tombstone removes a host.
        topics.add(new NewTopic(KernelQueue.CONFIG_TOPIC, 1, replicationFactor)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        return topics;
    }

    /** The queue a topic stands for; null for the wire. */
    public static KernelQueue queueOf(String topic) {
        for (KernelQueue q : KernelQueue.values()) if (q.topic().equals(topic)) return q;
        return null;
    }

    /** The tag a topic has in metrics: the queue's name (backlog, ptype_ip...) or wire_rx. */
    public static String tag(String topic) {
        KernelQueue q = queueOf(topic);
        if (q != null) return q.name().toLowerCase(java.util.Locale.ROOT);
        if (KernelQueue.WIRE_RX_TOPIC.equals(topic)) return "wire_rx";
        return topic;
    }
}
