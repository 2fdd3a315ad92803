package io.netstack.launcher;

import io.netstack.codec.EventCodec;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Follows the events topic on a thread of its own (read_committed, every partition, no consumer
 * group) and hands each event to the sinks subscribed to its host (netns) and to the sinks that
 * take every event, in the order of the records and, within a record (one host's events of a
 * layer's poll), in the order the layer wrote them. A record that does not decode is skipped and
 * counted ({@link #undecodable}). Many replays share one tail: each subscribes its own netns.
 *
 * <p>From the end: {@link #fromEnd} resolves the end offsets before it returns, so every event
 * written after that is seen and none written before (a running stack's history is skipped).
 */
public final class EventTail implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, Consumer<SkbEvent>> byHost = new ConcurrentHashMap<>();
    private final List<Consumer<SkbEvent>> every = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long undecodable;
    /** Set when the thread has read up to the end offsets seen at start (from the beginning: the history). */
    private final Map<TopicPartition, Long> endAtStart;
    private volatile boolean caughtUp;

    private EventTail(String bootstrap, boolean fromBeginning) {
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        // An event is wanted as soon as it is committed: do not let the broker hold the fetch.
        cc.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        consumer = new KafkaConsumer<>(cc);
        List<TopicPartition> parts = partitions(consumer);
        consumer.assign(parts);
        if (fromBeginning) consumer.seekToBeginning(parts);
        else consumer.seekToEnd(parts);
        // position() makes the seek happen now: a record published after this line is read.
        for (TopicPartition p : parts) consumer.position(p, Duration.ofSeconds(30));
        endAtStart = consumer.endOffsets(parts, Duration.ofSeconds(30));
        thread = new Thread(this::run, "netstack-event-tail");
        thread.setDaemon(true);
    }

    /** Events written from now on. */
    public static EventTail fromEnd(String bootstrap) {
        EventTail t = new EventTail(bootstrap, false);
        t.thread.start();
        return t;
    }

    /** Every event the topic still holds, then the new ones. */
    public static EventTail fromBeginning(String bootstrap) {
        EventTail t = new EventTail(bootstrap, true);
        t.thread.start();
        return t;
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            List<PartitionInfo> infos = c.partitionsFor(KernelQueue.EVENTS_TOPIC, Duration.ofSeconds(10));
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> parts = new ArrayList<>();
                for (PartitionInfo p : infos) parts.add(new TopicPartition(p.topic(), p.partition()));
                return parts;
            }
            if (System.nanoTime() > deadline) {
                c.close();
                throw new IllegalStateException("no topic " + KernelQueue.EVENTS_TOPIC + " on the broker");
            }
            try {
                Thread.sleep(200); // the services create the topics as they start
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                c.close();
                throw new IllegalStateException("interrupted while waiting for " + KernelQueue.EVENTS_TOPIC, e);
            }
        }
    }

    /** Events of host {@code netns} go to {@code sink} (called on the tail's thread) until {@link #unsubscribe}. */
    public void subscribe(String netns, Consumer<SkbEvent> sink) {
        if (byHost.putIfAbsent(netns, sink) != null) throw new IllegalStateException("host " + netns + " already followed");
    }

    public void unsubscribe(String netns) {
        byHost.remove(netns);
    }

    /** Every event goes to {@code sink} (called on the tail's thread). */
    public void onEvery(Consumer<SkbEvent> sink) {
        every.add(sink);
    }

    /** Records of the topic that did not decode as events records (skipped, with all they held). */
    public long undecodable() { return undecodable; }

    /** Whether the tail has read every event that was on the topic when it started. */
    public boolean caughtUp() { return caughtUp; }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    List<SkbEvent> events;
                    try {
                        events = EventCodec.decodeAll(r.value());
                    } catch (RuntimeException bad) {
                        undecodable++;
                        continue;
                    }
                    for (SkbEvent e : events) {
                        Consumer<SkbEvent> sink = byHost.get(e.netns());
                        if (sink != null) sink.accept(e);
                        for (Consumer<SkbEvent> s : every) s.accept(e);
                    }
                }
                if (!caughtUp) {
                    boolean all = true;
                    for (Map.Entry<TopicPartition, Long> end : endAtStart.entrySet()) {
                        if (consumer.position(end.getKey()) < end.getValue()) all = false;
                    }
                    caughtUp = all;
                }
            }
        } catch (WakeupException closing) {
            // close() woke the consumer
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
