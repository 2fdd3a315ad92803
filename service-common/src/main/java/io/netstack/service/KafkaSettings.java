package io.netstack.service;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.HashMap;
import java.util.Map;

/**
 * The Kafka client settings of every hop of the data path: the layers ({@link LayerRuntime}) and
 * the bare relays of the transport ceiling ({@link RelayRuntime}) use these same maps, so a
 * benchmark compares the layers' logic, not two sets of settings.
 */
public final class KafkaSettings {
    private KafkaSettings() {}

    /** The largest record a layer writes (a state snapshot); the broker's message.max.bytes matches it. */
    public static final int MAX_RECORD_BYTES = 8 << 20;

    /**
     * Producer: idempotent, acks=all (exactly-once requires both; at-least-once keeps them: nothing
     * lost); a transaction times out after {@code transactionTimeout} (the broker allows 15 s at most).
     */
    public static Map<String, Object> producer(String bootstrap, String instance, java.time.Duration transactionTimeout) {
        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.ACKS_CONFIG, "all");
        pc.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Per-hop latency: send at once; a transaction's commit (or the at-least-once flush per
        // poll) sends the rest of a batch together anyway.
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        pc.put(ProducerConfig.CLIENT_ID_CONFIG, "netstack-" + instance);
        // A host's state snapshot holds its TCP send buffers (up to two windows each): over the
        // default 1 MB it would fail its transaction, and the layer would retry it forever.
        pc.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
        pc.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) transactionTimeout.toMillis());
        return pc;
    }

    /** Consumer: offsets committed by the runtime (in the transaction, or after the flush), read_committed. */
    public static Map<String, Object> consumer(String bootstrap, int maxPollRecords) {
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cc.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        cc.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        cc.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        return cc;
    }

    /**
     * A layer's group membership, tuned for recovery: a short session (a killed member's
     * partitions move after it), static membership (the same instance restarted takes its
     * partitions back with no rebalance at all), the range assignor (an instance gets the same
     * partition number of every input topic: a host's records on all of them, one writer of its state).
     */
    public static void group(Map<String, Object> cc, NetstackProperties props, String instance) {
        NetstackProperties.Group g = props.getGroup();
        cc.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) g.getSessionTimeout().toMillis());
        cc.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) g.getHeartbeat().toMillis());
        if (g.isStaticMembership()) cc.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "netstack-" + instance);
        cc.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                java.util.List.of(org.apache.kafka.clients.consumer.RangeAssignor.class.getName()));
    }

    /** The container's poll timeout (ms): how long an idle consumer waits in poll. */
    public static final long POLL_TIMEOUT_MS = 200;
}
