package io.netstack.service;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * skb ids unique across every instance of every service: 24 random bits per instance (chosen at
 * start) above a 40-bit counter. Two instances collide with probability ~n²/2^25 only if they
 * start together, and a counter wraps after 10^12 skbs.
 */
public final class SkbIds implements LongSupplier {

    static final int COUNTER_BITS = 40;
    private final long high;
    private final AtomicLong counter = new AtomicLong();

    public SkbIds() {
        this(new SecureRandom().nextInt(1 << 24));
    }

    SkbIds(int high24) {
        this.high = ((long) (high24 & 0xffffff)) << COUNTER_BITS;
    }

    @Override
    public long getAsLong() {
        long c = counter.incrementAndGet() & ((1L << COUNTER_BITS) - 1);
        long id = high | c;
        return id == 0 ? getAsLong() : id;
    }
}
