package io.netstack.service;


/**
 * Holds socket API calls while the instance's partitions are being handed round.
 *
 * <p>An eager rebalance (a broker restart, an instance joining) revokes every partition, drops
 * the hosts' state, then assigns and restores it from the changelog. An API call in between
 * would see a host with no sockets and answer EBADF: an application's blocked recv on a healthy
 * socket would fail, as the demo apps' did after a broker restart. Calls wait instead, as a
 * process waits while its kernel is busy, until the assignment is done, however long that
 * takes (a broker restart took a group over 30 s to settle; a call released earlier met the
 * dropped state, answered EBADF, and the demo apps ended with their connections), or until the
 * instance stops.
 */
final class RebalanceGate {

    private boolean rebalancing;
    private boolean shut;

    /** Partitions revoked or lost: calls wait from now on. */
    synchronized void begin() {
        rebalancing = true;
    }

    /** Partitions assigned and their hosts restored: waiting calls go on. */
    synchronized void end() {
        rebalancing = false;
        notifyAll();
    }

    /** The instance stops: waiting calls are released (and fail), none waits from now on. */
    synchronized void shut() {
        shut = true;
        notifyAll();
    }

    synchronized boolean rebalancing() { return rebalancing; }

    /** Waits while a rebalance runs; true when it is over, false when the instance stops first. */
    synchronized boolean await() {
        try {
            while (rebalancing && !shut) wait();
            return !shut;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
