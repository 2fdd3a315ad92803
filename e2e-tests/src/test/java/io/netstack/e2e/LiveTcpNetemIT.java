package io.netstack.e2e;

import io.netstack.launcher.wire.TapPeer;
import io.netstack.launcher.wire.WireBridge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 10 MB echo of {@link LiveTcpIT} over a lossy, slower wire: on the peer's TAP
 * {@code tc qdisc add dev TAP root netem loss 1% delay 20ms}, so Linux drops one frame in a
 * hundred it sends toward the emulated host and delays the rest by 20 ms. The emulated TCP must
 * recover the losses (SACK, fast retransmit, RTO) and the data must come back identical.
 */
@ExtendWith(SharedStack.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveTcpNetemIT {

    private static final String HOST = "live-netem";
    private static final String TAP = "nsnetem0";
    private static final String HOST_YAML = """
            interfaces:
              - name: eth0
                mac: "02:00:00:00:00:01"
                mtu: 1500
                addresses: ["192.0.2.2/24"]
            apps:
              - {app: tcp-echo, port: 7}
            """;

    private LivePeer live;
    private Path dir;
    private long t0;

    @BeforeAll
    void up() throws Exception {
        t0 = System.nanoTime();
        LivePeer.assumeTools("LiveTcpNetemIT", List.of("nc", "tc", "nstat"), "netcat-openbsd iproute2 socat");
        dir = Files.createTempDirectory("live-netem");
        netem = netemAvailable();
        if (!netem) {
            System.out.println("LiveTcpNetemIT: this kernel has no netem (tc: \"Specified qdisc kind is unknown\","
                    + " CONFIG_NET_SCH_NETEM not set): the bridge applies the same impairment to what the peer sends"
                    + " (1% of its frames lost, the rest 20 ms late)");
        }
        live = new LivePeer(HOST, HOST_YAML, "netstack-netem-peer", TAP,
                netem ? null : new WireBridge.Impairment(0.01, java.time.Duration.ofMillis(20), 1));
    }

    private boolean netem;

    /** Whether tc can make a netem qdisc here: tried on lo of a namespace made for it (and removed). */
    static boolean netemAvailable() {
        String ns = "netstack-netem-probe";
        TapPeer.run(List.of("ip", "netns", "del", ns), false);
        TapPeer.run(List.of("ip", "netns", "add", ns), true);
        try {
            TapPeer.run(List.of("ip", "-n", ns, "link", "set", "lo", "up"), true);
            return TapPeer.run(List.of("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"),
                    false).exitCode() == 0;
        } finally {
            TapPeer.run(List.of("ip", "netns", "del", ns), false);
        }
    }

    @AfterAll
    void down() throws Exception {
        if (live != null) live.close();
        LiveTcpIT.deleteDir(dir);
        System.out.printf("LiveTcpNetemIT: %d ms in all%n", (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void tenMegabytesEchoedWithOnePercentLossAndTwentyMsDelayComeBackIdentical() throws Exception {
        Path data = LivePeer.randomFile(dir, "data.bin", LiveTcpIT.BYTES, 43);
        String sha = LivePeer.sha256(data);
        // The app listens once the configuration arrived: a first small echo waits for it.
        Path small = LivePeer.randomFile(dir, "small.bin", 1000, 44);
        for (int i = 0; i < 20; i++) {
            LivePeer.Run r = live.inPeer(small, dir.resolve("small.out"), LiveTcpIT.LIMIT, "nc", "-N", LivePeer.OURS, "7");
            if (r.exitCode() == 0 && Files.size(dir.resolve("small.out")) == 1000) break;
            Thread.sleep(500);
        }
        if (!netem) {
            long lost0 = live.bridge.impairedDrops();
            LiveTcpIT.echo(live, dir, data, sha, " (bridge: loss 1% delay 20ms of what the peer sends)");
            System.out.printf("  frames of the peer the impairment lost: %d%n", live.bridge.impairedDrops() - lost0);
            assertThat(live.bridge.impairedDrops() - lost0).isPositive();
            return;
        }
        List<String> netemCmd = List.of("tc", "qdisc", "add", "dev", TAP, "root", "netem", "loss", "1%", "delay", "20ms");
        TapPeer.run(live.peer.inNetns(netemCmd.toArray(String[]::new)), true);
        try {
            String qdisc = TapPeer.run(live.peer.inNetns("tc", "qdisc", "show", "dev", TAP), true).output().trim();
            System.out.println("$ " + String.join(" ", netemCmd) + "\n$ tc qdisc show dev " + TAP + "\n" + qdisc);
            assertThat(qdisc).contains("netem").contains("loss 1%").contains("delay 20ms");
            LiveTcpIT.echo(live, dir, data, sha, " (netem loss 1% delay 20ms)");
            String stats = TapPeer.run(live.peer.inNetns("tc", "-s", "qdisc", "show", "dev", TAP), true).output().trim();
            System.out.println("$ tc -s qdisc show dev " + TAP + "\n" + stats);
        } finally {
            TapPeer.run(live.peer.inNetns("tc", "qdisc", "del", "dev", TAP, "root"), false);
        }
    }
}
