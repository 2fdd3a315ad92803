import io.netstack.launcher.StackClient;
import io.netstack.launcher.StackLauncher;
import io.netstack.launcher.chaos.ChaosRun;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an idle stack costs: a broker and the five services (one instance each), host b with
 * the demo apps tcp-echo, http and udp-echo (three blocked calls: two accepts and a recv), no
 * traffic. After a warm-up, each service's CPU time (utime + stime from /proc/PID/stat) over
 * a window, as a share of one core.
 *
 *   ./netstack --version >/dev/null   # builds the jars if needed
 *   java -cp cli/target/netstack-cli.jar tools/IdleCpu.java [WARMUP_S] [WINDOW_S]
 */
public class IdleCpu {
    public static void main(String[] args) throws Exception {
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int window = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path run = Files.createTempDirectory("netstack-idle");
        StackLauncher stack = StackLauncher.builder().repoRoot(Path.of("").toAbsolutePath()).runDir(run).build().start();
        try (StackClient c = stack.client()) {
            c.publishConfig("b", ChaosRun.hostYaml("192.0.2.2", "02:00:00:00:00:02", "192.0.2.1", "02:00:00:00:00:01",
                    "apps:\n  - {app: tcp-echo, port: 7}\n  - {app: http, port: 80}\n  - {app: udp-echo, port: 7}\n"));
            Thread.sleep(warmup * 1000L);
            Map<String, Long> before = new LinkedHashMap<>();
            for (StackLauncher.Service s : stack.services()) before.put(s.instance(), ticks(s.pid()));
            Thread.sleep(window * 1000L);
            long hz = 100; // USER_HZ
            System.out.printf("idle stack, host b with tcp-echo, http, udp-echo; %d s warm-up, %d s window%n", warmup, window);
            for (StackLauncher.Service s : stack.services()) {
                double seconds = (ticks(s.pid()) - before.get(s.instance())) / (double) hz;
                System.out.printf("  %-10s %5.1f %% of a core%n", s.instance(), 100 * seconds / window);
            }
        } finally {
            stack.stop();
        }
    }

    /** utime + stime of a process, in clock ticks (proc(5)). */
    static long ticks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
