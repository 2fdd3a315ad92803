package io.netstack.broker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The broker JVM's main class: one Kafka node in KRaft mode (broker and controller in one
 * process) on 127.0.0.1. Writes server.properties and a Log4j 2 configuration into the data
 * directory, formats the storage on the first start ({@code kafka-storage format --standalone}),
 * starts {@code kafka.Kafka}, and prints {@value #READY} followed by the bootstrap address once
 * an admin client sees the cluster.
 *
 * <pre>java -cp broker/target/classes:broker/target/lib/* io.netstack.broker.BrokerMain DATA_DIR [PORT CONTROLLER_PORT]</pre>
 */
public final class BrokerMain {

    /** The line the parent waits for. */
    public static final String READY = "netstack broker ready on ";

    /** System property: the pid of the process that launched this one. */
    public static final String PARENT_PID = "netstack.parentPid";

    private BrokerMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1 && args.length != 3) {
            System.err.println("usage: BrokerMain DATA_DIR [PORT CONTROLLER_PORT]");
            System.exit(2);
        }
        exitWithParent();
        Path dir = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(dir);
        int port = args.length == 3 ? Integer.parseInt(args[1]) : FreePorts.next();
        int controllerPort = args.length == 3 ? Integer.parseInt(args[2]) : FreePorts.next();
        // Before any Kafka class logs: the broker writes WARN and above to DATA_DIR/broker.log.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", writeLog4j(dir).toString());
        }
        Path props = writeServerProperties(dir, port, controllerPort);
        Path logs = dir.resolve("kafka-logs");
        if (!Files.exists(logs.resolve("meta.properties"))) {
            int rc = kafka.tools.StorageTool.execute(new String[] {
                    "format", "-t", Uuid.randomUuid().toString(), "-c", props.toString(), "--standalone"},
                    new PrintStream(System.err, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                System.err.println("storage format failed: " + rc);
                System.exit(1);
            }
        }
        Thread server = new Thread(() -> kafka.Kafka.main(new String[] {props.toString()}), "kafka-main");
        server.start();
        String bootstrap = "127.0.0.1:" + port;
        awaitCluster(bootstrap, server);
        System.out.println(READY + bootstrap);
        System.out.flush();
        startTransactionJanitor(bootstrap);
        server.join();
    }

    /**
     * Transactions may last this long at most. Every netstack producer asks for 10 s
     * (KafkaSettings.TRANSACTION_TIMEOUT); the bound keeps the janitor's limit short.
     */
    static final Duration TRANSACTION_MAX_TIMEOUT = Duration.ofSeconds(15);

    /**
     * Open longer than this on a partition, a transaction is hanging: the coordinator aborts a
     * live one within a second of its timeout (cleanup interval), so it has let go of this one.
     */
    static final Duration HANGING_AFTER = TRANSACTION_MAX_TIMEOUT.plusSeconds(5);

    /** Looks for hanging transactions every 2 s for the broker's lifetime ({@link TransactionJanitor}). */
    private static void startTransactionJanitor(String bootstrap) {
        Thread t = new Thread(() -> {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                new TransactionJanitor(admin, HANGING_AFTER, System::nanoTime, System.out).runEvery(Duration.ofSeconds(2));
            }
        }, "transaction-janitor");
        t.setDaemon(true);
        t.start();
    }

    /**
     * With -D{@value #PARENT_PID}=N the broker shuts down (cleanly, through Kafka's shutdown hook) when
     * process N ends, so a launcher killed with SIGKILL leaves no broker behind.
     */
    static void exitWithParent() {
        String p = System.getProperty(PARENT_PID);
        if (p == null || p.isBlank()) return;
        ProcessHandle.of(Long.parseLong(p.trim())).ifPresentOrElse(
                h -> h.onExit().thenRun(() -> System.exit(0)),
                () -> System.exit(0));
    }

    private static void awaitCluster(String bootstrap, Thread kafka) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) return;
                } catch (Exception notYet) {
                    // the listener is not up yet, or the controller has no quorum yet
                }
                if (!kafka.isAlive()) throw new IllegalStateException("kafka.Kafka ended during start-up");
                if (System.nanoTime() > deadline) throw new IllegalStateException("broker not up after 120 s");
                Thread.sleep(100);
            }
        }
    }

    /** server.properties for a single KRaft node; every internal topic at replication factor 1. */
    static Path writeServerProperties(Path dir, int port, int controllerPort) throws IOException {
        String text = String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("kafka-logs"),
                "num.partitions=1",
                "default.replication.factor=1",
                // Without these, transactions and exactly-once hang on one node (STACK-NOTES).
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "min.insync.replicas=1",
                "group.initial.rebalance.delay.ms=0",
                // A dead producer's open transaction is aborted soon after transaction.timeout.ms
                // (10 s, LayerRuntime) instead of up to 10 s later: read_committed readers move on.
                "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000",
                "transaction.max.timeout.ms=" + TRANSACTION_MAX_TIMEOUT.toMillis(),
                // State snapshots (TCP send buffers) may exceed the default 1 MB (KafkaSettings.MAX_RECORD_BYTES).
                "message.max.bytes=" + (8 << 20),
                "auto.create.topics.enable=false",
                "num.network.threads=2",
                "num.io.threads=2",
                "num.recovery.threads.per.data.dir=1",
                "log.segment.bytes=67108864",
                "log.retention.hours=24",
                "");
        Path file = dir.resolve("server.properties");
        Files.writeString(file, text);
        return file;
    }

    /** Log4j 2: WARN and above to DATA_DIR/broker.log, nothing on the console. */
    static Path writeLog4j(Path dir) throws IOException {
        String text = String.join("\n",
                "status = error",
                "appender.file.type = File",
                "appender.file.name = file",
                "appender.file.fileName = " + dir.resolve("broker.log"),
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = [%d] %p %m (%c)%n",
                "rootLogger.level = warn",
                "rootLogger.appenderRef.file.ref = file",
                "");
        Path file = dir.resolve("log4j2.properties");
        Files.writeString(file, text);
        return file;
    }
}
