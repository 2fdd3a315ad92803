package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import io.netstack.launcher.chaos.ChaosChart;
import io.netstack.launcher.chaos.ChaosReport;
import io.netstack.launcher.chaos.ChaosRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kill any layer, lose nothing: the run {@code netstack chaos} makes (ChaosRun), shorter. Two
 * instances of l3 and l4, hosts a and b wired by a bridge, a TCP connection a -> b (tcp-echo on
 * b), UDP datagrams to b's udp-echo and pings to a, while eight seeded faults hit the layers
 * (SIGKILL, SIGTERM, SIGSTOP/SIGCONT, restart; always the l4 instance holding host a's TCP
 * connection killed, and one broker restart). The ledger of every skb's events must show none
 * lost (born, no fate) and none with two fates, and the TCP connection must carry data sent
 * after the faults, intact and in order. The report and chart land in target/chaos-it.
 */
@Timeout(900) // restarts took 10-45 s each on the loaded 2-core machine
class ChaosIT {

    @Test
    void faultsOnEveryLayerLoseNothingAndTheTcpConnectionSurvives() throws Exception {
        Path repo = RepoRoot.find();
        Path out = repo.resolve("e2e-tests/target/chaos-it");
        Path runDir = out.resolve("run-" + System.currentTimeMillis());
        ChaosRun.Options o = new ChaosRun.Options(Long.getLong("chaos.seed", 8), Duration.ofSeconds(75), 20,
                Map.of("l3", 2, "l4", 2), 8, 4, 2, repo, runDir);
        ChaosReport r = new ChaosRun(o, System.out).run();
        r.lines().forEach(l -> System.out.println("chaos: " + l));
        r.writeJson(out.resolve("chaos-report.json"));
        ChaosChart.write(r, out.resolve("chaos.png"));

        assertThat(r.duplicated()).as("duplicated (two fates)").isZero();
        assertThat(r.lost()).as("lost (no fate)").isZero();
        assertThat(r.fatesWithoutBirth()).as("fates without birth").isZero();
        assertThat(r.tcpSurvived()).as("TCP connection carried data after the faults").isEqualTo(r.tcpConnections());
        assertThat(r.faults()).hasSize(8);
        assertThat(r.injected()).isPositive();
        assertThat(r.delivered()).isPositive();
    }
}
