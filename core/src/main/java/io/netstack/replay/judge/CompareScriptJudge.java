package io.netstack.replay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Judges a result.json against a scenario's expected.json with the corpus's own judge,
 * {@code python3 compare.py SCENARIO_DIR result.json} (shared/conformance/compare.py): one
 * authority, so the Java side cannot drift from it. Without python3 the verdict says that it
 * could not judge; it never passes by default.
 */
public final class Judge {

    /** The verdict and compare.py's lines (one per difference). */
    public record Verdict(Status status, List<String> differences) {
        public boolean passed() { return status == Status.PASS; }
    }

    public enum Status {
        PASS,
        FAIL,
        /** compare.py could not be run (no python3) or crashed: nothing was judged. */
        ERROR
    }

    private final Path compareScript;
    private final String python;

    /**
     * @param conformanceRoot the folder holding compare.py and decode.py
     * @param python          the interpreter, "python3" on the PATH unless told
     */
    public Judge(Path conformanceRoot, String python) {
        this.compareScript = conformanceRoot.resolve("compare.py");
        this.python = python;
    }

    /** python3 from the PATH, or $NETSTACK_PYTHON. */
    public Judge(Path conformanceRoot) {
        this(conformanceRoot, System.getenv().getOrDefault("NETSTACK_PYTHON", "python3"));
    }

    public Path compareScript() { return compareScript; }

    /** Whether the interpreter runs at all. */
    public boolean available() {
        try {
            Process p = new ProcessBuilder(python, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** compare.py SCENARIO_DIR RESULT_JSON -q: exit 0 identical, 1 differences, else an error. */
    public Verdict judge(Path scenarioDir, Path resultJson) {
        if (!Files.isRegularFile(compareScript)) {
            return new Verdict(Status.ERROR, List.of("cannot judge: " + compareScript + " not found"));
        }
        if (!Files.isRegularFile(scenarioDir.resolve("expected.json"))) {
            return new Verdict(Status.ERROR, List.of("cannot judge: no expected.json in " + scenarioDir));
        }
        Process p;
        try {
            p = new ProcessBuilder(python, compareScript.toString(), scenarioDir.toString(), resultJson.toString(), "-q")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Verdict(Status.ERROR, List.of("cannot judge: '" + python + "' does not run (" + e.getMessage()
                    + "); install python3 or set NETSTACK_PYTHON"));
        }
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Verdict(Status.ERROR, List.of("cannot judge: compare.py did not finish in 120 s"));
            }
            List<String> lines = new ArrayList<>(out.lines().filter(l -> !l.isBlank()).toList());
            int rc = p.exitValue();
            if (rc == 0 && lines.isEmpty()) return new Verdict(Status.PASS, List.of());
            if (rc == 1) return new Verdict(Status.FAIL, List.copyOf(lines));
            lines.add(0, "cannot judge: compare.py exited with " + rc);
            return new Verdict(Status.ERROR, List.copyOf(lines));
        } catch (IOException e) {
            return new Verdict(Status.ERROR, List.of("cannot judge: " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return new Verdict(Status.ERROR, List.of("cannot judge: interrupted"));
        }
    }
}
