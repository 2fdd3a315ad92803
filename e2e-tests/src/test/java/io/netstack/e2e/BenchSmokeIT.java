package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.cli.Netstack;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `netstack bench` end to end, tiny: a stack in exactly-once mode, 50 datagrams, the relay chain,
 * two pings. Proves every datagram got delivered through the five services and through the five
 * relays and that each figure is printed; asserts no timing (the machine is shared).
 */
class BenchSmokeIT {

    @Test
    void aTinyBenchDeliversEveryDatagramAndPrintsItsFigures() {
        Path runDir = RepoRoot.find().resolve("e2e-tests/target/bench-smoke-" + System.currentTimeMillis());
        StringWriter text = new StringWriter();
        CommandLine cli = Netstack.commandLine();
        cli.setOut(new PrintWriter(text, true));
        cli.setErr(new PrintWriter(text, true));
        int rc = cli.execute("bench", "-n", "50", "--warmup", "1", "--warmup-rate", "100", "--pings", "2",
                "--delivery", "exactly-once", "--run-dir", runDir.toString());
        String out = text.toString();
        System.out.println(out);

        assertThat(rc).as(out).isZero();
        assertThat(out).contains("pipeline: 50 of 50 datagrams delivered to udp 0.0.0.0:5353; lost 0");
        assertThat(out).containsPattern("throughput \\d+ datagrams/s delivered");
        assertThat(out).containsPattern("end to end \\(published -> Delivered at the socket layer\\): p50 +[0-9.]+ ms +p99 +[0-9.]+ ms");
        for (String hop : new String[] {"wire->nic", "nic->softirq", "softirq->l3", "l3->l4", "l4->socket"}) {
            assertThat(out).containsPattern(hop.replace(">", "\\>") + " +p50 +[0-9.]+ ms +p99 +[0-9.]+ ms .*\\(n=50\\)");
        }
        assertThat(out).containsPattern("ping \\(echo request in, reply out: 7 hops\\).*\\(n=2\\)");
        for (String jvm : new String[] {"nic-1", "softirq-1", "l3-1", "l4-1", "socket-1", "broker", "relay-1", "relay-5"}) {
            assertThat(out).containsPattern(jvm + " +pid \\d+ +VmRSS \\d+ MiB");
        }
        assertThat(out).contains("ceiling: 50 of 50 records through 5 relays");
        assertThat(out).containsPattern("throughput \\d+ records/s; pipeline/ceiling = [0-9.]+");
    }
}
