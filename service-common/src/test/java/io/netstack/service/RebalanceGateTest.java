package io.netstack.service;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RebalanceGateTest {

    @Test
    void aCallPassesWhenNoRebalanceRuns() {
        assertThat(new RebalanceGate().await()).isTrue();
    }

    @Test
    void aCallDuringARebalanceWaitsForTheAssignmentHoweverLongItTakes() throws Exception {
        RebalanceGate gate = new RebalanceGate();
        gate.begin();
        CompletableFuture<Boolean> call = CompletableFuture.supplyAsync(gate::await);
        Thread.sleep(300);
        assertThat(call).as("held while revoked").isNotDone();
        gate.end();
        assertThat(call.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRevocationWithoutAssignmentHoldsTheCallUntilTheInstanceStops() throws Exception {
        RebalanceGate gate = new RebalanceGate();
        gate.begin();
        CompletableFuture<Boolean> call = CompletableFuture.supplyAsync(gate::await);
        Thread.sleep(300);
        assertThat(call).isNotDone();
        gate.shut();
        assertThat(call.get(10, TimeUnit.SECONDS)).as("released, failing").isFalse();
        assertThat(gate.await()).isFalse();
    }
}
