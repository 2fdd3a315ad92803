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
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * `netstack replay SCENARIO_DIR... --out DIR --in-process`: replays each scenario, writes
 * DIR/&lt;scenario&gt;/result.json and out-&lt;iface&gt;.pcap, and judges each against its
 * expected.json with the corpus's compare.py. Exit 0 when every judged scenario passed, 1 when
 * any failed or could not be judged or loaded, 2 on a usage error.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay conformance scenarios and judge them against what Linux did.",
                "A directory that is not a scenario but holds scenarios is replayed whole."})
public final class ReplayCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "SCENARIO_DIR", description = "scenario directories (FORMAT.md)")
    List<Path> dirs;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "out/replay",
            description = "where DIR/<scenario>/result.json and out-<iface>.pcap go (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--in-process", description = "run the five layers in this process (no broker)")
    boolean inProcess;

    @Option(names = "--compare", paramLabel = "COMPARE_PY",
            description = "the compare.py to judge with (default: the one in a folder above the scenario)")
    Path compare;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ReplayBackend backend = backend(inProcess, err);
        if (backend == null) return 2;
        List<Path> scenarios = expand(dirs, err);
        if (scenarios == null) return 2;
        int passed = 0;
        int failed = 0;
        int unjudged = 0;
        try (backend) {
            for (Path dir : scenarios) {
                String name = dir.toAbsolutePath().normalize().getFileName().toString();
                Scenario s;
                try {
                    s = Scenario.load(dir);
                } catch (ScenarioException e) {
                    o.println("FAIL " + name + ": cannot load: " + e.getMessage());
                    failed++;
                    continue;
                }
                ReplayResult r;
                try {
                    r = backend.replay(s, e -> { });
                } catch (Exception | AssertionError e) {
                    o.println("FAIL " + name + ": the replay threw " + e);
                    failed++;
                    continue;
                }
                Path target = out.resolve(name);
                ResultJson.write(target, r, s.host().interfaces().stream().map(i -> i.name()).toList());
                if (!Files.isRegularFile(dir.resolve("expected.json"))) {
                    o.println("DONE " + name + ": no expected.json to judge against; wrote " + target);
                    unjudged++;
                    continue;
                }
                Path compareDir = compare != null ? compare.toAbsolutePath().getParent() : findCompare(dir);
                if (compareDir == null) {
                    o.println("FAIL " + name + ": NOT judged: no compare.py above " + dir + " (give --compare)");
                    failed++;
                    continue;
                }
                Judge.Verdict v = new Judge(compareDir).judge(dir, target.resolve("result.json"));
                if (v.passed()) {
                    o.println("PASS " + name);
                    passed++;
                } else {
                    o.println("FAIL " + name + (v.status() == Judge.Status.ERROR ? ": NOT judged"
                            : " (" + v.differences().size() + " difference(s), result in " + target + ")"));
                    for (String d : v.differences()) o.println("    " + d);
                    failed++;
                }
                if (r.accounting().inFlight() != 0) {
                    o.println("    note: " + r.accounting().inFlight() + " skb(s) without a fate at the end");
                }
                o.flush();
            }
        }
        o.println(scenarios.size() + " scenario(s) on " + backend.name() + ": " + passed + " passed, " + failed + " failed"
                + (unjudged > 0 ? ", " + unjudged + " not judged (no expected.json)" : "") + "; results in " + out);
        o.flush();
        return failed > 0 ? 1 : 0;
    }

    /** The backend the options ask for; null (after saying why) when there is none. */
    static ReplayBackend backend(boolean inProcess, PrintWriter err) {
        if (inProcess) return new InProcessBackend();
        err.println("netstack: the distributed backend (five services over a broker) is not part of this build yet;"
                + " use --in-process");
        err.flush();
        return null;
    }

    /** Each argument: a scenario directory, or a directory holding scenario directories. */
    static List<Path> expand(List<Path> dirs, PrintWriter err) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            if (Scenario.isScenario(d)) {
                out.add(d);
                continue;
            }
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    List<Path> inner = s.filter(Scenario::isScenario).sorted().toList();
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

    /** The folder holding compare.py: the scenario's ancestors (corpus/scenarios/x), then $NETSTACK_CONFORMANCE. */
    static Path findCompare(Path scenarioDir) {
        Path p = scenarioDir.toAbsolutePath().normalize().getParent();
        for (int i = 0; i < 4 && p != null; i++, p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("compare.py"))) return p;
        }
        String env = System.getenv("NETSTACK_CONFORMANCE");
        if (env != null && Files.isRegularFile(Paths.get(env, "compare.py"))) return Paths.get(env);
        return null;
    }
}
