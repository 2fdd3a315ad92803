package io.netstack.service.socket.api;

import io.netstack.layer.SocketLayer;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where blocking API calls sleep: a socket's wait queue. Each socket (host and fd) has a
 * generation that the socket layer bumps when that socket changes ({@link SocketLayer.Wakeups}:
 * data or a connection queued, a state change, room to write), and each host one that moves
 * when its whole table is replaced (a restore after a rebalance). A caller reads the
 * generation, checks its socket, and if it must wait, waits for the generation to move on:
 * no change is missed, nobody polls, and a call blocked on one socket is not woken by
 * traffic on another (before, every visit of the layer woke every waiter, and two blocked
 * accepts woke each other forever).
 */
public final class ApiWaits implements SocketLayer.Wakeups {

    private record SocketId(String netns, int fd) {}

    private final Map<SocketId, Long> sockets = new HashMap<>();
    private final Map<String, Long> hosts = new HashMap<>();
    /** Bumped for every waiter at once: a client went away (its call must notice). */
    private long everyone;

    /** What a waiter remembers: the three generations its socket's wait depends on. */
    public record Seen(long socket, long host, long everyone) {}

    @Override
    public synchronized void wake(String netns, int fd) {
        sockets.merge(new SocketId(netns, fd), 1L, Long::sum);
        notifyAll();
    }

    @Override
    public synchronized void wakeHost(String netns) {
        // The host's generation wakes every waiter there; its sockets' queues start afresh.
        sockets.keySet().removeIf(id -> id.netns().equals(netns));
        hosts.merge(netns, 1L, Long::sum);
        notifyAll();
    }

    /**
     * Its wait queue goes with the socket (a long-running server would otherwise keep one per
     * connection it ever had); a waiter on it, if any, is woken through its host's generation.
     */
    @Override
    public synchronized void closed(String netns, int fd) {
        sockets.remove(new SocketId(netns, fd));
        hosts.merge(netns, 1L, Long::sum);
        notifyAll();
    }

    /** Every waiter looks again (a cancelled call, on the transport's thread). */
    public synchronized void wakeAll() {
        everyone++;
        notifyAll();
    }

    public synchronized Seen generation(String netns, int fd) {
        return new Seen(sockets.getOrDefault(new SocketId(netns, fd), 0L), hosts.getOrDefault(netns, 0L), everyone);
    }

    /**
     * Waits until socket {@code fd} of {@code netns} changed since {@code seen}, or
     * {@code deadlineNanos} (System.nanoTime; Long.MAX_VALUE = no limit) passes; false once the
     * deadline has passed (even if it changed: a caller that keeps seeing changes still times out).
     */
    public synchronized boolean await(String netns, int fd, Seen seen, long deadlineNanos) throws InterruptedException {
        if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0) return false;
        while (generation(netns, fd).equals(seen)) {
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
