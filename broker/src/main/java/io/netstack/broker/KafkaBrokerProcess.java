package io.netstack.broker;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A one-node KRaft Kafka broker in a JVM of its own, started from the jars Maven copied into
 * {@code broker/target/lib} (no Maven, no Docker at run time). The data directory keeps
 * server.properties, the storage, the broker's own log (broker.log, WARN and above) and the
 * process's console (broker.out).
 *
 * <pre>{@code
 * KafkaBrokerProcess broker = KafkaBrokerProcess.start(dir);
 * String bootstrap = broker.bootstrapServers();   // 127.0.0.1:port
 * broker.stop();
 * }</pre>
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    /** Heap of the broker JVM; plenty for tests (STACK-NOTES: ~1 GB resident with a 1 GiB heap). */
    public static final String DEFAULT_HEAP = "512m";

    private volatile ChildProcess child;
    private final String bootstrap;
    private final Path dataDir;

    private KafkaBrokerProcess(ChildProcess child, String bootstrap, Path dataDir) {
        this.child = child;
        this.bootstrap = bootstrap;
        this.dataDir = dataDir;
    }

    /** Starts a broker on free ports with its data in {@code dataDir}; the repository root is found from the working directory. */
    public static KafkaBrokerProcess start(Path dataDir) {
        return start(dataDir, RepoRoot.find(), Duration.ofSeconds(90));
    }

    /** Starts a broker with the jars of {@code repoRoot}/broker/target and waits until it serves. */
    public static KafkaBrokerProcess start(Path dataDir, Path repoRoot, Duration timeout) {
        Path target = repoRoot.resolve("broker").resolve("target");
        Path lib = target.resolve("lib");
        Path classes = target.resolve("classes");
        if (!Files.isDirectory(lib) || !Files.isDirectory(classes)) {
            throw new IllegalStateException("no broker jars in " + lib + ": run ./mvnw package -pl broker -am first");
        }
        try {
            Files.createDirectories(dataDir);
            Path abs = dataDir.toAbsolutePath();
            Path log4j = BrokerMain.writeLog4j(abs);
            int port = FreePorts.next();
            int controllerPort = FreePorts.next();
            return launch(abs, repoRoot, port, controllerPort, timeout);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static KafkaBrokerProcess launch(Path abs, Path repoRoot, int port, int controllerPort, Duration timeout) {
        Path target = repoRoot.resolve("broker").resolve("target");
        Path lib = target.resolve("lib");
        Path classes = target.resolve("classes");
        try {
            Path log4j = BrokerMain.writeLog4j(abs);
            List<String> cmd = new ArrayList<>(List.of(ChildProcess.javaExecutable(),
                    "-Xmx" + System.getProperty("netstack.broker.heap", DEFAULT_HEAP),
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dlog4j2.configurationFile=" + log4j,
                    "-D" + BrokerMain.PARENT_PID + "=" + ProcessHandle.current().pid(),
                    "-cp", classes + File.pathSeparator + lib + File.separator + "*",
                    BrokerMain.class.getName(), abs.toString(), String.valueOf(port), String.valueOf(controllerPort)));
            ChildProcess child = ChildProcess.start("kafka broker", cmd, abs, abs.resolve("broker.out"));
            KafkaBrokerProcess broker = new KafkaBrokerProcess(child, "127.0.0.1:" + port, abs);
            broker.repoRoot = repoRoot;
            broker.port = port;
            broker.controllerPort = controllerPort;
            try {
                child.awaitLine(l -> l.startsWith(BrokerMain.READY), timeout);
            } catch (RuntimeException e) {
                broker.stop();
                throw e;
            }
            return broker;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** host:port of the PLAINTEXT listener. */
    public String bootstrapServers() { return bootstrap; }

    public long pid() { return child.pid(); }

    public Path dataDir() { return dataDir; }

    public ChildProcess process() { return child; }

    private Path repoRoot;
    private int port;
    private int controllerPort;

    /**
     * A broker restart (the chaos test's): the process is stopped (SIGTERM, or SIGKILL when
     * {@code kill}), then started again on the same ports with the same data, so clients
     * reconnect to the same bootstrap address and every committed record is still there.
     */
    public synchronized void restart(boolean kill, Duration timeout) {
        if (kill) {
            child.process().destroyForcibly();
            try {
                child.process().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            stop();
        }
        child = launch(dataDir, repoRoot, port, controllerPort, timeout).child;
    }

    /** Destroys the broker process (SIGTERM, SIGKILL after 15 s) and waits for it to end. */
    public void stop() { child.stop(Duration.ofSeconds(15)); }

    @Override public void close() { stop(); }
}
