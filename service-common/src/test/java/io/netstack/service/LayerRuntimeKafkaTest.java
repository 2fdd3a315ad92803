package io.netstack.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.netstack.codec.EventCodec;
import io.netstack.codec.SkbCodec;
import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import io.netstack.stack.SkbEvent;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.kafka.test.utils.KafkaTestUtils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runtime around one layer, over an embedded broker, exactly-once: a record that makes the
 * layer throw is tried 1 + retries times, then dead-lettered with the exception in its headers and
 * counted; the records behind it are still processed, and their outputs and events committed.
 * A poll's events are written as one events record per host.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = {
        "netstack.layer=softirq",
        "netstack.instance=test-softirq",
        "netstack.retries=2",
        "netstack.cpus=2",
        "spring.kafka.bootstrap-servers=${spring.embedded.kafka.brokers}",
        "logging.level.root=WARN", "logging.level.io.netstack=INFO"})
@EmbeddedKafka(partitions = 2, brokerProperties = {
        "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
        "offsets.topic.replication.factor=1", "group.initial.rebalance.delay.ms=0"})
class LayerRuntimeKafkaTest {

    static final String NETNS = "t";
    static final int BOOM_MARK = 666;
    /** The batch test's host, and its skbs' mark: consumed where they arrive. */
    static final String BATCH_NETNS = "batch";
    static final int CONSUME_MARK = 7;

    @SpringBootApplication
    static class App {
        /** softirq's queues; passes skbs on to ptype_ip, throws for mark 666. */
        @Bean
        ThrowingLayer layer() { return new ThrowingLayer(); }
    }

