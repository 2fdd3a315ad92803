package io.netstack.service;

import java.time.Instant;

/**
 * Nanoseconds since the epoch, with nanoTime's resolution: the clock the services share, so that
 * a hop stamped by one JVM can be subtracted from the time in another on the same machine.
 */
public final class WallClock {
    private static final long BASE_EPOCH_NANOS;
    private static final long BASE_NANO_TIME;

    static {
        Instant now = Instant.now();
        BASE_NANO_TIME = System.nanoTime();
        BASE_EPOCH_NANOS = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private WallClock() {}

    public static long nowNanos() {
        return BASE_EPOCH_NANOS + (System.nanoTime() - BASE_NANO_TIME);
    }
}
