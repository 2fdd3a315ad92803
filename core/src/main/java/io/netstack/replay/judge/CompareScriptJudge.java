package io.netstack.replay.judge;

import io.netstack.replay.Judge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An external judge: {@code python3 compare.py SCENARIO_DIR result.json -q}, the compare.py a
 * corpus may come with (the public corpus's ../shared/conformance/compare.py). The project judges
 * with {@link Judge#builtIn()}; this one is for `netstack replay --compare PATH` and for the
 * test that holds the built-in judge to the reference one. Without python3 the verdict says
 * that it could not judge; it never passes by default.
 */
public final class CompareScriptJudge implements Judge {

    private final Path compareScript;
    private final String python;

    /**
     * @param compareScriptOrDir compare.py, or the folder holding it and its decode.py
     * @param python             the interpreter, "python3" on the PATH unless told
     */
    public CompareScriptJudge(Path compareScriptOrDir, String python) {
        this.compareScript = Files.isDirectory(compareScriptOrDir) ? compareScriptOrDir.resolve("compare.py") : compareScriptOrDir;
        this.python = python;
    }

    /** python3 from the PATH, or $NETSTACK_PYTHON. */
    public CompareScriptJudge(Path compareScriptOrDir) {
        this(compareScriptOrDir, System.getenv().getOrDefault("NETSTACK_PYTHON", "python3"));
    }

    public Path compareScript() { return compareScript; }

    @Override
    public String name() { return python + " " + compareScript; }

    /** Whether the script exists and the interpreter runs at all. */
    public boolean available() {
        if (!Files.isRegularFile(compareScript)) return false;
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
    @Override
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
