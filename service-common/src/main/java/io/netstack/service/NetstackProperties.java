package io.netstack.service;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;

/** {@code netstack.*}: which layer this service runs and how it talks to Kafka. */
@ConfigurationProperties("netstack")
public class NetstackProperties {

    /** How records move between the layers. */
    public enum Delivery {
        /** One Kafka transaction per poll: outputs, events and consumer offsets commit together (EOS v2, read_committed). */
        EXACTLY_ONCE,
        /** Outputs are flushed, then the offsets committed: nothing lost, a crash may repeat a batch. */
        AT_LEAST_ONCE
    }

    /** nic, softirq, l3, l4 or socket (io.netstack.layer.Layers#byName). */
    private String layer;
    /** This instance's name, unique in the stack (transactional ids derive from it); default layer-pid. */
    private String instance;
    /** Partitions of every data topic: a partition of the backlog is an emulated CPU. */
    private int cpus = 4;
    private short replicationFactor = 1;
    private Delivery delivery = Delivery.EXACTLY_ONCE;
    /** How often the layer's timers run (Layer#tick). */
    private Duration tickInterval = Duration.ofMillis(10);
    /** How long an skb of a host with no configuration yet waits for it before it is dropped. */
    private Duration configWait = Duration.ofSeconds(3);
    /** Attempts after the first before a record that makes the layer throw goes to the dead-letter topic. */
    private int retries = 2;
    /**
     * Records per poll, hence per transaction in exactly-once mode. 1000 rather than 200: under
     * load a hop commits a fifth as many transactions; `netstack bench` (docs/benchmarks.md),
     * exactly-once, 10 000 datagrams, three pairs of runs: 3.4/4.1/5.3 k datagrams/s at 200,
     * 7.4/7.7/6.9 k at 1000; an idle hop is not slower (a poll returns what is there).
     */
    private int maxPollRecords = 1000;
    /** When set, the service exits once this process (its launcher) has ended: no orphans after a SIGKILL. */
    private long parentPid;
    /** Relay mode (the transport ceiling of `netstack bench`): no layer, bytes from one topic to another. */
    private final Relay relay = new Relay();
    /** Group membership (the recovery time after a crash): see docs/resilience.md. */
    private final Group group = new Group();

    public Group getGroup() { return group; }

    /**
     * netdev_max_backlog applies to the consumer lag of each backlog partition (the NIC drops
     * with CPU_BACKLOG beyond it); false lifts the bound, for lossless chaos runs.
     */
    private boolean backlogBound = true;

    public boolean isBacklogBound() { return backlogBound; }
    public void setBacklogBound(boolean b) { this.backlogBound = b; }

    public static class Group {
        /** session.timeout.ms: how long a silent (killed, frozen) member keeps its partitions. */
        private Duration sessionTimeout = Duration.ofSeconds(6);
        /** heartbeat.interval.ms */
        private Duration heartbeat = Duration.ofSeconds(1);
        /** group.instance.id = the instance name: a restarted instance gets its partitions back without a rebalance. */
        private boolean staticMembership = true;
        /** transaction.timeout.ms: how long a dead producer's open transaction blocks read_committed readers. */
        private Duration transactionTimeout = Duration.ofSeconds(10);

        public Duration getSessionTimeout() { return sessionTimeout; }
        public void setSessionTimeout(Duration d) { this.sessionTimeout = d; }
        public Duration getHeartbeat() { return heartbeat; }
        public void setHeartbeat(Duration d) { this.heartbeat = d; }
        public boolean isStaticMembership() { return staticMembership; }
        public void setStaticMembership(boolean b) { this.staticMembership = b; }
        public Duration getTransactionTimeout() { return transactionTimeout; }
        public void setTransactionTimeout(Duration d) { this.transactionTimeout = d; }
    }

    public String getLayer() { return layer; }
    public void setLayer(String layer) { this.layer = layer; }
    public String getInstance() { return instance; }
    public void setInstance(String instance) { this.instance = instance; }
    public int getCpus() { return cpus; }
    public void setCpus(int cpus) { this.cpus = cpus; }
    public short getReplicationFactor() { return replicationFactor; }
    public void setReplicationFactor(short replicationFactor) { this.replicationFactor = replicationFactor; }
    public Delivery getDelivery() { return delivery; }
    public void setDelivery(Delivery delivery) { this.delivery = delivery; }
    public Duration getTickInterval() { return tickInterval; }
    public void setTickInterval(Duration tickInterval) { this.tickInterval = tickInterval; }
    public Duration getConfigWait() { return configWait; }
    public void setConfigWait(Duration configWait) { this.configWait = configWait; }
    public int getRetries() { return retries; }
    public void setRetries(int retries) { this.retries = retries; }
    public int getMaxPollRecords() { return maxPollRecords; }
    public void setMaxPollRecords(int maxPollRecords) { this.maxPollRecords = maxPollRecords; }

    public long getParentPid() { return parentPid; }
    public void setParentPid(long parentPid) { this.parentPid = parentPid; }

    public Relay getRelay() { return relay; }

    /** {@code netstack.relay.from} / {@code netstack.relay.to}: when {@code from} is set the service is a bare relay. */
    public static class Relay {
        private String from;
        private String to;

        public String getFrom() { return from; }
        public void setFrom(String from) { this.from = from; }
        public String getTo() { return to; }
        public void setTo(String to) { this.to = to; }
    }

    /** The instance name, or layer-pid when none was given. */
    public String instanceOrDefault() {
        return instance != null && !instance.isBlank() ? instance : layer + "-" + ProcessHandle.current().pid();
    }
}
