package io.netstack.service;

import io.netstack.codec.EventCodec;
import io.netstack.codec.SkbCodec;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.StepContext;
import io.netstack.stack.WireFrame;
import io.netstack.stack.WireReceiver;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchConsumerAwareMessageListener;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.transaction.KafkaTransactionManager;
import org.springframework.util.backoff.FixedBackOff;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs one {@link Layer} on Kafka. Per record of the layer's input topics (and, for the NIC,
 * of the wire): decode, {@code ctx.begin(skb)}, {@code layer.receive}, then produce the outputs
 * (key = the 4-byte flow hash, partition = skb.cpu mod cpus: RSS), the events, and the frames a
 * NIC transmitted. In exactly-once mode a poll's records, everything they produced and the
 * consumer offsets commit in one Kafka transaction (EOS v2, read_committed).
 *
 * <p>A record that cannot be decoded, or that makes the layer throw on every one of its
 * attempts, goes to {@code <topic>.DLT} with the exception in its headers; the batch goes on.
 * Failures of Kafka itself roll the batch back and retry it. The layer is called under one lock:
 * the data consumer, the timer and the configuration reader take turns.
 */
public final class LayerRuntime implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(LayerRuntime.class);

    /** Trace entry of an skb dropped because its host has no configuration. */
    public static final String NO_HOST_CONFIG = "netstack_no_host_config";

    private final Layer layer;
    private final NetstackProperties props;
    private final String instance;
    private final boolean exactlyOnce;
    private final int cpus;
    private final LayerMetrics metrics;
    private final HostMetrics hostMetrics;
    private final QueueDepth queueDepth;
    private final NetstackReadiness readiness;
    private final SkbIds ids = new SkbIds();
    private final ReentrantLock layerLock = new ReentrantLock();
    private final HostConfigs hostConfigs;
    private final DefaultKafkaProducerFactory<byte[], byte[]> producerFactory;
    private final KafkaTemplate<byte[], byte[]> template;
    private final DeadLetterPublishingRecoverer deadLetters;
    private final KafkaMessageListenerContainer<byte[], byte[]> container;
    private final List<String> inputTopics;
    private final Map<String, Long> gaveUpWaiting = new HashMap<>();
    private final List<Runnable> visitListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private ScheduledExecutorService timer;
    private Thread configThread;
    private volatile boolean running;

    public LayerRuntime(Layer layer, NetstackProperties props, String bootstrap, LayerMetrics metrics,
                        NetstackReadiness readiness) {
        this.layer = layer;
        this.props = props;
        this.instance = props.instanceOrDefault();
        this.exactlyOnce = props.getDelivery() == NetstackProperties.Delivery.EXACTLY_ONCE;
        this.cpus = props.getCpus();
        this.metrics = metrics;
        this.readiness = readiness;
        this.inputTopics = inputTopics(layer);
        this.hostConfigs = new HostConfigs(layer, layerLock, bootstrap, this::configCaughtUp);
        this.hostMetrics = new HostMetrics(metrics.registry(), layer, cpus);
        hostConfigs.setListener(new HostConfigs.Listener() {
            @Override public void configured(io.netstack.config.HostConfig host) { hostMetrics.configured(host); }

            @Override public void removed(String netns) { hostMetrics.removed(netns); }
        });
        this.queueDepth = new QueueDepth(metrics, inputTopics, cpus);
        metrics.instance(instance);

        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.ACKS_CONFIG, "all");
        pc.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Per-hop latency: send at once; a transaction's commit flushes anyway.
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        pc.put(ProducerConfig.CLIENT_ID_CONFIG, "netstack-" + instance);
        producerFactory = new DefaultKafkaProducerFactory<>(pc);
        if (exactlyOnce) producerFactory.setTransactionIdPrefix("netstack-" + instance + "-");
        template = new KafkaTemplate<>(producerFactory);
        deadLetters = new DeadLetterPublishingRecoverer(template,
                (r, e) -> new TopicPartition(r.topic() + Topics.DLT_SUFFIX, -1));

        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cc.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, props.getMaxPollRecords());
        cc.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        cc.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        DefaultKafkaConsumerFactory<byte[], byte[]> cf = new DefaultKafkaConsumerFactory<>(cc);

        ContainerProperties cp = new ContainerProperties(inputTopics.toArray(String[]::new));
        cp.setGroupId(layer.name());
        cp.setClientId("netstack-" + instance);
        cp.setPollTimeout(200);
        cp.setMessageListener((BatchConsumerAwareMessageListener<byte[], byte[]>) (records, consumer) -> {
            onBatch(records);
            queueDepth.observe(consumer);
        });
        cp.setConsumerRebalanceListener(new ConsumerRebalanceListener() {
            @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                queueDepth.revoked(partitions);
            }

            @Override public void onPartitionsLost(Collection<TopicPartition> partitions) {
                queueDepth.revoked(partitions);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                log.info("{} assigned {}", instance, partitions);
                metrics.rebalanced();
                readiness.partitionsAssigned();
            }
        });
        // Kafka itself failing (not a record): roll back / re-poll and try again, never give up.
        FixedBackOff forever = new FixedBackOff(500, FixedBackOff.UNLIMITED_ATTEMPTS);
        if (exactlyOnce) {
            cp.setKafkaAwareTransactionManager(new KafkaTransactionManager<>(producerFactory));
        } else {
            cp.setAckMode(ContainerProperties.AckMode.BATCH);
        }
        container = new KafkaMessageListenerContainer<>(cf, cp);
        container.setBeanName("netstack-" + layer.name());
        if (exactlyOnce) {
            container.setAfterRollbackProcessor(new DefaultAfterRollbackProcessor<>(forever));
        } else {
            container.setCommonErrorHandler(new DefaultErrorHandler(forever));
        }
    }

    /** The topics the layer reads: its queues, and the wire for the layer that takes frames. */
    public static List<String> inputTopics(Layer layer) {
        List<String> topics = new ArrayList<>();
        for (KernelQueue q : KernelQueue.values()) if (layer.inputs().contains(q)) topics.add(q.topic());
        if (layer instanceof WireReceiver) topics.add(KernelQueue.WIRE_RX_TOPIC);
        return topics;
    }

    // ---- lifecycle ----

    @Override
    public void start() {
        running = true;
        log.info("netstack {} instance {} ({}, {} cpus) reads {}", layer.name(), instance,
                exactlyOnce ? "exactly-once" : "at-least-once", cpus, inputTopics);
        if (props.getParentPid() > 0) {
            // System.exit runs Spring's shutdown hook: the container stops and the producers close.
            ProcessHandle.of(props.getParentPid()).ifPresentOrElse(
                    h -> h.onExit().thenRun(() -> {
                        log.warn("launcher (pid {}) ended: exiting", props.getParentPid());
                        System.exit(0);
                    }),
                    () -> System.exit(0));
        }
        configThread = new Thread(hostConfigs, "netstack-config");
        configThread.setDaemon(true);
        configThread.start();
    }

    /** The configuration is read: the data path may start (an skb never meets a half-read config). */
    private void configCaughtUp() {
        readiness.configCaughtUp();
        if (!running) return;
        container.start();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "netstack-timer");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, props.getTickInterval().toMillis());
        timer.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        running = false;
        hostConfigs.stop();
        if (timer != null) timer.shutdownNow();
        container.stop();
        producerFactory.destroy();
    }

    @Override public boolean isRunning() { return running; }

    // ---- data path ----

    private void onBatch(List<ConsumerRecord<byte[], byte[]>> records) {
        List<CompletableFuture<?>> sends = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) handle(r, sends);
        if (!exactlyOnce) awaitSends(sends);
    }

    private void handle(ConsumerRecord<byte[], byte[]> r, List<CompletableFuture<?>> sends) {
        String queue = Topics.tag(r.topic());
        metrics.received(queue);
        Exception failure = null;
        Visit ctx = null;
        for (int attempt = 0; attempt <= props.getRetries() && ctx == null; attempt++) {
            try {
                ctx = process(r, queue);
            } catch (BadRecord e) {
                failure = e;
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (ctx != null) {
            publish(ctx.ctx(), queue, template, sends);
            observeAfterCommit(ctx);
            visited();
            return;
        }
        log.warn("{}-{}@{} to {}{}: {}", r.topic(), r.partition(), r.offset(), r.topic(), Topics.DLT_SUFFIX,
                failure.toString());
        deadLetters.accept(r, failure);
        metrics.deadLettered(queue, 1);
    }

    /** A visit's context and when the skb it is about entered the stack (wall clock, ns). */
    private record Visit(StepContext ctx, long originNanos) {}

    /** One record through the layer; the context holds what it produced. */
    private Visit process(ConsumerRecord<byte[], byte[]> r, String queue) throws InterruptedException {
        long now = WallClock.nowNanos();
        if (r.value() == null) throw new BadRecord("null value");
        if (KernelQueue.WIRE_RX_TOPIC.equals(r.topic())) {
            WireFrame frame;
            try {
                frame = SkbCodec.decodeFrame(r.value());
            } catch (IllegalArgumentException e) {
                throw new BadRecord(e.getMessage());
            }
            if (frame.netns().isEmpty() || frame.dev().isEmpty()) throw new BadRecord("wire frame without netns or dev");
            metrics.hopLatency(queue, now - r.timestamp() * 1_000_000L);
            layerLock.lock();
            try {
                StepContext ctx = context(now);
                if (!awaitConfigured(frame.netns())) {
                    // The frame becomes an skb here, so it still gets its one fate.
                    SkBuff skb = ctx.allocSkb(frame.netns(), null, 0, frame.frame().length);
                    skb.putData(frame.frame());
                    skb.setDev(frame.dev());
                    noHostConfig(ctx, skb);
                } else {
                    ((WireReceiver) layer).receiveFrame(frame, ctx);
                }
                return new Visit(ctx, now);
            } finally {
                layerLock.unlock();
            }
        }
        KernelQueue q = Topics.queueOf(r.topic());
        if (q == null) throw new BadRecord("no queue for topic " + r.topic());
        SkBuff skb;
        try {
            skb = SkbCodec.decode(r.value());
        } catch (RuntimeException e) {
            throw new BadRecord(e.getMessage());
        }
        if (skb.id() == 0 || skb.netns().isEmpty()) throw new BadRecord("skb record without id or netns");
        List<SkBuff.Hop> hops = skb.hops();
        long origin = hops.isEmpty() ? r.timestamp() * 1_000_000L : hops.get(0).timeNanos();
        long prev = hops.isEmpty() ? r.timestamp() * 1_000_000L : hops.get(hops.size() - 1).timeNanos();
        metrics.hopLatency(queue, now - prev);
        layerLock.lock();
        try {
            StepContext ctx = context(now);
            if (!awaitConfigured(skb.netns())) {
                ctx.begin(skb);
                noHostConfig(ctx, skb);
            } else {
                ctx.begin(skb);
                layer.receive(q, skb, ctx);
            }
            return new Visit(ctx, origin);
        } finally {
            layerLock.unlock();
        }
    }

    private StepContext context(long now) {
        return new StepContext(layer.name(), instance, now, ids);
    }

    /** Waits (bounded) for a host's configuration; a host that timed out once is not waited for again for a while. */
    private boolean awaitConfigured(String netns) throws InterruptedException {
        Long gaveUp = gaveUpWaiting.get(netns);
        long wait = props.getConfigWait().toNanos();
        if (gaveUp != null && System.nanoTime() - gaveUp < wait) {
            return hostConfigs.awaitConfigured(netns, Duration.ZERO);
        }
        boolean ok = hostConfigs.awaitConfigured(netns, props.getConfigWait());
        if (ok) {
            gaveUpWaiting.remove(netns);
        } else {
            gaveUpWaiting.put(netns, System.nanoTime());
        }
        return ok;
    }

    private void noHostConfig(StepContext ctx, SkBuff skb) {
        log.warn("skb {} of host '{}' dropped: no configuration for that host after {} ms", skb.id(), skb.netns(),
                props.getConfigWait().toMillis());
        ctx.trace(skb, NO_HOST_CONFIG);
        ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
    }

    // ---- timers ----

    private void tick() {
        try {
            StepContext ctx;
            layerLock.lock();
            try {
                ctx = context(WallClock.nowNanos());
                layer.tick(ctx);
            } finally {
                layerLock.unlock();
            }
            if (ctx.outputs().isEmpty() && ctx.events().isEmpty()) return;
            visited();
            if (exactlyOnce) {
                template.executeInTransaction(ops -> {
                    publish(ctx, "timer", ops, null);
                    return null;
                });
            } else {
                List<CompletableFuture<?>> sends = new ArrayList<>();
                publish(ctx, "timer", template, sends);
                awaitSends(sends);
            }
            // Published (and committed): the counters the timer moved count now; a timer has no origin.
            observe(new Visit(ctx, -1));
        } catch (Throwable t) {
            log.warn("timer of {} failed: {}", layer.name(), t.toString());
        }
    }

    /**
     * Reads the layer's state under its lock (no record, timer or configuration runs meanwhile):
     * what an inspection endpoint shows (rule counters, the neighbour table).
     */
    public <T> T inspect(java.util.function.Supplier<T> read) {
        layerLock.lock();
        try {
            return read.get();
        } finally {
            layerLock.unlock();
        }
    }

    // ---- actions (the socket API) ----

    /**
     * Runs an action on the layer as a visit of its own, as a record would be: under the layer's
     * lock, with a fresh {@link StepContext}; what it produced (SK_SENDMSG records, events) is
     * published in one Kafka transaction (exactly-once) or flushed and acknowledged
     * (at-least-once) before this returns, so the caller's next action is published after it.
     * The socket service runs each BSD socket API call this way.
     */
    public <T> T runAction(String tag, java.util.function.Function<io.netstack.stack.LayerContext, T> action) {
        StepContext ctx;
        T result;
        layerLock.lock();
        try {
            ctx = context(WallClock.nowNanos());
            result = action.apply(ctx);
        } finally {
            layerLock.unlock();
        }
        if (!ctx.outputs().isEmpty() || !ctx.events().isEmpty()) {
            if (exactlyOnce) {
                template.executeInTransaction(ops -> {
                    publish(ctx, tag, ops, null);
                    return null;
                });
            } else {
                List<CompletableFuture<?>> sends = new ArrayList<>();
                publish(ctx, tag, template, sends);
                awaitSends(sends);
            }
            observe(new Visit(ctx, 0));   // published and, in exactly-once mode, committed by now
        }
        visited();
        return result;
    }

    /**
     * Called after every visit (a record, a timer run, an action): a caller waiting for the
     * layer's state to change (a blocking accept or recv) re-checks it then, instead of polling.
     */
    public void onVisit(Runnable listener) {
        visitListeners.add(listener);
    }

    private void visited() {
        for (Runnable r : visitListeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.warn("visit listener failed: {}", e.toString());
            }
        }
    }

    // ---- output ----

    private void publish(StepContext ctx, String queue, KafkaOperations<byte[], byte[]> ops,
                         List<CompletableFuture<?>> sends) {
        for (StepContext.Output o : ctx.outputs()) {
            SkBuff skb = o.skb();
            int partition = Math.floorMod(skb.cpu(), cpus);
            track(sends, ops.send(new ProducerRecord<>(o.queue().topic(), partition, hashKey(skb.hash()),
                    SkbCodec.encode(skb))));
            metrics.sent(Topics.tag(o.queue().topic()));
        }
        for (SkbEvent e : ctx.events()) {
            byte[] key = e.netns().getBytes(StandardCharsets.UTF_8);
            track(sends, ops.send(KernelQueue.EVENTS_TOPIC, key, EventCodec.encode(e)));
            if (e.fate() instanceof Fate.Dropped d) {
                metrics.dropped(queue, d.reason());
            } else if (e.fate() instanceof Fate.Transmitted t) {
                WireFrame f = new WireFrame(e.netns(), t.dev(), t.frame(), ctx.nowNanos());
                track(sends, ops.send(KernelQueue.WIRE_TX_TOPIC, key, SkbCodec.encode(f)));
            }
        }
    }

    /**
     * The kernel counters and end-to-end latencies of a visit go to the metrics once its outputs are
     * committed: after the Kafka transaction commits (a rolled-back batch is processed again and
     * must not count twice), at once in at-least-once mode (where a repeat is the mode's price).
     */
    private void observeAfterCommit(Visit v) {
        if (exactlyOnce && org.springframework.transaction.support.TransactionSynchronizationManager
                .isSynchronizationActive()) {
            org.springframework.transaction.support.TransactionSynchronizationManager.registerSynchronization(
                    new org.springframework.transaction.support.TransactionSynchronization() {
                        @Override
                        public void afterCompletion(int status) {
                            if (status == STATUS_COMMITTED) observe(v);
                        }
                    });
        } else {
            observe(v);
        }
    }

    private void observe(Visit v) {
        for (SkbEvent e : v.ctx().events()) {
            hostMetrics.observe(e);
            if (e.fate() != null && v.originNanos() > 0) {
                metrics.endToEnd(fateName(e.fate()), v.ctx().nowNanos() - v.originNanos());
            }
        }
    }

    static String fateName(Fate f) {
        if (f instanceof Fate.Delivered) return "delivered";
        if (f instanceof Fate.Transmitted) return "transmitted";
        if (f instanceof Fate.Dropped) return "dropped";
        return "consumed";
    }

    private static void track(List<CompletableFuture<?>> sends, CompletableFuture<?> f) {
        if (sends != null) sends.add(f);
    }

    /** At-least-once: every output is acknowledged before the offsets are committed. */
    private void awaitSends(List<CompletableFuture<?>> sends) {
        template.flush();
        try {
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("outputs not acknowledged; the batch is retried", e);
        }
    }

    static byte[] hashKey(int hash) {
        return new byte[] {(byte) (hash >>> 24), (byte) (hash >>> 16), (byte) (hash >>> 8), (byte) hash};
    }

    /** A record that is not an skb (or frame): dead-lettered at once, retrying cannot help. */
    static final class BadRecord extends RuntimeException {
        BadRecord(String message) {
            super(message);
        }
    }
}
