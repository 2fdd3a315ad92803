package io.netstack.cli;

import io.netstack.replay.Judge;
import io.netstack.replay.ReplayResult;
import io.netstack.replay.ResultJson;
import io.netstack.replay.Scenario;
import io.netstack.replay.ScenarioException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * `netstack replay SCENARIO_DIR... --out DIR [--in-process]`: replays each scenario (on the
 * distributed stack unless --in-process: the one `netstack up` started, else one started for the
 * command; several scenarios side by side, each its own host), writes
 * DIR/&lt;scenario&gt;/result.json and out-&lt;iface&gt;.pcap, and judges each against its
 * expected.json with the project's own judge ({@link Judge#builtIn()}; an external compare.py
 * with --compare). Exit 0 when every judged scenario passed, 1 when
 * any failed or could not be judged or loaded, 2 on a usage error.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay conformance scenarios and judge them against what Linux did.",
                "A directory that is not a scenario but holds scenarios (at any depth) is replayed whole."})
public final class ReplayCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "SCENARIO_DIR", description = "scenario directories (FORMAT.md)")
    List<Path> dirs;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "out/replay",
            description = "where DIR/<scenario>/result.json and out-<iface>.pcap go (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--in-process", description = "run the five layers in this process (no broker)")
    boolean inProcess;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
            description = "distributed: scenarios replayed side by side, each on its own host (default: ${DEFAULT-VALUE})")
    int parallel = 4;

    @CommandLine.Mixin
    StackOptions stack = new StackOptions();

    @Option(names = "--compare", paramLabel = "COMPARE_PY",
            description = "judge with this external compare.py (python3) instead of the built-in judge")
    Path compare;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Path> scenarios = expand(dirs, err);
        if (scenarios == null) return 2;
        Judge judge = compare != null ? Judge.compareScript(compare.toAbsolutePath()) : Judge.builtIn();
        ReplayBackend backend;
        try {
            backend = backend(inProcess, stack, parallel, err);
        } catch (IllegalArgumentException e) {
            err.println("netstack: " + e.getMessage());
            err.flush();
            return 2;
        } catch (RuntimeException e) {
            err.println("netstack: the distributed stack did not start: " + e.getMessage());
            err.flush();
            return 1;
        }
        long t0 = System.nanoTime();
        int passed = 0;
        int failed = 0;
        int unjudged = 0;
        boolean timed = !inProcess;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, backend.parallelism()), r -> {
            Thread t = new Thread(r, "replay");
            t.setDaemon(true);
            return t;
        });
        try (backend) {
            // Load every scenario first (a load error is reported in order), then replay side by side.
            List<Object> loaded = new ArrayList<>();
            for (Path dir : scenarios) {
                try {
                    loaded.add(Scenario.load(dir));
                } catch (ScenarioException e) {
                    loaded.add(e);
                }
            }
            List<Future<ReplayBackend.Replayed>> runs = new ArrayList<>();
            for (Object l : loaded) {
                if (l instanceof Scenario s) runs.add(pool.submit(() -> backend.run(s, e -> { })));
                else runs.add(null);
            }
            for (int i = 0; i < scenarios.size(); i++) {
                Path dir = scenarios.get(i);
                String name = dir.toAbsolutePath().normalize().getFileName().toString();
                if (loaded.get(i) instanceof ScenarioException e) {
                    o.println("FAIL " + name + ": cannot load: " + e.getMessage());
                    failed++;
                    continue;
                }
                Scenario s = (Scenario) loaded.get(i);
                ReplayBackend.Replayed run;
                try {
                    run = runs.get(i).get();
                } catch (ExecutionException e) {
                    o.println("FAIL " + name + ": the replay threw " + e.getCause());
                    failed++;
                    continue;
                }
                ReplayResult r = run.result();
                String time = timed ? String.format("  [%.1f s]", run.wallTime().toMillis() / 1000.0) : "";
                Path target = out.resolve(name);
                ResultJson.write(target, r, s.host().interfaces().stream().map(itf -> itf.name()).toList());
                if (!Files.isRegularFile(dir.resolve("expected.json"))) {
                    o.println("DONE " + name + ": no expected.json to judge against; wrote " + target + time);
                    unjudged++;
                } else {
                    Judge.Verdict v = judge.judge(dir, target.resolve("result.json"));
                    if (v.passed()) {
                        o.println("PASS " + name + time);
                        passed++;
                    } else {
                        o.println("FAIL " + name + (v.status() == Judge.Status.ERROR ? ": NOT judged"
                                : " (" + v.differences().size() + " difference(s), result in " + target + ")") + time);
                        for (String d : v.differences()) o.println("    " + d);
                        failed++;
                    }
                }
                for (String note : run.notes()) o.println("    note: " + note);
                // An skb Linux too would still hold at the end (arp_queue, reassembly) is named with the fate it met later.
                for (ReplayResult.Held h : r.accounting().held()) o.println("    note: " + h.describe());
                if (run.notes().isEmpty() && r.accounting().unaccounted() != 0) {
                    o.println("    note: " + r.accounting().unaccounted() + " skb(s) without a fate at the end");
                }
                o.flush();
            }
        } finally {
            pool.shutdownNow();
        }
        String wall = timed ? String.format(" in %.1f s", (System.nanoTime() - t0) / 1e9) : "";
        o.println(scenarios.size() + " scenario(s) on " + backend.name() + wall + ": " + passed + " passed, " + failed + " failed"
                + (unjudged > 0 ? ", " + unjudged + " not judged (no expected.json)" : "")
                + (compare != null ? " (judged by " + judge.name() + ")" : "") + "; results in " + out);
        o.flush();
        return failed > 0 ? 1 : 0;
    }

    /**
     * The backend the options ask for: in this process, or the distributed stack (the one
     * `netstack up` started, else one started here and stopped at the end).
     */
    static ReplayBackend backend(boolean inProcess, StackOptions stack, int parallel, PrintWriter err) {
        if (inProcess) return new InProcessBackend();
        stack.builder(); // the options are checked before anything starts
        return DistributedBackend.open(stack, Math.max(1, parallel), err);
    }

    /**
     * Each argument: a scenario directory, or a directory holding scenario directories at any
     * depth (conformance/ holds public/ and recorded/), in path order.
     */
    static List<Path> expand(List<Path> dirs, PrintWriter err) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            if (Scenario.isScenario(d)) {
                out.add(d);
                continue;
            }
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.walk(d)) {
                    List<Path> inner = s.filter(p -> !p.equals(d) && Scenario.isScenario(p)).sorted().toList();
                    if (!inner.isEmpty()) {
                        out.addAll(inner);
                        continue;
                    }
                }
            }
            err.println("netstack: " + d + " is not a scenario directory (no scenario.yaml) and holds none");
            err.flush();
            return null;
        }
        return out;
    }
}
