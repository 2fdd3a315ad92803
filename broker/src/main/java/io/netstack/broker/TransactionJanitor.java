package io.netstack.broker;

import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Aborts hanging transactions, what {@code kafka-transactions.sh find-hanging} and {@code abort}
 * do by hand.
 *
 * <p>A transaction hangs when a partition holds its records but the coordinator no longer
 * knows the partition is part of it, so no commit or abort marker ever reaches the partition:
 * its last stable offset stops there and every read_committed reader (each layer, the event
 * ledger) waits on it forever. A broker stopped while a produce and the coordinator's record
 * of it were in flight left one behind (the chaos test's broker restart: the events topic stuck
 * at one softirq transaction). The same happens to a transaction's offset commit in
 * {@code __consumer_offsets}: the group's committed offsets stay unstable, and each consumer of
 * the group waits for them in poll() (a chaos run's socket layer and l4 stood still for
 * minutes).
 *
 * <p>No transaction outlives {@code transaction.max.timeout.ms} (the coordinator aborts it
 * then), so one still open on a partition after {@code limit} (longer than that) is hanging, and
 * is aborted with the producer's id, epoch and coordinator epoch as the partition reports them.
 */
public final class TransactionJanitor {

    /** One open transaction as a partition reports it. */
    public record Open(TopicPartition partition, long producerId, int epoch, long startOffset) {}

    private final Admin admin;
    private final long limitNanos;
    private final LongSupplier clock;
    private final PrintStream log;
    private final Map<Open, Long> firstSeen = new HashMap<>();

    public TransactionJanitor(Admin admin, Duration limit, LongSupplier clock, PrintStream log) {
        this.admin = admin;
        this.limitNanos = limit.toNanos();
        this.clock = clock;
        this.log = log;
    }

    /** One look at every partition of every topic; aborts what has hung; returns what it aborted. */
    public List<Open> scan() throws Exception {
        // Internal topics too: a transactional offset commit left hanging in __consumer_offsets
        // holds its group's committed offsets (UNSTABLE_OFFSET_COMMIT), so every consumer of that
        // group waits in poll() forever, a whole layer standing still with nothing logged.
        Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
        List<TopicPartition> partitions = new ArrayList<>();
        for (Map.Entry<String, TopicDescription> t : admin.describeTopics(topics).allTopicNames()
                .get(30, TimeUnit.SECONDS).entrySet()) {
            for (TopicPartitionInfo p : t.getValue().partitions()) partitions.add(new TopicPartition(t.getKey(), p.partition()));
        }
        Map<TopicPartition, PartitionProducerState> states = admin.describeProducers(partitions).all()
                .get(30, TimeUnit.SECONDS);
        long now = clock.getAsLong();
        Set<Open> open = new HashSet<>();
        List<Open> aborted = new ArrayList<>();
        for (Map.Entry<TopicPartition, PartitionProducerState> e : states.entrySet()) {
            for (ProducerState p : e.getValue().activeProducers()) {
                if (p.currentTransactionStartOffset().isEmpty()) continue;
                Open o = new Open(e.getKey(), p.producerId(), p.producerEpoch(), p.currentTransactionStartOffset().getAsLong());
                open.add(o);
                long since = firstSeen.computeIfAbsent(o, k -> now);
                if (now - since < limitNanos) continue;
                admin.abortTransaction(new AbortTransactionSpec(o.partition(), o.producerId(), (short) o.epoch(),
                        p.coordinatorEpoch().orElse(0))).all().get(30, TimeUnit.SECONDS);
                log.printf("netstack broker: aborted the hanging transaction of producer %d (epoch %d) on %s, open since offset %d%n",
                        o.producerId(), o.epoch(), o.partition(), o.startOffset());
                aborted.add(o);
            }
        }
        firstSeen.keySet().retainAll(open);
        aborted.forEach(firstSeen::remove);
        return aborted;
    }

    /** Scans every {@code every} until interrupted; a failed scan (the broker busy) is retried at the next. */
    void runEvery(Duration every) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(every.toMillis());
                scan();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                log.println("netstack broker: transaction scan failed (retried): " + e);
            }
        }
    }
}
