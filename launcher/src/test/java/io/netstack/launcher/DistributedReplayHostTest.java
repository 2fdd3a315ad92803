package io.netstack.launcher;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.replay.ReplayCollector;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When is an input frame's effect done on the distributed stack? When it was seen at the NIC and
 * no skb of the host is on its way in a queue; an skb a layer holds (a fragment awaiting the
 * rest of its datagram) does not keep the replay waiting.
 */
class DistributedReplayHostTest {

    static final HostConfig HOST = HostConfigParser.parse("""
            interfaces:
              - {name: eth0, mac: "02:00:00:00:00:01", mtu: 1500, addresses: ["192.0.2.2/24"]}
            """, "test", "h");

    static SkbEvent ev(long id, long parent, String layer, boolean entered, List<Long> spawned, Fate fate, String queue) {
        return new SkbEvent("h", id, parent, layer, layer + "-1", 0, entered, spawned, List.of(), List.of(), fate, "", queue);
    }

    final List<SkbEvent> seen = new ArrayList<>();
    final DistributedReplay.Host host = new DistributedReplay.Host(new ReplayCollector(HOST, "t"), seen::add);

    boolean done(int k) throws InterruptedException {
        return host.awaitDone(k, Duration.ZERO);
    }

    @Test
    void notDoneBeforeTheFrameIsSeenNorWhileItsSkbIsInAQueue() throws InterruptedException {
        assertThat(done(1)).isFalse();
        host.accept(ev(1, 0, "nic", true, List.of(), null, "BACKLOG"));
        assertThat(done(1)).isFalse();
        host.accept(ev(1, 0, "softirq", false, List.of(), new Fate.Dropped("f", SkbDropReason.UNHANDLED_PROTO), ""));
        assertThat(done(1)).isTrue();
        assertThat(seen).hasSize(2);
    }

    @Test
    void aSpawnedReplyKeepsItWaitingEvenBeforeItsOwnEventIsRead() throws InterruptedException {
        host.accept(ev(1, 0, "nic", true, List.of(), null, "BACKLOG"));
        // The parent's fate and the child's birth come in one visit; the child's own event is the next record.
        host.accept(ev(1, 0, "l4", false, List.of(2L), new Fate.Consumed("icmp_reply"), ""));
        assertThat(done(1)).as("the reply's event not read yet").isFalse();
        host.accept(ev(2, 1, "l4", false, List.of(), null, "IP_LOCAL_OUT"));
        assertThat(done(1)).isFalse();
        host.accept(ev(2, 1, "nic", false, List.of(), new Fate.Transmitted("veth_xmit", "eth0", new byte[60]), ""));
        assertThat(done(1)).isTrue();
        assertThat(host.result().transmitted()).hasSize(1);
    }

    @Test
    void anSkbHeldByALayerDoesNotKeepItWaiting() throws InterruptedException {
        host.accept(ev(1, 0, "nic", true, List.of(), null, "BACKLOG"));
        host.accept(ev(1, 0, "l3", false, List.of(), null, "")); // ip_defrag keeps the first fragment
        assertThat(done(1)).isTrue();
        assertThat(done(2)).as("the second input is not seen yet").isFalse();
        assertThat(host.result().accounting().inFlight()).isEqualTo(1);
    }
}
