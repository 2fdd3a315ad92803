package io.netstack.cli;

import java.util.function.BooleanSupplier;

/**
 * A daemon thread that reads (a topic, the events) until {@link #close}. Closing asks the loop to
 * stop and waits for it; it never interrupts the thread: a Kafka client closed from an interrupted
 * thread logs ERROR stack traces ("Failed to close fetcher", "Interrupted while joining ioThread").
 * The body opens its clients, loops while {@code running} says so (each poll with a short
 * timeout), and closes them on its way out.
 */
final class PollLoop implements AutoCloseable {

    /** What the thread runs; it returns once {@code running} turns false. */
    interface Body {
        void run(BooleanSupplier running) throws Exception;
    }

    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    private PollLoop(String name, Body body) {
        thread = new Thread(() -> {
            try {
                body.run(() -> running);
            } catch (Throwable t) {
                failure = t;
            }
        }, name);
        thread.setDaemon(true);
    }

    static PollLoop start(String name, Body body) {
        PollLoop l = new PollLoop(name, body);
        l.thread.start();
        return l;
    }

    /** Why the loop ended early, or null. */
    Throwable failure() { return failure; }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(30_000);
    }
}
