package io.netstack.service;

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
