package io.netstack.service;

import java.time.Duration;

/**
 * Holds socket API calls while the instance's partitions are being handed round.
 *
 * <p>An eager rebalance (a broker restart, an instance joining) revokes every partition, drops
 * the hosts' state, then assigns and restores it from the changelog. An API call in between
 * would see a host with no sockets and answer EBADF: an application's blocked recv on a healthy
 * socket would fail, as the demo apps' did after a broker restart. Calls wait instead, as a
 * process waits while its kernel is busy, until the assignment is done or {@code atMost}
 * passes (an instance shutting down is revoked and never assigned again).
 */
final class RebalanceGate {

    private boolean rebalancing;

    /** Partitions revoked or lost: calls wait from now on. */
    synchronized void begin() {
        rebalancing = true;
    }

    /** Partitions assigned and their hosts restored: waiting calls go on. */
    synchronized void end() {
        rebalancing = false;
        notifyAll();
    }

    synchronized boolean rebalancing() { return rebalancing; }

    /** Waits while a rebalance runs, {@code atMost} in all; whether it is over. */
    synchronized boolean await(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        try {
            while (rebalancing) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                wait(Math.max(1, left / 1_000_000));
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
