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
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchConsumerAwareMessageListener;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;

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
 * (key = the 4-byte flow hash, partition = skb.cpu mod cpus: RSS) and the frames a NIC
 * transmitted. The events of a poll's records are gathered per host and written at the end of
 * the poll: one events record per host (an {@code SkbEvents} list, key = the netns), not one per
 * skb, since the broker, not the layers, limits the stack's throughput. In exactly-once mode a
 * poll's records, everything they produced and the consumer offsets commit in one Kafka
 * transaction (EOS v2, read_committed); at least once, the events records are among the sends
 * acknowledged before the offsets are committed.
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
    /** Per-host state (ownership, the changelog, rollback, restore); null for a stateless layer. */
    private final HostStateStore state;
    /** The hosts the open batch touched (read and written under layerLock). */
    private final java.util.Set<String> touched = new java.util.HashSet<>();
    /**
     * One state transaction at a time: a batch (from its first record to its commit or
     * rollback), a timer run, an API action. A snapshot thus never holds the effects of a batch
     * that may still roll back, and a rolled-back batch's hosts go back to their committed state.
     */
    private final ReentrantLock txLock = new ReentrantLock();
    /** API calls wait while partitions move (their hosts' state is dropped and restored meanwhile). */
    private final RebalanceGate rebalance = new RebalanceGate();
    private final BacklogLag backlogLag;
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
        this.state = Topics.STATEFUL_LAYERS.contains(layer.name())
                ? new HostStateStore(layer, instance, cpus, bootstrap, txLock, layerLock, hostConfigs, metrics) : null;
        this.hostMetrics = new HostMetrics(metrics.registry(), layer, cpus);
        hostConfigs.setListener(new HostConfigs.Listener() {
            @Override public void configured(io.netstack.config.HostConfig host) { hostMetrics.configured(host); }

            @Override public void removed(String netns) { hostMetrics.removed(netns); }
        });
        this.queueDepth = new QueueDepth(metrics, inputTopics, cpus);
        metrics.instance(instance);

        if (layer instanceof io.netstack.layer.NicLayer nic && props.isBacklogBound()) {
            // netdev_max_backlog against the softirq group's lag on each CPU's backlog partition.
            backlogLag = new BacklogLag(bootstrap, cpus, 100);
            nic.setBacklogDepth(backlogLag);
        } else {
            backlogLag = null;
        }
        producerFactory = ListenerContainers.producers(bootstrap, instance, props.getGroup().getTransactionTimeout(),
                exactlyOnce);
        template = new KafkaTemplate<>(producerFactory);
        deadLetters = new DeadLetterPublishingRecoverer(template,
                (r, e) -> new TopicPartition(r.topic() + Topics.DLT_SUFFIX, -1));

        Map<String, Object> cc = KafkaSettings.consumer(bootstrap, props.getMaxPollRecords());
        KafkaSettings.group(cc, props, instance);
        container = ListenerContainers.create("netstack-" + layer.name(), layer.name(), instance,
                inputTopics.toArray(String[]::new), cc, producerFactory, exactlyOnce,
                (BatchConsumerAwareMessageListener<byte[], byte[]>) (records, consumer) -> {
                    onBatch(records);
                    queueDepth.observe(consumer);
                },
                new ConsumerRebalanceListener() {
                    @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        queueDepth.revoked(partitions);
                        if (!partitions.isEmpty()) rebalance.begin();
                        if (state != null) state.drop(partitions);
                    }

                    @Override public void onPartitionsLost(Collection<TopicPartition> partitions) {
                        onPartitionsRevoked(partitions);
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        log.info("{} assigned {}", instance, partitions);
                        try {
                            if (state != null) state.take(partitions);
                        } finally {
                            rebalance.end();
                        }
                        afterAssignment.run();
                        metrics.rebalanced();
                        readiness.partitionsAssigned();
                    }
                });
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
        rebalance.shut();
        hostConfigs.stop();
        if (timer != null) timer.shutdownNow();
        container.stop();
        producerFactory.destroy();
        if (backlogLag != null) backlogLag.close();
    }

    @Override public boolean isRunning() { return running; }

    // ---- data path ----

    private void onBatch(List<ConsumerRecord<byte[], byte[]>> records) {
        if (state == null) {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            EventBatch events = new EventBatch();
            for (ConsumerRecord<byte[], byte[]> r : records) handle(r, sends, events);
            events.send(template, sends);
            if (!exactlyOnce) awaitSends(sends);
            return;
        }
        txLock.lock();
        boolean deferred = false;
        try {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            EventBatch events = new EventBatch();
            for (ConsumerRecord<byte[], byte[]> r : records) handle(r, sends, events);
            events.send(template, sends);
            java.util.Set<String> hosts;
            layerLock.lock();
            try {
                hosts = new java.util.HashSet<>(touched);
                touched.clear();
            } finally {
                layerLock.unlock();
            }
            Map<String, byte[]> written = state.changed(hosts);
            state.send(written, template, sends);
            if (exactlyOnce && org.springframework.transaction.support.TransactionSynchronizationManager
                    .isSynchronizationActive()) {
                // The batch's transaction commits (or rolls back) after this returns: the state
                // lock is held until then, and a rollback puts the hosts back as committed.
                org.springframework.transaction.support.TransactionSynchronizationManager.registerSynchronization(
                        new org.springframework.transaction.support.TransactionSynchronization() {
                            @Override
                            public void afterCompletion(int status) {
                                try {
                                    if (status == STATUS_COMMITTED) state.committed(written);
                                    else state.rollBack(hosts);
                                } finally {
                                    txLock.unlock();
                                }
                            }
                        });
                deferred = true;
            } else {
                if (!exactlyOnce) awaitSends(sends);
                state.committed(written);
            }
        } catch (RuntimeException e) {
            java.util.Set<String> hosts;
            layerLock.lock();
            try {
                hosts = new java.util.HashSet<>(touched);
                touched.clear();
            } finally {
                layerLock.unlock();
            }
            state.rollBack(hosts);
            throw e;
        } finally {
            if (!deferred) txLock.unlock();
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> r, List<CompletableFuture<?>> sends, EventBatch events) {
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
            publish(ctx.ctx(), queue, template, sends, events);
            observeAfterCommit(ctx);
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
                touched.add(frame.netns());
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
            touched.add(skb.netns());
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
        if (state != null) txLock.lock();
        java.util.Set<String> hosts = java.util.Set.of();
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
            // A timer that acted on a host (sent, dropped) changed its state; a silent timer
            // (a neighbour going STALE) is redone by a successor from the restored deadlines.
            hosts = state != null ? hostsOf(ctx) : java.util.Set.of();
            commit(ctx, "timer", changed(hosts));
            // Published (and committed): the counters the timer moved count now; a timer has no origin.
            observe(new Visit(ctx, -1));
        } catch (Throwable t) {
            log.warn("timer of {} failed: {}", layer.name(), t.toString());
            if (state != null) state.rollBack(hosts);
        } finally {
            if (state != null) txLock.unlock();
        }
    }

    /**
     * Takes the state lock once no rebalance runs: a rebalance begins before it drops the hosts'
     * state (under this lock), so holding the lock with no rebalance running means the state is
     * the restored one, never the dropped one.
     */
    private void enterAfterRebalance() {
        while (true) {
            if (!rebalance.await()) throw new IllegalStateException(instance + " is stopping");
            txLock.lock();
            if (!rebalance.rebalancing()) return;
            txLock.unlock();
        }
    }

    /**
     * Publishes a visit that ran outside a batch (a timer, an API action) with the snapshots it
     * changed: one Kafka transaction (exactly-once) or acknowledged sends (at-least-once); the
     * snapshots count as committed once this returns.
     */
    private void commit(StepContext ctx, String tag, Map<String, byte[]> changed) {
        if (exactlyOnce) {
            template.executeInTransaction(ops -> {
                EventBatch events = new EventBatch();
                publish(ctx, tag, ops, null, events);
                events.send(ops, null);
                if (state != null) state.send(changed, ops, null);
                return null;
            });
        } else {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            EventBatch events = new EventBatch();
            publish(ctx, tag, template, sends, events);
            events.send(template, sends);
            if (state != null) state.send(changed, template, sends);
            awaitSends(sends);
        }
        if (state != null) state.committed(changed);
    }

    /** The owned hosts among {@code hosts} whose state changed since the last commit (none for a stateless layer). */
    private Map<String, byte[]> changed(java.util.Set<String> hosts) {
        return state == null ? Map.of() : state.changed(hosts);
    }

    /** The hosts a visit's outputs and events are about. */
    private static java.util.Set<String> hostsOf(StepContext ctx) {
        java.util.Set<String> hosts = new java.util.HashSet<>();
        for (StepContext.Output o : ctx.outputs()) hosts.add(o.skb().netns());
        for (SkbEvent e : ctx.events()) hosts.add(e.netns());
        return hosts;
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

    // ---- ownership, for the socket API (every instance serves it; the owner answers) ----

    private volatile Runnable afterAssignment = () -> { };

    /**
     * Whether host {@code netns}'s state is this instance's now (its partition assigned here).
     * Read inside a {@link #runAction} action it cannot change before the action ends: a
     * revocation drops state under the same transaction lock.
     */
    public boolean ownsHost(String netns) {
        return state != null && state.owns(netns);
    }

    /**
     * {@code r} runs on the consumer thread after every assignment, once the assigned hosts are
     * restored (an eager rebalance always ends with one, even when it gives nothing): where the
     * socket service starts the demo apps of the hosts it owns now and stops the others'. It
     * must not block (the group waits for it).
     */
    public void afterAssignment(Runnable r) {
        this.afterAssignment = r == null ? () -> { } : r;
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
        return runAction(tag, null, action);
    }

    /**
     * {@link #runAction(String, java.util.function.Function)} for an action about one host
     * ({@code netns}; null: any): only that host's snapshot is compared and written, not every
     * configured host's (with hundreds of hosts, as a long-running stack collects, serializing
     * them all made each socket API call slow).
     */
    public <T> T runAction(String tag, String netns,
                           java.util.function.Function<io.netstack.stack.LayerContext, T> action) {
        if (state != null) enterAfterRebalance();
        java.util.Set<String> hosts = java.util.Set.of();
        try {
            StepContext ctx;
            T result;
            layerLock.lock();
            try {
                ctx = context(WallClock.nowNanos());
                result = action.apply(ctx);
            } finally {
                layerLock.unlock();
            }
            // The host the action is about, or, when the caller does not say, every owned host
            // is a candidate; only those whose snapshot changed are written.
            if (state != null) hosts = netns != null ? java.util.Set.of(netns) : new java.util.HashSet<>(hostConfigs.configured());
            Map<String, byte[]> changed = changed(hosts);
            // A call that changed nothing and sent nothing (an accept that finds no connection)
            // commits nothing: it costs no transaction.
            if (!ctx.outputs().isEmpty() || !ctx.events().isEmpty() || !changed.isEmpty()) {
                commit(ctx, tag, changed);
                observe(new Visit(ctx, 0));   // published and, in exactly-once mode, committed by now
            }
            return result;
        } catch (RuntimeException e) {
            if (state != null) state.rollBack(hosts);
            throw e;
        } finally {
            if (state != null) txLock.unlock();
        }
    }

    // ---- output ----

    /**
     * Sends a visit's outputs and the frames it transmitted; its events go to {@code events},
     * which the caller sends once the poll (timer run, action) is done.
     */
    private void publish(StepContext ctx, String queue, KafkaOperations<byte[], byte[]> ops,
                         List<CompletableFuture<?>> sends, EventBatch events) {
        for (StepContext.Output o : ctx.outputs()) {
            SkBuff skb = o.skb();
            int partition = Topics.partitionOf(o.queue(), skb.netns(), skb.cpu(), cpus);
            track(sends, ops.send(new ProducerRecord<>(o.queue().topic(), partition, hashKey(skb.hash()),
                    SkbCodec.encode(skb))));
            metrics.sent(Topics.tag(o.queue().topic()));
        }
        for (SkbEvent e : ctx.events()) {
            events.add(e);
            if (e.fate() instanceof Fate.Dropped d) {
                metrics.dropped(queue, d.reason());
            } else if (e.fate() instanceof Fate.Transmitted t) {
                WireFrame f = new WireFrame(e.netns(), t.dev(), t.frame(), ctx.nowNanos());
                track(sends, ops.send(KernelQueue.WIRE_TX_TOPIC, e.netns().getBytes(StandardCharsets.UTF_8),
                        SkbCodec.encode(f)));
            }
        }
    }

    /**
     * The events of one poll (or timer run, or action), per host in the order they were
     * written; {@link #send} writes one events record per host (key = netns), several only
     * when a host's events exceed {@link EventCodec#MAX_RECORD_EVENT_BYTES}.
     */
    static final class EventBatch {
        private final Map<String, List<SkbEvent>> byHost = new java.util.LinkedHashMap<>();

        void add(SkbEvent e) {
            byHost.computeIfAbsent(e.netns(), k -> new ArrayList<>()).add(e);
        }

        /** The records {@link #send} writes: key (netns) and value, in order. */
        List<Map.Entry<String, byte[]>> records() {
            List<Map.Entry<String, byte[]>> out = new ArrayList<>();
            byHost.forEach((netns, events) -> {
                for (byte[] value : EventCodec.encodeRecords(events, EventCodec.MAX_RECORD_EVENT_BYTES)) {
                    out.add(Map.entry(netns, value));
                }
            });
            return out;
        }

        void send(KafkaOperations<byte[], byte[]> ops, List<CompletableFuture<?>> sends) {
            for (Map.Entry<String, byte[]> r : records()) {
                track(sends, ops.send(KernelQueue.EVENTS_TOPIC, r.getKey().getBytes(StandardCharsets.UTF_8), r.getValue()));
            }
            byHost.clear();
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