    static final class ThrowingLayer implements Layer {
        final AtomicInteger boomAttempts = new AtomicInteger();
        @Override public String name() { return "softirq"; }
        @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.BACKLOG, KernelQueue.DEV_QUEUE_XMIT); }
        @Override
        public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
            if (skb.mark() == BOOM_MARK) {
                boomAttempts.incrementAndGet();
                throw new IllegalStateException("boom: a layer bug");
            }
            if (skb.mark() == CONSUME_MARK) {
                ctx.trace(skb, "test_consume");
                ctx.consume(skb);
                return;
            }
            ctx.trace(skb, "test_pass");
            ctx.enqueue(KernelQueue.PTYPE_IP, skb);
        }
        @Override public void configure(HostConfig host) {}
        @Override public void remove(String netns) {}
    }

    @Autowired ThrowingLayer layer;
    @Autowired EmbeddedKafkaBroker broker;
    @Autowired MeterRegistry registry;

    private static final String HOST_YAML = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                addresses: ["192.0.2.2/24"]
            """;

    @Test
    void aRecordThatMakesTheLayerThrowIsDeadLetteredAndTheNextIsProcessed() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            producer.send(new ProducerRecord<>(KernelQueue.CONFIG_TOPIC, bytes(NETNS), bytes(HOST_YAML))).get();
            SkBuff boom = SkBuff.ofFrame(1001, NETNS, new byte[60]);
            boom.setMark(BOOM_MARK);
            SkBuff good = SkBuff.ofFrame(1002, NETNS, new byte[60]);
            good.setCpu(1);
            good.setHash(0x0a0b0c0d);
            producer.send(new ProducerRecord<>(KernelQueue.BACKLOG.topic(), 0, new byte[4], SkbCodec.encode(boom))).get();
            producer.send(new ProducerRecord<>(KernelQueue.BACKLOG.topic(), 0, new byte[4], SkbCodec.encode(good))).get();
        }

        ConsumerRecord<byte[], byte[]> dead = one(KernelQueue.BACKLOG.topic() + Topics.DLT_SUFFIX);
        assertThat(SkbCodec.decode(dead.value()).id()).isEqualTo(1001);
        assertThat(new String(dead.headers().lastHeader("kafka_dlt-exception-message").value(), StandardCharsets.UTF_8))
                .contains("boom");
        assertThat(layer.boomAttempts.get()).isEqualTo(3);

        ConsumerRecord<byte[], byte[]> out = one(KernelQueue.PTYPE_IP.topic());
        SkBuff passed = SkbCodec.decode(out.value());
        assertThat(passed.id()).isEqualTo(1002);
        // ptype_ip is read by l3, which keeps per-host state: partitioned by host, not by cpu.
        assertThat(out.partition()).as("partition = hash(netns) mod cpus").isEqualTo(Topics.hostPartition(NETNS, 2));
        assertThat(out.key()).containsExactly(0x0a, 0x0b, 0x0c, 0x0d);
        assertThat(passed.hops()).extracting(SkBuff.Hop::layer).containsExactly("softirq");

        // The dead-lettered record has no event (none of its attempts counted), the good one has one.
        List<ConsumerRecord<byte[], byte[]>> eventRecords = eventRecordsOf(NETNS, 1);
        assertThat(eventRecords).hasSize(1);
        List<SkbEvent> events = EventCodec.decodeAll(eventRecords.get(0).value());
        assertThat(events).hasSize(1);
        SkbEvent event = events.get(0);
        assertThat(event.skbId()).isEqualTo(1002);
        assertThat(event.trace()).extracting(SkbEvent.TraceEntry::function).containsExactly("test_pass");
        assertThat(event.fate()).isNull();

        assertThat(registry.get("netstack.skb.dead.lettered").tags("queue", "backlog").counter().count()).isEqualTo(1);
        assertThat(registry.get("netstack.skb.in").tags("queue", "backlog").counter().count()).isEqualTo(2);
        assertThat(registry.get("netstack.skb.out").tags("queue", "ptype_ip").counter().count()).isEqualTo(1);
    }

    @Test
    void aPollOfManyRecordsOfOneHostWritesOneEventsRecordWithEachFateOnce() throws Exception {
        int n = 50;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            producer.send(new ProducerRecord<>(KernelQueue.CONFIG_TOPIC, bytes(BATCH_NETNS), bytes(HOST_YAML))).get();
        }
        // One transaction: the n records become visible to the read_committed layer at once, so
        // one poll takes them all. (dev_queue_xmit, not the backlog: the other test counts the backlog.)
        try (KafkaProducer<byte[], byte[]> tx = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-batch"))) {
            tx.initTransactions();
            tx.beginTransaction();
            for (int i = 1; i <= n; i++) {
                SkBuff skb = SkBuff.ofFrame(2000 + i, BATCH_NETNS, new byte[60]);
                skb.setMark(CONSUME_MARK);
                tx.send(new ProducerRecord<>(KernelQueue.DEV_QUEUE_XMIT.topic(), 0, new byte[4], SkbCodec.encode(skb)));
            }
            tx.commitTransaction();
        }

        List<ConsumerRecord<byte[], byte[]>> records = eventRecordsOf(BATCH_NETNS, n);
        assertThat(records).as("one events record for the poll's host").hasSize(1);
        List<SkbEvent> events = EventCodec.decodeAll(records.get(0).value());
        assertThat(events).hasSize(n);
        assertThat(events).extracting(SkbEvent::netns).containsOnly(BATCH_NETNS);
        // In the order the records were processed, each skb once, each with its one fate.
        assertThat(events).extracting(SkbEvent::skbId)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(2001, 2000 + n).boxed().toList());
        assertThat(events).allSatisfy(e -> {
            assertThat(e.fate()).isInstanceOf(Fate.Consumed.class);
            assertThat(e.fate().function()).isEqualTo("test_consume");
        });
    }

    /**
     * The events-topic records keyed {@code netns}: read until they hold {@code events} events,
     * then a second longer, so that a record too many would show.
     */
    private List<ConsumerRecord<byte[], byte[]>> eventRecordsOf(String netns, int events) {
        Map<String, Object> props = KafkaTestUtils.consumerProps(broker, "reader-events-" + netns, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (Consumer<byte[], byte[]> c = new DefaultKafkaConsumerFactory<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer()).createConsumer()) {
            c.subscribe(List.of(KernelQueue.EVENTS_TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long settle = Long.MAX_VALUE;
            int seen = 0;
            while (System.nanoTime() < Math.min(deadline, settle)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    if (!netns.equals(new String(r.key(), StandardCharsets.UTF_8))) continue;
                    out.add(r);
                    seen += EventCodec.decodeAll(r.value()).size();
                }
                if (seen >= events && settle == Long.MAX_VALUE) settle = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            }
        }
        return out;
    }

    private ConsumerRecord<byte[], byte[]> one(String topic) {
        Map<String, Object> props = KafkaTestUtils.consumerProps(broker, "reader-" + topic, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (Consumer<byte[], byte[]> c = new DefaultKafkaConsumerFactory<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer()).createConsumer()) {
            c.subscribe(List.of(topic));
            return KafkaTestUtils.getSingleRecord(c, topic, Duration.ofSeconds(30));
        }
    }

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
