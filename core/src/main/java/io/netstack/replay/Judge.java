package io.netstack.replay;

import io.netstack.replay.judge.CompareScriptJudge;
import io.netstack.replay.judge.ResultComparison;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Judges a replay's result.json against a scenario's expected.json (conformance/README.md
 * "Judging"). The project's own judge, {@link #builtIn()}, needs nothing outside the
 * repository; {@link #compareScript(Path)} runs an external compare.py instead (a corpus that
 * comes with its own judge, or a cross-check of ours). A judge never passes what it could not
 * judge: that verdict is {@link Status#ERROR}.
 */
public interface Judge {

    /** The verdict and one line per difference (or, for ERROR, why nothing was judged). */
    record Verdict(Status status, List<String> differences) {
        public boolean passed() { return status == Status.PASS; }
    }

    enum Status {
        PASS,
        FAIL,
        /** Nothing was judged: a file is missing or malformed, or the external judge did not run. */
        ERROR
    }

    /** Judges {@code resultJson} against {@code scenarioDir}/expected.json. */
    Verdict judge(Path scenarioDir, Path resultJson);

    /** Who judges, for a report: "the built-in judge", "python3 /path/compare.py". */
    String name();

    /** The project's own judge ({@link ResultComparison}), in this JVM. */
    static Judge builtIn() {
        return BuiltIn.INSTANCE;
    }

    /**
     * An external compare.py ({@code compare.py REFERENCE CANDIDATE}, exit 0 identical, 1
     * different), run with python3 or $NETSTACK_PYTHON.
     *
     * @param compareScriptOrDir the script, or the folder holding it (and its decode.py)
     */
    static CompareScriptJudge compareScript(Path compareScriptOrDir) {
        return new CompareScriptJudge(compareScriptOrDir);
    }

    /** The built-in judge: expected.json and result.json read, compared, every difference listed. */
    final class BuiltIn implements Judge {
        static final BuiltIn INSTANCE = new BuiltIn();

        private BuiltIn() {}

        @Override
        public Verdict judge(Path scenarioDir, Path resultJson) {
            Path expected = scenarioDir.resolve("expected.json");
            if (!Files.isRegularFile(expected)) {
                return new Verdict(Status.ERROR, List.of("cannot judge: no expected.json in " + scenarioDir));
            }
            List<String> differences;
            try {
                differences = ResultComparison.differences(ResultComparison.load(expected), ResultComparison.load(resultJson));
            } catch (IOException | RuntimeException e) {
                return new Verdict(Status.ERROR, List.of("cannot judge: " + e.getMessage()));
            }
            return differences.isEmpty() ? new Verdict(Status.PASS, List.of()) : new Verdict(Status.FAIL, List.copyOf(differences));
        }

        @Override
        public String name() { return "the built-in judge"; }
    }
}
