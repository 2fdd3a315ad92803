package io.netstack.launcher;

import io.netstack.codec.EventCodec;
import io.netstack.codec.SkbCodec;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Talks to a running stack through its topics, as the CLI and the tests do: publishes a host's
 * configuration (compacted, key = netns), frames arriving on the wire, raw records; reads the
 * events (read_committed) and any topic.
 */
public final class StackClient implements AutoCloseable {

    private final String bootstrap;
    private final KafkaProducer<byte[], byte[]> producer;

    public StackClient(String bootstrap) {
        this.bootstrap = bootstrap;
        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.ACKS_CONFIG, "all");
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(pc);
    }

    public String bootstrapServers() { return bootstrap; }

    /** Installs or replaces the configuration of host {@code netns} (host.yaml text). */
    public void publishConfig(String netns, String hostYaml) {
        send(KernelQueue.CONFIG_TOPIC, null, utf8(netns), hostYaml == null ? null : utf8(hostYaml));
    }

    /** Removes host {@code netns} (a tombstone). */
    public void removeConfig(String netns) {
        publishConfig(netns, null);
    }

    /**
     * The configuration every instance reads: the latest host.yaml of each host on the
     * compacted configuration topic (read to its end as it is now; a tombstone removes a host).
     */
    public Map<String, String> latestConfigs() {
        Map<String, String> hosts = new java.util.TreeMap<>();
        try (TopicReader r = reader(KernelQueue.CONFIG_TOPIC)) {
            Map<TopicPartition, Long> end = r.consumer.endOffsets(r.consumer.assignment(), Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!r.reachedEnd(end)) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("cannot read " + KernelQueue.CONFIG_TOPIC + " to its end");
                for (ConsumerRecord<byte[], byte[]> rec : r.poll(Duration.ofMillis(200))) {
                    if (rec.key() == null) continue;
                    String netns = new String(rec.key(), StandardCharsets.UTF_8);
                    if (rec.value() == null) hosts.remove(netns);
                    else hosts.put(netns, new String(rec.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return hosts;
    }

    /** A frame arrives on the wire of an interface; key = netns/dev so one interface's frames stay in order. */
    public void publishFrame(WireFrame frame) {
        send(KernelQueue.WIRE_RX_TOPIC, null, utf8(frame.netns() + "/" + frame.dev()), SkbCodec.encode(frame));
    }

    /**
     * A frame arrives on the wire, without waiting for the broker: a live wire delivers frames as
     * fast as the peer sends them (a TAP at line rate), and one acknowledgement per frame would
     * leave the bridge's UDP socket overflowing. The records keep their order (one key, one
     * partition, an idempotent producer); {@code done} gets the error, or null, for each.
     */
    public void publishFrameAsync(WireFrame frame, java.util.function.Consumer<Exception> done) {
        producer.send(new ProducerRecord<>(KernelQueue.WIRE_RX_TOPIC, null, utf8(frame.netns() + "/" + frame.dev()),
                SkbCodec.encode(frame)), (meta, e) -> done.accept(e));
    }

    /** Waits until every record sent so far is acknowledged (or failed). */
    public void flush() {
        producer.flush();
    }

    /** Any record to any topic (a test's garbage, a hand-made skb); waits for the broker's acknowledgement. */
    public void send(String topic, Integer partition, byte[] key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, partition, key, value)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot publish to " + topic + ": " + e, e);
        }
    }

    /** A reader of every partition of {@code topic}, from the beginning, committed records only. */
    public TopicReader reader(String topic) {
        return new TopicReader(bootstrap, topic);
    }

    /** A reader of the events topic. */
    public EventReader events() {
        return new EventReader(reader(KernelQueue.EVENTS_TOPIC));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /** Reads a topic from the beginning, all partitions, read_committed, no consumer group. */
    public static final class TopicReader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;

        TopicReader(String bootstrap, String topic) {
            Map<String, Object> cc = new HashMap<>();
            cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            cc.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            cc.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            consumer = new KafkaConsumer<>(cc);
            List<TopicPartition> parts = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (parts.isEmpty()) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
                if (infos != null) for (PartitionInfo p : infos) parts.add(new TopicPartition(topic, p.partition()));
                if (parts.isEmpty() && System.nanoTime() > deadline) {
                    consumer.close();
                    throw new IllegalStateException("no topic " + topic);
                }
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }

        boolean reachedEnd(Map<TopicPartition, Long> end) {
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                if (consumer.position(e.getKey()) < e.getValue()) return false;
            }
            return true;
        }

        /** What arrived within {@code timeout} (possibly nothing). */
        public List<ConsumerRecord<byte[], byte[]>> poll(Duration timeout) {
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            consumer.poll(timeout).forEach(out::add);
            return out;
        }

        @Override public void close() { consumer.close(); }
    }

    /**
     * The events topic, decoded: each record is a list of events (one host's of a layer's poll),
     * flattened in order. A record that does not decode is skipped, counted and its reason kept.
     */
    public static final class EventReader implements AutoCloseable {
        private final TopicReader reader;
        private volatile long undecodable;
        private volatile String lastUndecodable;

        EventReader(TopicReader reader) {
            this.reader = reader;
        }

        public List<SkbEvent> poll(Duration timeout) {
            List<SkbEvent> out = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : reader.poll(timeout)) {
                try {
                    out.addAll(EventCodec.decodeAll(r.value()));
                } catch (IllegalArgumentException bad) {
                    undecodable++;
                    lastUndecodable = r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + bad.getMessage();
                }
            }
            return out;
        }

        /** Records skipped because they did not decode as events records. */
        public long undecodable() { return undecodable; }

        /** Where the last skipped record was and why it did not decode; null when none was skipped. */
        public String lastUndecodable() { return lastUndecodable; }

        /** Polls into {@code ledger} until {@code done} holds or the time runs out; returns whether it held. */
        public boolean pollUntil(EventLedger ledger, java.util.function.Predicate<EventLedger> done, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(ledger)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                ledger.addAll(poll(Duration.ofNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)))));
            }
            return true;
        }

        @Override public void close() { reader.close(); }
    }
}
