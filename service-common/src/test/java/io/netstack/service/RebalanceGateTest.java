package io.netstack.service;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RebalanceGateTest {

    @Test
    void aCallPassesWhenNoRebalanceRuns() {
        assertThat(new RebalanceGate().await(Duration.ZERO)).isTrue();
    }

    @Test
    void aCallDuringARebalanceWaitsForTheAssignment() throws Exception {
        RebalanceGate gate = new RebalanceGate();
        gate.begin();
        CompletableFuture<Boolean> call = CompletableFuture.supplyAsync(() -> gate.await(Duration.ofSeconds(30)));
        Thread.sleep(200);
        assertThat(call).as("held while revoked").isNotDone();
        gate.end();
        assertThat(call.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRevocationWithoutAssignmentReleasesTheCallAfterTheLimit() {
        RebalanceGate gate = new RebalanceGate();
        gate.begin();
        assertThat(gate.await(Duration.ofMillis(50))).isFalse();
        assertThat(gate.rebalancing()).isTrue();
    }
}
