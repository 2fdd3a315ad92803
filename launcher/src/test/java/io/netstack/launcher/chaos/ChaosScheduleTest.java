package io.netstack.launcher.chaos;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The seeded fault plan of a chaos run: what it always holds, and what it draws. */
class ChaosScheduleTest {

    static final Map<String, List<String>> STACK = new LinkedHashMap<>();

    static {
        STACK.put("nic", List.of("nic-1"));
        STACK.put("softirq", List.of("softirq-1"));
        STACK.put("l3", List.of("l3-1", "l3-2"));
        STACK.put("l4", List.of("l4-1", "l4-2"));
        STACK.put("socket", List.of("socket-1"));
    }

    static List<ChaosRun.Fault> plan(long seed, int faults) {
        return ChaosRun.schedule(faults, STACK, "l4-2", new Random(seed));
    }

    @Test
    void aHundredFaultsHoldTheTcpHoldersKillOneBrokerRestartOverlapsAndKillsInRebalances() {
        List<ChaosRun.Fault> p = plan(20261207, 100);
        assertThat(p).hasSize(100);
        assertThat(p).filteredOn(f -> f.kind().equals("SIGKILL") && f.instance().equals("l4-2")).isNotEmpty();
        assertThat(p).filteredOn(f -> f.kind().equals("broker")).hasSize(1);
        assertThat(p).extracting(ChaosRun.Fault::kind).contains("SIGKILL", "SIGTERM", "freeze", ChaosRun.REBALANCE_KILL);
        // Slots are consecutive from 0; some hold two faults or more (several at once), never two of one layer.
        Map<Integer, List<ChaosRun.Fault>> bySlot = p.stream().collect(Collectors.groupingBy(ChaosRun.Fault::slot));
        assertThat(bySlot.keySet()).containsExactlyInAnyOrderElementsOf(
                java.util.stream.IntStream.range(0, bySlot.size()).boxed().toList());
        assertThat(bySlot.values()).anyMatch(faults -> faults.size() > 1);
        for (List<ChaosRun.Fault> together : bySlot.values()) {
            Set<String> layers = new HashSet<>();
            for (ChaosRun.Fault f : together) assertThat(layers.add(f.layer())).as("slot %s", together).isTrue();
        }
    }

    @Test
    void aLoneSocketServiceIsOnlyFrozenAndARebalanceKillTakesTwoInstancesOfOneLayer() {
        for (ChaosRun.Fault f : plan(3, 100)) {
            if (f.layer().equals("socket")) assertThat(f.kind()).isEqualTo("freeze");
            if (f.kind().equals(ChaosRun.REBALANCE_KILL)) {
                assertThat(STACK.get(f.layer())).contains(f.instance(), f.other());
                assertThat(f.other()).isNotEqualTo(f.instance());
            }
        }
        Map<String, List<String>> twoSockets = new LinkedHashMap<>(STACK);
        twoSockets.put("socket", List.of("socket-1", "socket-2"));
        assertThat(ChaosRun.schedule(100, twoSockets, "l4-2", new Random(3)))
                .filteredOn(f -> f.layer().equals("socket")).extracting(ChaosRun.Fault::kind)
                .as("two socket instances: the API fails over, so they are killed too").contains("SIGKILL");
        assertThat(plan(3, 100)).isEqualTo(plan(3, 100));
        assertThat(plan(3, 100)).isNotEqualTo(plan(4, 100));
        assertThat(plan(3, 1)).extracting(ChaosRun.Fault::instance).containsExactly("l4-2");
    }
}
