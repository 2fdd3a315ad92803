package io.netstack.service.socket.api;

import java.util.concurrent.TimeUnit;

/**
 * Where blocking API calls wait: a generation count the runtime bumps after every visit of the
 * socket layer (an SK_RECEIVE_QUEUE record, a timer, another API call). A caller reads the
 * generation, checks the socket (accept, recv, the connect state), and if it must wait, waits
 * for the generation to move on: no state change is missed, and nobody polls.
 */
public final class ApiWaits {

    private long generation;

    /** The layer's state may have changed: every waiter re-checks. */
    public synchronized void signal() {
        generation++;
        notifyAll();
    }

    public synchronized long generation() { return generation; }

    /**
     * Waits until the generation differs from {@code seen} or {@code deadlineNanos}
     * (System.nanoTime; Long.MAX_VALUE = no limit) passes; false once the deadline has passed
     * (even if the generation moved: a caller that keeps seeing changes still times out).
     */
    public synchronized boolean await(long seen, long deadlineNanos) throws InterruptedException {
        if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0) return false;
        while (generation == seen) {
            if (deadlineNanos == Long.MAX_VALUE) {
                wait();
                continue;
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) return false;
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
