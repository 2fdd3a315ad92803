package io.netstack.cli;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.StackLauncher;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The state file of a stack started by {@code netstack up} ({@code <repo>/.netstack/stack.json},
 * or {@code -Dnetstack.state=FILE}): where its broker listens and which processes make it up,
 * so that {@code replay}, {@code demo} and {@code trace} in another terminal use it and
 * {@code down} stops it. Each process is recorded with its start instant, so a pid the system
 * has since given to another process is never signalled.
 */
public record StackState(long launcherPid, String launcherStart, String bootstrapServers, String delivery, int cpus,
                         String runDir, String startedAt, List<Proc> processes) {

    /** One process of the stack: the broker or a service instance (layer empty for the broker). */
    public record Proc(String name, String layer, long pid, String start, int port) {
        /** The service's HTTP endpoint (readiness, Prometheus); empty for the broker. */
        public String url() { return port > 0 ? "http://127.0.0.1:" + port : ""; }
    }

    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** The state file's path. */
    public static Path file() {
        String p = System.getProperty("netstack.state");
        if (p != null && !p.isBlank()) return Path.of(p).toAbsolutePath();
        Path root;
        try {
            root = RepoRoot.find();
        } catch (IllegalStateException notInRepo) {
            root = Path.of("").toAbsolutePath();
        }
        return root.resolve(".netstack").resolve("stack.json");
    }

    /** The state of a started launcher (this process) and its stack. */
    public static StackState of(StackLauncher stack, String delivery, int cpus) {
        List<Proc> procs = new ArrayList<>();
        procs.add(new Proc("broker", "", stack.broker().pid(), startOf(stack.broker().pid()), 0));
        for (StackLauncher.Service s : stack.services()) {
            procs.add(new Proc(s.instance(), s.layer(), s.pid(), startOf(s.pid()), s.port()));
        }
        long self = ProcessHandle.current().pid();
        return new StackState(self, startOf(self), stack.bootstrapServers(), delivery, cpus,
                stack.runDir().toAbsolutePath().toString(), Instant.now().toString(), List.copyOf(procs));
    }

    static String startOf(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).map(Instant::toString).orElse("");
    }

    /** Whether {@code pid} is alive and still the process that was recorded (same start instant). */
    static boolean sameProcessAlive(long pid, String start) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return false;
        if (start == null || start.isEmpty()) return true;
        return h.get().info().startInstant().map(i -> i.toString().equals(start)).orElse(true);
    }

    /** Whether the launcher that wrote the file still runs (so the stack is up). */
    public boolean launcherAlive() {
        return sameProcessAlive(launcherPid, launcherStart);
    }

    public Optional<ProcessHandle> launcher() {
        return launcherAlive() ? ProcessHandle.of(launcherPid) : Optional.empty();
    }

    public void write(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("launcherPid", launcherPid).put("launcherStart", launcherStart)
                .put("bootstrapServers", bootstrapServers).put("delivery", delivery).put("cpus", cpus)
                .put("runDir", runDir).put("startedAt", startedAt);
        ArrayNode ps = root.putArray("processes");
        for (Proc p : processes) {
            ps.addObject().put("name", p.name()).put("layer", p.layer()).put("pid", p.pid())
                    .put("start", p.start()).put("port", p.port());
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(root) + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Adds a top-level string entry to the state file (the socket API's "socketApi" host:port,
     * which `netstack nc` reads); the rest of the file is kept.
     */
    public static void putEntry(Path file, String key, String value) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(file));
        root.put(key, value);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(root) + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The recorded stack, if the file exists and reads. */
    public static Optional<StackState> read(Path file) {
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            JsonNode n = JSON.readTree(Files.readString(file));
            List<Proc> procs = new ArrayList<>();
            for (JsonNode p : n.path("processes")) {
                procs.add(new Proc(p.path("name").asString(), p.path("layer").asString(), p.path("pid").asLong(),
                        p.path("start").asString(), p.path("port").asInt()));
            }
            return Optional.of(new StackState(n.path("launcherPid").asLong(), n.path("launcherStart").asString(),
                    n.path("bootstrapServers").asString(), n.path("delivery").asString(), n.path("cpus").asInt(),
                    n.path("runDir").asString(), n.path("startedAt").asString(), List.copyOf(procs)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The stack recorded in the default file, if its launcher still runs. */
    public static Optional<StackState> running() {
        return read(file()).filter(StackState::launcherAlive);
    }

    /** The first instance of a layer, if recorded. */
    public Optional<Proc> service(String layer) {
        return processes.stream().filter(p -> p.layer().equals(layer)).findFirst();
    }
}
