package io.netstack.service;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The group membership every layer instance uses (KafkaSettings.group): when a second instance
 * joins, the first gives up only the partitions that move (it keeps working on the rest, no
 * stop-the-world revocation), and each instance holds the same partition numbers of every input
 * topic, so a host's records on all its queues reach one instance, the one writer of its state.
 */
@EmbeddedKafka(partitions = 4, topics = {"q.in", "q.wire"}, brokerProperties = {
        "offsets.topic.replication.factor=1", "group.initial.rebalance.delay.ms=0",
        "group.consumer.min.heartbeat.interval.ms=250", "group.consumer.heartbeat.interval.ms=500"})
@Timeout(120)
class GroupMembershipKafkaTest {

    private static final List<String> TOPICS = List.of("q.in", "q.wire");

    private static final class Member implements ConsumerRebalanceListener {
        final KafkaConsumer<byte[], byte[]> consumer;
        final List<TopicPartition> revoked = new CopyOnWriteArrayList<>();

        Member(EmbeddedKafkaBroker broker, String instance) {
            NetstackProperties props = new NetstackProperties();
            Map<String, Object> cc = KafkaSettings.consumer(broker.getBrokersAsString(), 100);
            KafkaSettings.group(cc, props, instance);
            cc.put(ConsumerConfig.GROUP_ID_CONFIG, "layer");
            consumer = new KafkaConsumer<>(cc);
            consumer.subscribe(TOPICS, this);
        }

        @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) { revoked.addAll(partitions); }

        @Override public void onPartitionsAssigned(Collection<TopicPartition> partitions) { }

        Set<TopicPartition> held() { return consumer.assignment(); }

        Set<Integer> numbers(String topic) {
            return held().stream().filter(tp -> tp.topic().equals(topic)).map(TopicPartition::partition)
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void aJoiningInstanceTakesOnlyWhatMovesAndEveryInstanceHoldsOnePartitionNumberOfEveryTopic(EmbeddedKafkaBroker broker) {
        Member first = new Member(broker, "layer-1");
        Member second = null;
        try {
            while (first.held().size() < 8) first.consumer.poll(Duration.ofMillis(100));
            Set<TopicPartition> before = Set.copyOf(first.held());

            second = new Member(broker, "layer-2");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while ((first.held().size() != 4 || second.held().size() != 4) && System.nanoTime() < deadline) {
                first.consumer.poll(Duration.ofMillis(50));
                second.consumer.poll(Duration.ofMillis(50));
            }
            assertThat(first.held()).hasSize(4);
            assertThat(second.held()).hasSize(4);
            // Only what moved was revoked: the first instance never stopped on what it kept.
            assertThat(first.revoked).containsExactlyInAnyOrderElementsOf(second.held());
            assertThat(before).containsAll(first.held());
            for (Member m : List.of(first, second)) assertThat(m.numbers("q.in")).isEqualTo(m.numbers("q.wire"));
        } finally {
            first.consumer.close(Duration.ofSeconds(1));
            if (second != null) second.consumer.close(Duration.ofSeconds(1));
        }
    }
}
