package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.DistributedReplay;
import io.netstack.launcher.EventTail;
import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.replay.Judge;
import io.netstack.replay.KnownFailures;
import io.netstack.replay.ResultJson;
import io.netstack.replay.Scenario;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The whole conformance corpus through ONE running distributed stack (broker + five services,
 * {@link SharedStack}): every scenario a fresh host, its frames on the wire topic one by one,
 * the result collected from the events topic ({@link DistributedReplay}), several scenarios side
 * by side; each judged by the project's own judge ({@link Judge#builtIn()}) with the rule of
 * conformance/known-failures.txt (the same list as in-process: the runtime must behave as the
 * in-process stack does, so a scenario that passes in-process and fails here is a bug).
 *
 * <p>Scenarios: the repository's corpus, conformance/public and conformance/recorded; plus, as
 * an optional extra, a corpus outside it ({@code -Dnetstack.conformance=DIR}: a corpus root with
 * scenarios/ or a folder of scenario directories; else ../shared/conformance/scenarios beside
 * the repository, if there), listed in known-failures.txt as {@code shared/<name>}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SharedStack.class)
class ConformanceDistributedIT {

    /** Scenarios replayed at once (each on its own host). */
    private static final int PARALLEL = Integer.getInteger("netstack.conformance.parallel", 2);
    private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WALL_LIMIT = Duration.ofMinutes(5);

    private StackClient client;
    private EventTail tail;
    private ExecutorService pool;

    @AfterAll
    void close() {
        if (pool != null) pool.shutdownNow();
        if (tail != null) tail.close();
        if (client != null) client.close();
    }

    /** The corpora, each with the prefix its scenarios have in known-failures.txt. */
    static Map<String, Path> corpora(Path repo) {
        Map<String, Path> corpora = new LinkedHashMap<>();
        corpora.put("public/", repo.resolve("conformance/public"));
        corpora.put("recorded/", repo.resolve("conformance/recorded"));
        String prop = System.getProperty("netstack.conformance");
        Path outside = prop != null && !prop.isBlank() ? Path.of(prop).toAbsolutePath()
                : repo.resolve("../shared/conformance/scenarios").normalize();
        corpora.put("shared/", Files.isDirectory(outside.resolve("scenarios")) ? outside.resolve("scenarios") : outside);
        return corpora;
    }

    /** Scenario name as known-failures.txt lists it ("public/icmp-echo-request") to its directory. */
    static Map<String, Path> scenarioDirs(Path repo) throws IOException {
        Map<String, Path> dirs = new LinkedHashMap<>();
        for (Map.Entry<String, Path> corpus : corpora(repo).entrySet()) {
            if (!Files.isDirectory(corpus.getValue())) continue;
            try (Stream<Path> s = Files.list(corpus.getValue())) {
                s.filter(Scenario::isScenario).sorted().forEach(d -> dirs.put(corpus.getKey() + d.getFileName(), d));
            }
        }
        return dirs;
    }

    record Replayed(Scenario scenario, DistributedReplay.Run run) {}

    @TestFactory
    Stream<DynamicTest> replayEveryScenarioThroughTheRunningStack() throws IOException {
        Path repo = RepoRoot.find();
        Map<String, Path> dirs = scenarioDirs(repo);
        assertThat(dirs.keySet()).as("the repository's corpus (conformance/public, conformance/recorded)")
                .anyMatch(n -> n.startsWith("public/")).anyMatch(n -> n.startsWith("recorded/"));
        KnownFailures known = KnownFailures.read(repo.resolve("conformance/known-failures.txt"));
        Path out = repo.resolve("e2e-tests/target/conformance-distributed");

        StackLauncher stack = SharedStack.get();
        client = stack.client();
        tail = EventTail.fromEnd(stack.bootstrapServers());
        DistributedReplay replay = new DistributedReplay(client, tail, FRAME_TIMEOUT);
        pool = Executors.newFixedThreadPool(PARALLEL);

        // Every scenario starts now, PARALLEL at a time; each test below waits for its own.
        long t0 = System.nanoTime();
        Map<String, Future<Replayed>> runs = new LinkedHashMap<>();
        for (Path dir : dirs.values()) {
            runs.put(dir.toString(), pool.submit(() -> {
                Scenario s = Scenario.load(dir);
                return new Replayed(s, replay.run(s, e -> { }));
            }));
        }
        long[] lastDone = {t0};

        List<DynamicTest> tests = new ArrayList<>();
        Judge judge = Judge.builtIn();
        for (Map.Entry<String, Path> scenario : dirs.entrySet()) {
            String name = scenario.getKey();
            Path dir = scenario.getValue();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Replayed r;
                try {
                    r = runs.get(dir.toString()).get(10, TimeUnit.MINUTES);
                } catch (ExecutionException e) {
                    throw new AssertionError(name + ": the replay threw", e.getCause());
                }
                lastDone[0] = Math.max(lastDone[0], System.nanoTime());
                Path target = out.resolve(name);
                ResultJson.write(target, r.run().result(), r.scenario().host().interfaces().stream().map(i -> i.name()).toList());
                System.out.printf("[conformance-distributed] %-45s %5d ms  host %s%s%n", name, r.run().wallTime().toMillis(),
                        r.run().netns(), r.run().notes().isEmpty() ? "" : "  notes: " + r.run().notes());
                Judge.Verdict v = judge.judge(dir, target.resolve("result.json"));
                if (v.status() == Judge.Status.ERROR && !known.contains(name)) {
                    fail(name + ": could not be judged:\n  " + String.join("\n  ", v.differences()));
                }
                switch (known.outcome(name, v.passed())) {
                    case PASS -> { }
                    case KNOWN_FAILURE -> System.out.println("[conformance-distributed] " + name + ": known failure ("
                            + v.differences().size() + " difference(s))");
                    case NEW_FAILURE -> fail(name + " does not match Linux on the distributed stack (and is not in"
                            + " conformance/known-failures.txt):\n  " + String.join("\n  ", v.differences())
                            + (r.run().notes().isEmpty() ? "" : "\n  notes: " + r.run().notes())
                            + "\n  result: " + target.resolve("result.json"));
                    case NOW_PASSES -> fail(name + " now passes: remove it from conformance/known-failures.txt");
                }
            }));
        }
        tests.add(DynamicTest.dynamicTest("wall time", () -> {
            Duration wall = Duration.ofNanos(lastDone[0] - t0);
            System.out.printf("[conformance-distributed] %d scenario(s) through one stack, %d at a time: %.1f s wall%n",
                    dirs.size(), PARALLEL, wall.toMillis() / 1000.0);
            assertThat(wall).as("wall time of the distributed conformance replay").isLessThan(WALL_LIMIT);
        }));
        return tests.stream();
    }
}
