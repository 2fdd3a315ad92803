package io.netstack.service.socket.api;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A blocked call's wait queue: its own socket wakes it, another socket does not. */
class ApiWaitsTest {

    static long soon() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    }

    @Test
    void anotherSocketsChangeDoesNotWakeAWaiterItsOwnDoes() throws Exception {
        ApiWaits waits = new ApiWaits();
        ApiWaits.Seen seen = waits.generation("b", 3);
        waits.wake("b", 4);
        waits.wake("a", 3);
        assertThat(waits.await("b", 3, seen, soon())).as("woken by b:4 or a:3").isFalse();
        CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return waits.await("b", 3, seen, Long.MAX_VALUE);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        waits.wake("b", 3);
        assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRestoredHostAClosedSocketOrACancelledCallWakeTheWaiter() throws Exception {
        ApiWaits waits = new ApiWaits();
        ApiWaits.Seen seen = waits.generation("b", 3);
        waits.wakeHost("b");
        assertThat(waits.await("b", 3, seen, soon())).isTrue();

        seen = waits.generation("b", 3);
        waits.closed("b", 3);
        assertThat(waits.await("b", 3, seen, soon())).as("its socket closed").isTrue();

        seen = waits.generation("b", 3);
        waits.wakeAll();
        assertThat(waits.await("b", 3, seen, soon())).isTrue();
    }
}
