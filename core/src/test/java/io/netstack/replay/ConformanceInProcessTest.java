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
 * project's own judge ({@link Judge#builtIn()}): the public scenarios (conformance/public) and
 * those recorded on this project's harness (conformance/recorded), both in the repository, so
 * that a clone with nothing beside it checks its conformance. conformance/known-failures.txt
 * lists the scenarios that do not pass yet as {@code public/<name>} and {@code recorded/<name>};
 * the list may only shrink (see {@link KnownFailures}).
 *
 * <p>A corpus outside the repository ({@code -Dnetstack.conformance=DIR}, else
 * ../shared/conformance beside it, if there) is replayed as well, as an extra: its known
 * failures are listed as {@code shared/<name>}; without it that part is skipped, saying so.
 */
class ConformanceInProcessTest {

    static Path repoRoot() {
        // Surefire runs in the module's directory (core/); the repository root is its parent.
        Path here = Paths.get("").toAbsolutePath();
        return Files.isRegularFile(here.resolve("mvnw")) ? here : here.getParent();
    }

    /** The corpus outside the repository, if any: -Dnetstack.conformance, else ../shared/conformance. */
    static Path outsideCorpus() {
        String prop = System.getProperty("netstack.conformance");
        return prop != null && !prop.isBlank() ? Paths.get(prop).toAbsolutePath()
                : repoRoot().resolve("../shared/conformance").normalize();
    }

    /** The scenario directories: under scenarios/ if the root has one, else directly under the root. */
    static List<Path> scenarioDirs(Path root) throws IOException {
        Path base = Files.isDirectory(root.resolve("scenarios")) ? root.resolve("scenarios") : root;
        if (!Files.isDirectory(base)) return List.of();
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(Scenario::isScenario).sorted().toList();
        }
    }

    /** The public scenarios (recorded on Linux 6.18), copied into conformance/public. */
    @TestFactory
    Stream<DynamicTest> replayEveryPublicScenarioInProcess() throws IOException {
        return replayCorpus(repoRoot().resolve("conformance/public"), "public/");
    }

    /** The scenarios recorded on a real kernel by tools/make_scenarios.py (conformance/recorded). */
    @TestFactory
    Stream<DynamicTest> replayEveryRecordedScenarioInProcess() throws IOException {
        return replayCorpus(repoRoot().resolve("conformance/recorded"), "recorded/");
    }

    /** An extra: the corpus beside the repository (or -Dnetstack.conformance), when there is one. */
    @TestFactory
    Stream<DynamicTest> replayTheCorpusOutsideTheRepositoryIfAny() throws IOException {
        Path root = outsideCorpus();
        List<Path> dirs = scenarioDirs(root);
        if (dirs.isEmpty()) {
            return skipped("no corpus outside the repository at " + root + " (an optional extra;"
                    + " conformance/public and conformance/recorded are checked without it)");
        }
        return replayAll(dirs, "shared/");
    }

    /** Every scenario of a corpus in the repository: a missing or empty corpus fails (it is part of the clone). */
    private static Stream<DynamicTest> replayCorpus(Path corpus, String prefix) throws IOException {
        List<Path> dirs = scenarioDirs(corpus);
        if (dirs.isEmpty()) {
            return Stream.of(DynamicTest.dynamicTest(prefix + "corpus", () -> fail("no scenario under " + corpus)));
        }
        return replayAll(dirs, prefix);
    }

    private static Stream<DynamicTest> replayAll(List<Path> dirs, String prefix) throws IOException {
        Judge judge = Judge.builtIn();
        KnownFailures known = KnownFailures.read(repoRoot().resolve("conformance/known-failures.txt"));
        Path out = Paths.get("target", "conformance-in-process").toAbsolutePath();
        // -Dnetstack.only=SUBSTRING replays only the scenarios whose name contains it (while fixing one).
        String only = System.getProperty("netstack.only", "");
        return dirs.stream().filter(d -> d.getFileName().toString().contains(only)).map(dir -> DynamicTest.dynamicTest(prefix + dir.getFileName(), () -> {
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
