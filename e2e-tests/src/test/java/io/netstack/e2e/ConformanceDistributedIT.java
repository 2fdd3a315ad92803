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
import org.junit.jupiter.api.Assumptions;
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
 * by side; each judged by the corpus's compare.py with the rule of
 * conformance/known-failures.txt (the same list as in-process: the runtime must behave as the
 * in-process stack does, so a scenario that passes in-process and fails here is a bug).
 *
 * <p>Scenarios: {@code -Dnetstack.conformance=DIR} (a corpus root with scenarios/, or a folder of
 * scenario directories), else ../shared/conformance/scenarios beside the repository; plus every
 * scenario under conformance/recorded/ of the repository if it exists. Without a corpus the
 * test is reported as skipped, never passed.
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

    static List<Path> scenarioDirs(Path repo) throws IOException {
        String prop = System.getProperty("netstack.conformance");
        Path root = prop != null && !prop.isBlank() ? Path.of(prop).toAbsolutePath()
                : repo.resolve("../shared/conformance/scenarios").normalize();
        List<Path> dirs = new ArrayList<>();
        for (Path base : List.of(Files.isDirectory(root.resolve("scenarios")) ? root.resolve("scenarios") : root,
                repo.resolve("conformance/recorded"))) {
            if (!Files.isDirectory(base)) continue;
            try (Stream<Path> s = Files.list(base)) {
                s.filter(Scenario::isScenario).sorted().forEach(dirs::add);
            }
        }
        return dirs;
    }

    /** The folder holding compare.py: above the scenario, else the shared corpus's. */
    static Path compareDir(Path scenario, Path repo) {
        Path p = scenario.toAbsolutePath().normalize().getParent();
        for (int i = 0; i < 4 && p != null; i++, p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("compare.py"))) return p;
        }
        Path shared = repo.resolve("../shared/conformance").normalize();
        return Files.isRegularFile(shared.resolve("compare.py")) ? shared : null;
    }

    record Replayed(Scenario scenario, DistributedReplay.Run run) {}

    @TestFactory
    Stream<DynamicTest> replayEveryScenarioThroughTheRunningStack() throws IOException {
        Path repo = RepoRoot.find();
        List<Path> dirs = scenarioDirs(repo);
        if (dirs.isEmpty()) {
            String why = "no conformance scenarios (set -Dnetstack.conformance=DIR): distributed conformance NOT checked";
            System.out.println("[conformance-distributed] SKIPPED: " + why);
            return Stream.of(DynamicTest.dynamicTest("conformance corpus", () -> Assumptions.abort(why)));
        }
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
        for (Path dir : dirs) {
            runs.put(dir.toString(), pool.submit(() -> {
                Scenario s = Scenario.load(dir);
                return new Replayed(s, replay.run(s, e -> { }));
            }));
        }
        long[] lastDone = {t0};

        List<DynamicTest> tests = new ArrayList<>();
        for (Path dir : dirs) {
            // Recorded scenarios are listed in known-failures.txt as "recorded/<name>", as in-process.
            String name = (dir.getParent().getFileName().toString().equals("recorded") ? "recorded/" : "")
                    + dir.getFileName().toString();
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
                Path compare = compareDir(dir, repo);
                if (compare == null) fail(name + ": no compare.py to judge with: NOT judged");
                Judge judge = new Judge(compare);
                Assumptions.assumeTrue(judge.available(), "python3 does not run: " + name + " NOT judged");
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
