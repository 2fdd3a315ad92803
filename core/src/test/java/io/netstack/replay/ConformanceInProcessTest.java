package io.netstack.replay;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.fail;

/**
 * The conformance corpus replayed in-process, one test per scenario, each judged by the
 * corpus's compare.py. conformance/known-failures.txt lists the scenarios that do not pass
 * yet; the list may only shrink (see {@link KnownFailures}).
 *
 * <p>The corpus is at {@code -Dnetstack.conformance=DIR}, else at ../shared/conformance beside
 * the repository. Without it the tests are skipped (reported as aborted), never passed.
 */
class ConformanceInProcessTest {

    static Path repoRoot() {
        // Surefire runs in the module's directory (core/); the repository root is its parent.
        Path here = Paths.get("").toAbsolutePath();
        return Files.isRegularFile(here.resolve("mvnw")) ? here : here.getParent();
    }

    static Path conformanceRoot() {
        String prop = System.getProperty("netstack.conformance");
        return prop != null && !prop.isBlank() ? Paths.get(prop).toAbsolutePath()
                : repoRoot().resolve("../shared/conformance").normalize();
    }

    /** The scenario directories: under scenarios/ if the root has one, else directly under the root. */
    static List<Path> scenarioDirs(Path root) throws IOException {
        Path base = Files.isDirectory(root.resolve("scenarios")) ? root.resolve("scenarios") : root;
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(Scenario::isScenario).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> replayEveryScenarioInProcess() throws IOException {
        Path root = conformanceRoot();
        if (!Files.isDirectory(root)) {
            return skipped("no conformance corpus at " + root + " (set -Dnetstack.conformance=DIR): conformance NOT checked");
        }
        List<Path> dirs = scenarioDirs(root);
        if (dirs.isEmpty()) return skipped("no scenario under " + root + ": conformance NOT checked");
        return replayAll(root, dirs, "");
    }

    /**
     * The scenarios recorded on a real kernel by tools/make_scenarios.py (conformance/recorded/ in this
     * repository), judged by the same compare.py. Their known failures are listed in the same
     * known-failures.txt with the prefix {@code recorded/}.
     */
    @TestFactory
    Stream<DynamicTest> replayEveryRecordedScenarioInProcess() throws IOException {
        Path root = conformanceRoot();
        if (!Files.isRegularFile(root.resolve("compare.py"))) {
            return skipped("no compare.py at " + root + " (set -Dnetstack.conformance=DIR): recorded scenarios NOT checked");
        }
        Path recorded = repoRoot().resolve("conformance/recorded");
        if (!Files.isDirectory(recorded)) return skipped("no " + recorded + ": recorded scenarios NOT checked");
        List<Path> dirs = scenarioDirs(recorded);
        if (dirs.isEmpty()) return skipped("no scenario under " + recorded);
        return replayAll(root, dirs, "recorded/");
    }

    private static Stream<DynamicTest> replayAll(Path root, List<Path> dirs, String prefix) throws IOException {
        Judge judge = new Judge(root);
        boolean pythonRuns = judge.available();
        KnownFailures known = KnownFailures.read(repoRoot().resolve("conformance/known-failures.txt"));
        Path out = Paths.get("target", "conformance-in-process").toAbsolutePath();
        // -Dnetstack.only=SUBSTRING replays only the scenarios whose name contains it (while fixing one).
        String only = System.getProperty("netstack.only", "");
        return dirs.stream().filter(d -> d.getFileName().toString().contains(only)).map(dir -> DynamicTest.dynamicTest(prefix + dir.getFileName(), () -> {
            if (!pythonRuns) {
                fail("python3 does not run, so compare.py cannot judge " + dir.getFileName()
                        + ": install python3 (or set NETSTACK_PYTHON); the scenario is NOT judged");
            }
            String name = prefix + dir.getFileName();
            Path outDir = out.resolve(name);
            Judge.Verdict verdict = replayAndJudge(dir, outDir, judge);
            if (verdict.status() == Judge.Status.ERROR && !known.contains(name)) {
                fail(name + ": could not be judged:\n  " + String.join("\n  ", verdict.differences()));
            }
            switch (known.outcome(name, verdict.passed())) {
                case PASS -> { }
                case KNOWN_FAILURE -> System.out.println("[conformance] " + name + ": known failure ("
                        + verdict.differences().size() + " difference(s))");
                case NEW_FAILURE -> fail(name + " does not match Linux (and is not in conformance/known-failures.txt):\n  "
                        + String.join("\n  ", verdict.differences()) + "\n  result: " + outDir.resolve("result.json"));
                case NOW_PASSES -> fail(name + " now passes: remove it from conformance/known-failures.txt");
            }
        }));
    }

    /** One test that is reported as skipped with why (an aborted factory would report nothing at all). */
    private static Stream<DynamicTest> skipped(String why) {
        System.out.println("[conformance] SKIPPED: " + why);
        return Stream.of(DynamicTest.dynamicTest("conformance corpus", () -> Assumptions.abort(why)));
    }

    /** Replays, writes result.json + out-*.pcap under {@code outDir}, judges; a throwing replay is a failure. */
    static Judge.Verdict replayAndJudge(Path dir, Path outDir, Judge judge) throws IOException {
        Scenario s = Scenario.load(dir);
        ReplayResult r;
        try {
            r = InProcessReplay.run(s);
        } catch (RuntimeException e) {
            StringWriter w = new StringWriter();
            e.printStackTrace(new PrintWriter(w));
            return new Judge.Verdict(Judge.Status.FAIL, List.of("the replay threw: " + w));
        }
        ResultJson.write(outDir, r, s.host().interfaces().stream().map(i -> i.name()).toList());
        return judge.judge(dir, outDir.resolve("result.json"));
    }
}
