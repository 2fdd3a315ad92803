package io.netstack.service;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The transport ceiling: a hop with no logic. Consumes {@code netstack.relay.from} and produces
 * each record's key and bytes, unchanged, to {@code netstack.relay.to} (same partition number),
 * with the container, the client settings ({@link KafkaSettings}) and the delivery mode of
 * {@link LayerRuntime}: one transaction per poll with the offsets (exactly-once), or flush then
 * commit (at-least-once). The only addition is a header, {@value #RECEIVED_HEADER}, with the
 * time the relay took the record (8 bytes, epoch nanoseconds of {@link WallClock}): the
 * benchmark's end time, as a layer's event carries its time.
 */
public final class RelayRuntime implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RelayRuntime.class);

    /** Header with the relay's receive time (big-endian epoch nanoseconds). */
    public static final String RECEIVED_HEADER = "netstack-relay-received-ns";

    private final NetstackProperties props;
    private final String from;
    private final String to;
    private final boolean exactlyOnce;
    private final int cpus;
    private final DefaultKafkaProducerFactory<byte[], byte[]> producerFactory;
    private final KafkaTemplate<byte[], byte[]> template;
    private final KafkaMessageListenerContainer<byte[], byte[]> container;
    private volatile boolean running;

    public RelayRuntime(NetstackProperties props, String bootstrap, NetstackReadiness readiness) {
        this.props = props;
        this.from = props.getRelay().getFrom();
        this.to = props.getRelay().getTo();
        if (to == null || to.isBlank()) throw new IllegalArgumentException("netstack.relay.to is not set");
        this.exactlyOnce = props.getDelivery() == NetstackProperties.Delivery.EXACTLY_ONCE;
        this.cpus = props.getCpus();
        String instance = props.getInstance() != null && !props.getInstance().isBlank() ? props.getInstance()
                : "relay-" + ProcessHandle.current().pid();

        producerFactory = ListenerContainers.producers(bootstrap, instance, props.getGroup().getTransactionTimeout(),
                exactlyOnce);
        template = new KafkaTemplate<>(producerFactory);
        container = ListenerContainers.create("netstack-relay", "relay-" + from, instance, new String[] {from},
                KafkaSettings.consumer(bootstrap, props.getMaxPollRecords()), producerFactory, exactlyOnce,
                (BatchMessageListener<byte[], byte[]>) this::onBatch,
                new ConsumerRebalanceListener() {
                    @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        log.info("relay {} assigned {}", instance, partitions);
                        readiness.partitionsAssigned();
                    }
                });
        readiness.configCaughtUp(); // a relay reads no configuration
    }

    @Override
    public void start() {
        running = true;
        log.info("netstack relay {} -> {} ({}, {} cpus)", from, to, exactlyOnce ? "exactly-once" : "at-least-once", cpus);
        if (props.getParentPid() > 0) {
            ProcessHandle.of(props.getParentPid()).ifPresentOrElse(
                    h -> h.onExit().thenRun(() -> System.exit(0)), () -> System.exit(0));
        }
        container.start();
    }

    @Override
    public void stop() {
        running = false;
        container.stop();
        producerFactory.destroy();
    }

    @Override public boolean isRunning() { return running; }

    private void onBatch(List<ConsumerRecord<byte[], byte[]>> records) {
        List<CompletableFuture<?>> sends = new ArrayList<>(records.size());
        for (ConsumerRecord<byte[], byte[]> r : records) {
            RecordHeaders h = new RecordHeaders();
            h.add(RECEIVED_HEADER, longBytes(WallClock.nowNanos()));
            sends.add(template.send(new ProducerRecord<>(to, Math.floorMod(r.partition(), cpus), r.key(), r.value(), h)));
        }
        if (!exactlyOnce) {
            // As LayerRuntime: every output acknowledged before the offsets are committed.
            template.flush();
            try {
                CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("outputs not acknowledged; the batch is retried", e);
            }
        }
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }
}
