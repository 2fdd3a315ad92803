package io.netstack.e2e;

import io.netstack.broker.KafkaBrokerProcess;
import io.netstack.broker.RepoRoot;
import io.netstack.broker.TransactionJanitor;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker's transaction janitor on a real broker: a transaction left open on a partition
 * holds every read_committed reader at its first record (the last stable offset stops there);
 * once it has been open longer than the janitor's limit the janitor aborts it through the admin
 * API, and the readers get the committed records behind it. A transaction younger than the
 * limit is left alone. (The limit is the test's clock, not the 45 s the broker uses.)
 */
class TransactionJanitorIT {

    static final String TOPIC = "janitor-test";

    @Test
    void aTransactionOpenPastTheLimitIsAbortedAndReadersMoveOn(@TempDir Path dir) throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"), RepoRoot.find(), Duration.ofSeconds(180));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            String bootstrap = broker.bootstrapServers();
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);

            // A transaction that stays open (its producer never commits), then a committed record behind it.
            KafkaProducer<String, String> stuck = producer(bootstrap, "stuck");
            stuck.initTransactions();
            stuck.beginTransaction();
            stuck.send(new ProducerRecord<>(TOPIC, 0, "k", "never committed")).get(30, TimeUnit.SECONDS);
            try (KafkaProducer<String, String> other = producer(bootstrap, "other")) {
                other.initTransactions();
                other.beginTransaction();
                other.send(new ProducerRecord<>(TOPIC, 0, "k", "committed"));
                other.commitTransaction();
            }

            try (KafkaConsumer<String, String> reader = readCommitted(bootstrap)) {
                assertThat(poll(reader, Duration.ofSeconds(3))).as("held at the open transaction").isEmpty();

                AtomicLong now = new AtomicLong();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                TransactionJanitor janitor = new TransactionJanitor(admin, Duration.ofSeconds(10), now::get,
                        new PrintStream(out, true));
                assertThat(janitor.scan()).as("first sight: too young").isEmpty();
                now.addAndGet(Duration.ofSeconds(9).toNanos());
                assertThat(janitor.scan()).as("9 s open: still too young").isEmpty();
                now.addAndGet(Duration.ofSeconds(2).toNanos());
                List<TransactionJanitor.Open> aborted = janitor.scan();
                assertThat(aborted).hasSize(1);
                assertThat(aborted.get(0).partition()).isEqualTo(new TopicPartition(TOPIC, 0));
                assertThat(aborted.get(0).startOffset()).isZero();
                assertThat(out.toString()).contains("aborted the hanging transaction");

                assertThat(poll(reader, Duration.ofSeconds(20))).as("the committed record, the aborted one filtered out")
                        .containsExactly("committed");
            }
            stuck.close(Duration.ZERO);
        }
    }

    /**
     * A transaction's offset commit left open in {@code __consumer_offsets} makes the group's
     * committed offsets unstable: a read_committed consumer of that group waits in poll() and
     * reads nothing (a whole layer stood still this way after a broker restart). The janitor
     * finds it in the internal topic and aborts it; the consumer then starts reading.
     */
    @Test
    void aHangingOffsetCommitInTheOffsetsTopicIsAbortedAndTheGroupReadsAgain(@TempDir Path dir) throws Exception {
        try (KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir.resolve("broker"), RepoRoot.find(), Duration.ofSeconds(180));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            String bootstrap = broker.bootstrapServers();
            String topic = "janitor-offsets";
            TopicPartition tp = new TopicPartition(topic, 0);
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try (KafkaProducer<String, String> plain = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    new StringSerializer(), new StringSerializer())) {
                plain.send(new ProducerRecord<>(topic, 0, "k", "first")).get(30, TimeUnit.SECONDS);
            }

            // The group's offset commit, part of a transaction that never ends.
            KafkaProducer<String, String> stuck = producer(bootstrap, "stuck-offsets");
            stuck.initTransactions();
            stuck.beginTransaction();
            stuck.sendOffsetsToTransaction(Map.of(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(0)),
                    new org.apache.kafka.clients.consumer.ConsumerGroupMetadata("layer"));

            try (KafkaConsumer<String, String> member = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "layer",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                    new StringDeserializer(), new StringDeserializer())) {
                member.assign(List.of(tp));
                assertThat(poll(member, Duration.ofSeconds(3))).as("held by the unstable offset commit").isEmpty();

                AtomicLong now = new AtomicLong();
                TransactionJanitor janitor = new TransactionJanitor(admin, Duration.ofSeconds(10), now::get,
                        new PrintStream(new ByteArrayOutputStream(), true));
                assertThat(janitor.scan()).isEmpty();
                now.addAndGet(Duration.ofSeconds(11).toNanos());
                List<TransactionJanitor.Open> aborted = janitor.scan();
                assertThat(aborted).extracting(o -> o.partition().topic()).containsExactly("__consumer_offsets");

                assertThat(poll(member, Duration.ofSeconds(20))).as("the group reads again").containsExactly("first");
            }
            stuck.close(Duration.ZERO);
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap, String txId) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, txId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000),
                new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> readCommitted(String bootstrap) {
        KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new StringDeserializer());
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        return c;
    }

    private static List<String> poll(KafkaConsumer<String, String> c, Duration atMost) {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline && got.isEmpty()) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        return got;
    }
}
