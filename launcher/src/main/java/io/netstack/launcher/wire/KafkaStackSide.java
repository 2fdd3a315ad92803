package io.netstack.launcher.wire;

import io.netstack.codec.SkbCodec;
import io.netstack.launcher.StackClient;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.WireFrame;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack's side of a live wire over Kafka: frames are published to netstack.wire.rx through a
 * {@link StackClient}, in order and without waiting for each acknowledgement (a frame the broker
 * refused is counted and reported, never lost silently: {@link #failed()}); the
 * transmitted frames are read from netstack.wire.tx, committed records only, from the end as it was
 * when the bridge started (an old run's frames are not replayed onto a live wire).
 */
public final class KafkaStackSide implements WireBridge.StackSide {

    private final StackClient client;
    private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    private final KafkaConsumer<byte[], byte[]> consumer;

    public KafkaStackSide(String bootstrap) {
        this.client = new StackClient(bootstrap);
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cc.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        this.consumer = new KafkaConsumer<>(cc);
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(KernelQueue.WIRE_TX_TOPIC, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) throw new IllegalStateException("no topic " + KernelQueue.WIRE_TX_TOPIC);
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : infos) parts.add(new TopicPartition(p.topic(), p.partition()));
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            // seekToEnd is lazy: resolve the positions now, before any frame of ours can cause a reply.
            for (TopicPartition tp : parts) consumer.position(tp, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            consumer.close();
            client.close();
            throw e;
        }
    }

    @Override
    public void publish(WireFrame frame) {
        client.publishFrameAsync(frame, e -> {
            if (e == null) return;
            if (failed.getAndIncrement() == 0) {
                System.err.println("wire: cannot publish a frame of " + frame.netns() + "/" + frame.dev() + ": " + e);
            }
        });
    }

    /** Frames the broker did not take. */
    public long failed() { return failed.get(); }

    @Override
    public List<WireFrame> pollTransmitted(Duration timeout) {
        List<WireFrame> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
            if (r.value() == null) continue;
            try {
                out.add(SkbCodec.decodeFrame(r.value()));
            } catch (RuntimeException e) {
                System.err.println("wire: " + r.topic() + "-" + r.partition() + "@" + r.offset() + " is not a frame: " + e.getMessage());
            }
        }
        return out;
    }

    @Override
    public void close() {
        client.flush();
        consumer.close(Duration.ofSeconds(2));
        client.close();
    }
}
