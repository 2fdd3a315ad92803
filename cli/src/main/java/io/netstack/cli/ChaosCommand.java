package io.netstack.cli;

import io.netstack.launcher.chaos.ChaosChart;
import io.netstack.launcher.chaos.ChaosReport;
import io.netstack.launcher.chaos.ChaosRun;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `netstack chaos`: kill any layer, lose nothing. Starts a stack (StackLauncher, --scale), runs
 * a seeded traffic mix and a seeded fault schedule (ChaosRun), drains, and writes
 * DIR/chaos-report.json and DIR/chaos.png. Exit status 1 when an skb was lost or had two fates,
 * or the TCP connection did not survive.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "Run traffic through a scaled stack while killing, terminating, freezing and restarting "
                + "layer instances and the broker; report lost and duplicated packets and recovery times.")
public final class ChaosCommand implements Callable<Integer> {

    @Option(names = "--seed", defaultValue = "1", description = "seed of the traffic and the fault schedule (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--duration", defaultValue = "120s", description = "traffic time, faults spread over it, e.g. 120s or 2m (default: ${DEFAULT-VALUE})")
    String duration;

    @Option(names = "--rate", defaultValue = "20", description = "UDP datagrams per second a -> b (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--scale", defaultValue = "l3=2,l4=2", description = "instances per layer, layer=N,... (default: ${DEFAULT-VALUE})")
    String scale;

    @Option(names = "--faults", defaultValue = "8", description = "faults, some at once (one is a broker restart, one kills the l4 instance holding host a's TCP connections) (default: ${DEFAULT-VALUE})")
    int faults;

    @Option(names = "--connections", defaultValue = "1", description = "TCP connections a -> b:7, each echoing before and after the faults (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--cpus", defaultValue = "4", description = "emulated CPUs = partitions per topic (default: ${DEFAULT-VALUE})")
    int cpus;

    @Option(names = "--out", defaultValue = "out/chaos", paramLabel = "DIR", description = "report directory (default: ${DEFAULT-VALUE})")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Duration d;
        Map<String, Integer> sc;
        try {
            d = parseDuration(duration);
            sc = ChaosRun.scale(scale);
            if (rate < 1) throw new IllegalArgumentException("--rate: at least 1 datagram per second, not " + rate);
            if (faults < 0) throw new IllegalArgumentException("--faults: 0 or more, not " + faults);
            if (connections < 0) throw new IllegalArgumentException("--connections: 0 or more, not " + connections);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        Files.createDirectories(out);
        Path runDir = out.toAbsolutePath().resolve("run-" + System.currentTimeMillis());
        PrintStream log = System.out;
        ChaosReport r = new ChaosRun(new ChaosRun.Options(seed, d, rate, sc, faults, cpus, connections, null, runDir), log).run();
        r.lines().forEach(l -> log.println("chaos: " + l));
        r.writeJson(out.resolve("chaos-report.json"));
        ChaosChart.write(r, out.resolve("chaos.png"));
        log.println("chaos: wrote " + out.resolve("chaos-report.json") + " and " + out.resolve("chaos.png"));
        return r.ok() ? 0 : 1;
    }

    /** "120s", "2m", "90" (seconds), or an ISO-8601 duration. */
    static Duration parseDuration(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            if (t.endsWith("s")) return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("m")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.startsWith("p")) return Duration.parse(s);
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--duration: like 120s or 2m, not " + s);
        }
    }
}
