package io.netstack.service.socket;

import io.netstack.service.LayerRuntime;
import io.netstack.service.Topics;
import io.netstack.service.socket.api.HostOwnership;
import io.netstack.stack.KernelQueue;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Which instance owns a host, and where that instance's API listens: what a socket-service
 * instance that is not the owner tells a client (the trailer of its not-the-owner answer).
 *
 * <p>Ownership is the socket group's own assignment, read with Admin.describeConsumerGroups: the
 * member assigned the host's partition of netstack.sk-receive-queue, named by its static
 * group.instance.id {@code netstack-<instance>}. The API addresses are in a small compacted
 * topic, {@value #TOPIC} (key the instance, value "host:port"), each instance writing its own as
 * it starts (a restarted instance writes it again; the launcher keeps its port). No second
 * source of truth about ownership: the group's is the one LayerRuntime acts on. Both lookups
 * are cached for {@link #FRESH} and bounded by it; a lookup that fails gives no trailer, and
 * the client tries the other instances it knows.
 */
final class SocketApiDirectory implements HostOwnership, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SocketApiDirectory.class);

    static final String TOPIC = "netstack.socket-api";
    private static final Duration FRESH = Duration.ofSeconds(2);

    private final LayerRuntime runtime;
    private final String bootstrap;
    private final int cpus;
    private final String instance;
    private Admin admin;
    private long ownersRead;
    private Map<Integer, String> ownerByPartition = Map.of();
    private long addressesRead;
    private Map<String, String> addressByInstance = Map.of();

    SocketApiDirectory(LayerRuntime runtime, String bootstrap, int cpus, String instance) {
        this.runtime = runtime;
        this.bootstrap = bootstrap;
        this.cpus = cpus;
        this.instance = instance;
    }

    @Override
    public boolean owns(String netns) {
        return runtime.ownsHost(netns);
    }

    @Override
    public synchronized String ownerApi(String netns) {
        String owner = owners().get(Topics.hostPartition(netns, cpus));
        return owner == null || owner.equals(instance) ? null : addresses().get(owner);
    }

    /** Writes this instance's API address to the directory (on a thread of its own: startup does not wait for it). */
    void register(String address) {
        Thread t = new Thread(() -> {
            for (int attempt = 1; attempt <= 30; attempt++) {
                try {
                    publish(address);
                    log.info("{}: socket API {} registered in {}", instance, address, TOPIC);
                    return;
                } catch (Exception e) {
                    log.debug("{}: registering the socket API failed (attempt {}): {}", instance, attempt, e.toString());
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
            log.warn("{}: socket API not registered in {}: other instances will not name it", instance, TOPIC);
        }, "netstack-socket-api-register");
        t.setDaemon(true);
        t.start();
    }

    private void publish(String address) throws Exception {
        try {
            admin().createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))))
                    .all().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
        Map<String, Object> pc = new HashMap<>();
        pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        pc.put(ProducerConfig.CLIENT_ID_CONFIG, "netstack-" + instance + "-api-directory");
        try (KafkaProducer<String, String> p = new KafkaProducer<>(pc)) {
            p.send(new ProducerRecord<>(TOPIC, instance, address)).get(10, TimeUnit.SECONDS);
        }
    }

    /** Partition -> the instance the socket group assigned it to. */
    private Map<Integer, String> owners() {
        if (System.nanoTime() - ownersRead < FRESH.toNanos()) return ownerByPartition;
        Map<Integer, String> m = new HashMap<>();
        try {
            ConsumerGroupDescription g = admin().describeConsumerGroups(List.of("socket")).all()
                    .get(FRESH.toMillis(), TimeUnit.MILLISECONDS).get("socket");
            for (MemberDescription member : g.members()) {
                String name = member.groupInstanceId().orElse(member.clientId());
                if (name.startsWith("netstack-")) name = name.substring("netstack-".length());
                for (TopicPartition tp : member.assignment().topicPartitions()) {
                    if (tp.topic().equals(KernelQueue.SK_RECEIVE_QUEUE.topic())) m.put(tp.partition(), name);
                }
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            log.debug("socket group not described: {}", e.toString());
        }
        ownerByPartition = m;
        ownersRead = System.nanoTime();
        return m;
    }

    /** Instance -> its API address, the directory topic read to its end. */
    private Map<String, String> addresses() {
        if (System.nanoTime() - addressesRead < FRESH.toNanos()) return addressByInstance;
        Map<String, String> m = new HashMap<>(addressByInstance);
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        cc.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cc)) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp), FRESH).get(tp);
            long deadline = System.nanoTime() + FRESH.toNanos();
            while (c.position(tp, FRESH) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) m.remove(r.key()); else m.put(r.key(), r.value());
                }
            }
        } catch (RuntimeException e) {
            log.debug("{} not read: {}", TOPIC, e.toString());
        }
        addressByInstance = m;
        addressesRead = System.nanoTime();
        return m;
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    AdminClientConfig.CLIENT_ID_CONFIG, "netstack-" + instance + "-api-directory"));
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (admin != null) admin.close(Duration.ofSeconds(2));
    }
}
