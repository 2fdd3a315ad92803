package io.netstack.launcher;

import io.netstack.stack.LayerName;
import io.netstack.broker.ChildProcess;
import io.netstack.broker.FreePorts;
import io.netstack.broker.KafkaBrokerProcess;
import io.netstack.broker.RepoRoot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The distributed stack on one machine: a Kafka broker ({@link KafkaBrokerProcess}) and the five
 * services, each JVM a child process started from {@code <module>/target/<module>.jar}, with its
 * console in {@code <runDir>/<instance>.log}. {@link #start()} returns once every service said
 * "netstack &lt;layer&gt; ready on port N"; {@link #stop()} (also run by a shutdown hook, so
 * Ctrl-C leaves nothing behind) ends every process it started: SIGTERM, then SIGKILL.
 *
 * <pre>{@code
 * try (StackLauncher stack = StackLauncher.builder().runDir(dir).build().start()) {
 *     StackClient client = stack.client();
 *     ...
 * }
 * }</pre>
 */
public final class StackLauncher implements AutoCloseable {

    /** One running service instance. */
    public record Service(String layer, String instance, int port, ChildProcess process) {
        public long pid() { return process.pid(); }
        public Path log() { return process.log(); }
        /** http://127.0.0.1:port: /actuator/health/readiness, /actuator/prometheus. */
        public String url() { return "http://127.0.0.1:" + port; }
    }

    private final Builder config;
    private final List<Service> services = Collections.synchronizedList(new ArrayList<>());
    private KafkaBrokerProcess broker;
    private Thread shutdownHook;
    private Duration startupTime = Duration.ZERO;

    private StackLauncher(Builder config) {
        this.config = config;
    }

    public static Builder builder() { return new Builder(); }

    /** Starts the broker, then all services at once, and waits until every one is ready. */
    public StackLauncher start() {
        long t0 = System.nanoTime();
        shutdownHook = new Thread(this::stopQuietly, "netstack-launcher-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            Files.createDirectories(config.runDir);
            broker = KafkaBrokerProcess.start(config.runDir.resolve("broker"), config.repoRoot, config.readyTimeout);
            for (Map.Entry<String, Integer> e : config.scale.entrySet()) {
                for (int i = 1; i <= e.getValue(); i++) services.add(launch(e.getKey(), e.getKey() + "-" + i));
            }
            awaitReady();
            writePrometheusTargets(config.runDir.resolve(PROMETHEUS_TARGETS));
            startupTime = Duration.ofNanos(System.nanoTime() - t0);
            return this;
        } catch (IOException e) {
            stopQuietly();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            stopQuietly();
            throw e;
        }
    }

    private Service launch(String layer, String instance) {
        return launch(layer, instance, List.of());
    }

    private Service launch(String layer, String instance, List<String> extraArgs) {
        String module = layer + "-service";
        Path jar = config.repoRoot.resolve(module).resolve("target").resolve(module + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": run ./mvnw -B package -DskipTests first");
        }
        int port = FreePorts.next();
        List<String> cmd = new ArrayList<>();
        cmd.add(ChildProcess.javaExecutable());
        cmd.add("-Xmx" + config.serviceHeap);
        cmd.addAll(config.jvmArgs);
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add("--spring.kafka.bootstrap-servers=" + broker.bootstrapServers());
        cmd.add("--server.port=" + port);
        cmd.add("--netstack.instance=" + instance);
        cmd.add("--netstack.delivery=" + config.delivery);
        cmd.add("--netstack.cpus=" + config.cpus);
        cmd.add("--netstack.parent-pid=" + ProcessHandle.current().pid());
        cmd.addAll(config.serviceArgs);
        cmd.addAll(extraArgs);
        ChildProcess p = ChildProcess.start(instance, cmd, config.runDir, config.runDir.resolve(instance + ".log"));
        return new Service(layer, instance, port, p);
    }

    private void awaitReady() {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, services.size()));
        try {
            List<Future<?>> waits = new ArrayList<>();
            for (Service s : services) {
                String line = "netstack " + s.layer() + " ready on port " + s.port();
                waits.add(pool.submit(() -> s.process().awaitLine(l -> l.contains(line), config.readyTimeout)));
            }
            for (Future<?> w : waits) {
                try {
                    w.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) throw r;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while the stack started", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The file_sd file the launcher writes in its run directory (deploy/prometheus/prometheus.yml reads .netstack/prometheus-targets*.json). */
    public static final String PROMETHEUS_TARGETS = "prometheus-targets.json";

    /**
     * Writes a Prometheus file_sd targets file: one group per service, target 127.0.0.1:port,
     * labels layer and member (the instance name). Written to a temporary file and moved, as
     * Prometheus re-reads the file whenever it changes.
     */
    public void writePrometheusTargets(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, prometheusTargets(services()));
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file_sd JSON for these services. */
    public static String prometheusTargets(List<Service> services) {
        StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < services.size(); i++) {
            Service s = services.get(i);
            b.append("  {\"targets\": [\"127.0.0.1:").append(s.port()).append("\"], \"labels\": {\"layer\": \"")
                    .append(s.layer()).append("\", \"member\": \"").append(s.instance()).append("\"}}")
                    .append(i + 1 < services.size() ? ",\n" : "\n");
        }
        return b.append("]\n").toString();
    }

    public String bootstrapServers() { return broker.bootstrapServers(); }

    public KafkaBrokerProcess broker() { return broker; }

    public List<Service> services() { return List.copyOf(services); }

    /** The first instance of a layer. */
    public Service service(String layer) {
        return services().stream().filter(s -> s.layer().equals(layer)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no " + layer + " service"));
    }

    public Path runDir() { return config.runDir; }

    /** The line a socket service prints when its gRPC socket API listens (SocketApiServer.API_ON). */
    public static final String SOCKET_API_ON = "netstack socket api on port ";

    /**
     * The gRPC socket API of every socket-service instance, comma-separated ("h:p1,h:p2", what
     * NetstackApi.connect takes): every instance serves it, each for the hosts it owns, and a
     * client that knows them all goes on when one dies.
     */
    public String socketApiAddress() {
        return String.join(",", socketApiAddresses());
    }

    /** host:port of each socket-service instance's API, in instance order. */
    public List<String> socketApiAddresses() {
        return instances("socket").stream().map(s -> "127.0.0.1:" + socketApiPort(s)).toList();
    }

    /** The port of an instance's socket API, from the line it printed before it was ready. */
    public int socketApiPort(Service s) {
        String line = s.process().awaitLine(l -> l.contains(SOCKET_API_ON), Duration.ofSeconds(10));
        return Integer.parseInt(line.substring(line.indexOf(SOCKET_API_ON) + SOCKET_API_ON.length()).trim());
    }

    // ---- faults (netstack chaos) ----

    /** SIGKILL: the instance ends at once, mid-transaction if it was in one. */
    public void kill(Service s) {
        s.process().process().destroyForcibly();
        try {
            s.process().process().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM, waiting for an orderly exit (SIGKILL after the grace period). */
    public void terminate(Service s) { s.process().stop(config.grace); }

    /** SIGSTOP (freeze) or SIGCONT (thaw) through kill(1). */
    public void signal(Service s, String signal) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(s.pid())).inheritIO().start();
            if (p.waitFor() != 0) throw new IllegalStateException("kill -" + signal + " " + s.pid() + " failed");
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts an instance again under its name (a stopped or killed one): the same name is the
     * same group.instance.id and transactional.id, so it fences its predecessor's open
     * transaction and, inside the session timeout, gets its partitions back without a rebalance.
     * A socket instance keeps its API port, so the clients that knew it find it again. Returns
     * once it is ready.
     */
    public Service restart(Service s) {
        List<String> extra = List.of();
        if ("socket".equals(s.layer())) {
            try {
                extra = List.of("--netstack.socket.api-port=" + socketApiPort(s));
            } catch (IllegalStateException neverListened) {
                // it died before its API was up: a fresh port
            }
        }
        if (s.process().isAlive()) kill(s);
        Service fresh = launch(s.layer(), s.instance(), extra);
        services.set(services.indexOf(s), fresh);
        String line = "netstack " + fresh.layer() + " ready on port " + fresh.port();
        fresh.process().awaitLine(l -> l.contains(line), config.readyTimeout);
        return fresh;
    }

    /** Every instance of a layer. */
    public List<Service> instances(String layer) {
        return services().stream().filter(s -> s.layer().equals(layer)).toList();
    }

    /** The broker stopped (SIGTERM, or SIGKILL) and started again on its ports with its data. */
    public void restartBroker(boolean kill) { broker.restart(kill, config.readyTimeout); }

    /** From {@link #start()} to every service ready. */
    public Duration startupTime() { return startupTime; }

    /** A client of this stack's broker; the caller closes it. */
    public StackClient client() { return new StackClient(bootstrapServers()); }

    /** Stops every service, then the broker: SIGTERM, SIGKILL after the grace period. */
    public void stop() {
        stopQuietly();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // already in the hook
            }
        }
    }

    private synchronized void stopQuietly() {
        List<Thread> stopping = new ArrayList<>();
        for (Service s : services()) {
            Thread t = new Thread(() -> s.process().stop(config.grace), "stop-" + s.instance());
            t.start();
            stopping.add(t);
        }
        for (Thread t : stopping) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (broker != null) broker.stop();
    }

    @Override public void close() { stop(); }

    public static final class Builder {
        private Path repoRoot;
        private Path runDir;
        private final Map<String, Integer> scale = new LinkedHashMap<>();
        private String delivery = "exactly-once";
        private int cpus = 4;
        private String serviceHeap = "256m";
        private List<String> jvmArgs = defaultJvmArgs();
        private final List<String> serviceArgs = new ArrayList<>();
        private Duration readyTimeout = Duration.ofSeconds(120);
        private Duration grace = Duration.ofSeconds(10);

        private Builder() {
            for (String l : LayerName.names()) scale.put(l, 1);
        }

        /**
         * Serial GC and C1 only: six JVMs start quickly on two cores (C2 pays off only in long runs).
         * -Dnetstack.service.jvmArgs="..." replaces them (for a benchmark: "-XX:+UseSerialGC").
         */
        static List<String> defaultJvmArgs() {
            String p = System.getProperty("netstack.service.jvmArgs");
            if (p != null) return p.isBlank() ? List.of() : List.of(p.trim().split("\\s+"));
            return List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k");
        }

        /** The repository whose module jars are started; found from the working directory when not given. */
        public Builder repoRoot(Path repoRoot) { this.repoRoot = repoRoot; return this; }

        /** Where logs and the broker's data go; a new temporary directory when not given. */
        public Builder runDir(Path runDir) { this.runDir = runDir; return this; }

        /** Instances of a layer (0 leaves it out). */
        public Builder scale(String layer, int instances) {
            if (!LayerName.names().contains(layer)) throw new IllegalArgumentException("no layer " + layer + " " + LayerName.names());
            scale.put(layer, instances);
            return this;
        }

        public Builder scale(Map<String, Integer> instances) {
            instances.forEach(this::scale);
            return this;
        }

        /** exactly-once or at-least-once. */
        public Builder delivery(String delivery) { this.delivery = delivery; return this; }

        /** Partitions per data topic: emulated CPUs. */
        public Builder cpus(int cpus) { this.cpus = cpus; return this; }

        public Builder serviceHeap(String heap) { this.serviceHeap = heap; return this; }

        /** JVM options of each service besides -Xmx (default: serial GC, C1 only: quick start on few cores). */
        public Builder jvmArgs(List<String> jvmArgs) { this.jvmArgs = List.copyOf(jvmArgs); return this; }

        /** Extra Spring arguments for every service (--netstack.tick-interval=5ms ...). */
        public Builder serviceArg(String arg) { this.serviceArgs.add(arg); return this; }

        public Builder readyTimeout(Duration t) { this.readyTimeout = t; return this; }

        public Builder grace(Duration g) { this.grace = g; return this; }

        public StackLauncher build() {
            if (repoRoot == null) repoRoot = RepoRoot.find();
            if (runDir == null) {
                try {
                    runDir = Files.createTempDirectory("netstack-run-");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return new StackLauncher(this);
        }
    }
}
