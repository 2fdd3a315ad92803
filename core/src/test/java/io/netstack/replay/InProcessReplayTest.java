package io.netstack.replay;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every skb has exactly one fate (DESIGN.md principle 3), also one that Linux too would still
 * hold when a scenario's window ends: the replay follows it to its fate and says where it was
 * held, so that a report's "without a fate" means lost.
 */
class InProcessReplayTest {

    static Path scenario(String name) {
        return ConformanceInProcessTest.repoRoot().resolve("conformance/recorded").resolve(name);
    }

    /** The echo reply to a host with no neighbour entry waits on the arp_queue; nobody answers the ARP probes. */
    @Test
    void aReplyWaitingForArpIsHeldThenDroppedWhenTheNeighbourFails() throws IOException {
        ReplayResult r = InProcessReplay.run(Scenario.load(scenario("arp-announce-0")));
        ReplayResult.Accounting a = r.accounting();
        assertThat(a.inFlight()).isEqualTo(1);
        assertThat(a.held()).singleElement().satisfies(h -> {
            assertThat(h.heldIn()).isEqualTo("__neigh_event_send");
            assertThat(h.laterFate()).isEqualTo("Dropped NEIGH_FAILED in __icmp_send");
            assertThat(h.laterFateNanos()).isBetween(1_000_000_000L, 10_000_000_000L);
            assertThat(h.describe()).contains("arp_queue").endsWith("not lost");
        });
        assertThat(a.unaccounted()).isZero();
        // The result is the window's: the ARP probes sent after it are not in it.
        assertThat(r.transmitted()).hasSize(1);
    }

    /** Fragments of a datagram that never completes wait in the reassembly queue until ipfrag_time. */
    @Test
    void fragmentsWaitingForTheRestAreHeldThenDroppedWhenReassemblyTimesOut() throws IOException {
        ReplayResult.Accounting a = InProcessReplay.run(Scenario.load(scenario("frag-too-big"))).accounting();
        assertThat(a.held()).hasSize(2).allSatisfy(h -> {
            assertThat(h.heldIn()).isEqualTo("inet_frag_queue_insert");
            assertThat(h.laterFate()).startsWith("Dropped FRAG_REASM_TIMEOUT");
        });
        assertThat(a.unaccounted()).isZero();
    }

    @Test
    void noSkbOfAnyScenarioIsLost() throws IOException {
        List<String> lost = new ArrayList<>();
        for (String corpus : List.of("conformance/public", "conformance/recorded")) {
            for (Path dir : ConformanceInProcessTest.scenarioDirs(ConformanceInProcessTest.repoRoot().resolve(corpus))) {
                ReplayResult.Accounting a = InProcessReplay.run(Scenario.load(dir)).accounting();
                if (a.unaccounted() != 0) lost.add(dir.getFileName() + ": " + a.unaccounted() + " " + a.held());
            }
        }
        assertThat(lost).as("scenarios with skbs that never met a fate").isEmpty();
    }
}
