package io.netstack.launcher.wire;

import io.netstack.stack.WireFrame;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Plugs one interface of an emulated host into a {@link FramePort}: what arrives from outside is put
 * on the interface's wire (netstack.wire.rx, key netns/dev, where the nic-service's driver takes it);
 * what the host transmits on that interface (netstack.wire.tx, filtered by netns and dev) goes out.
 * Two threads, one per direction; the bridge itself keeps no state but its counters.
 */
public final class WireBridge implements AutoCloseable {

    /** The stack's side of the wire: the topics, or a queue in a test. */
    public interface StackSide extends AutoCloseable {
        /** A frame arrives on the emulated interface's wire. */
        void publish(WireFrame frame);

        /** Frames any host transmitted since the last call (waits at most {@code timeout}). */
        List<WireFrame> pollTransmitted(Duration timeout);

        @Override void close();
    }

    private final String netns;
    private final String dev;
    private final FramePort port;
    private final StackSide stack;
    private final AtomicLong toStack = new AtomicLong();
    private final AtomicLong toOutside = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean running;
    private Thread rxThread;
    private Thread txThread;

    public WireBridge(String netns, String dev, FramePort port, StackSide stack) {
        this.netns = netns;
        this.dev = dev;
        this.port = port;
        this.stack = stack;
    }

    /**
     * What netem ({@code tc qdisc add dev TAP root netem loss P% delay D}) does to what the peer
     * sends, for kernels built without it (CONFIG_NET_SCH_NETEM unset, as in some VMs): each
     * frame from outside is lost with probability {@code loss}, the others are delayed by
     * {@code delay} (in order). Set before {@link #start()}.
     */
    public record Impairment(double loss, Duration delay, long seed) {}

    private Impairment impairment;
    private final AtomicLong impairedDrops = new AtomicLong();
    private final java.util.concurrent.LinkedBlockingQueue<Object[]> delayed = new java.util.concurrent.LinkedBlockingQueue<>();
    private Thread delayThread;

    public WireBridge impair(Impairment i) {
        this.impairment = i;
        this.random = new java.util.Random(i.seed());
        return this;
    }

    /** Frames from outside the impairment dropped. */
    public long impairedDrops() { return impairedDrops.get(); }

    public WireBridge start() {
        running = true;
        rxThread = new Thread(this::outsideToStack, "wire-rx-" + netns + "/" + dev);
        txThread = new Thread(this::stackToOutside, "wire-tx-" + netns + "/" + dev);
        rxThread.setDaemon(true);
        txThread.setDaemon(true);
        rxThread.start();
        txThread.start();
        if (impairment != null && !impairment.delay().isZero()) {
            delayThread = new Thread(this::delayedToStack, "wire-delay-" + netns + "/" + dev);
            delayThread.setDaemon(true);
            delayThread.start();
        }
        return this;
    }

    private void outsideToStack() {
        while (running) {
            byte[] frame;
            try {
                frame = port.receive();
            } catch (IOException e) {
                if (!running) return;
                errors.incrementAndGet();
                System.err.println("wire " + netns + "/" + dev + ": receive failed: " + e.getMessage());
                continue;
            }
            if (frame == null) return;
            if (impairment != null) {
                if (random.nextDouble() < impairment.loss()) {
                    impairedDrops.incrementAndGet();
                    continue;
                }
                if (!impairment.delay().isZero()) {
                    delayed.add(new Object[]{System.nanoTime() + impairment.delay().toNanos(), frame});
                    continue;
                }
            }
            try {
                stack.publish(new WireFrame(netns, dev, frame, epochNanos()));
                toStack.incrementAndGet();
            } catch (RuntimeException e) {
                if (!running) return;
                errors.incrementAndGet();
                System.err.println("wire " + netns + "/" + dev + ": cannot publish a frame: " + e.getMessage());
            }
        }
    }

    private java.util.Random random = new java.util.Random();

    /** The delayed frames, each published when its time comes (one delay for all: the order stays). */
    private void delayedToStack() {
        while (running) {
            Object[] e;
            try {
                e = delayed.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (e == null) continue;
                long wait = (long) e[0] - System.nanoTime();
                if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
            } catch (InterruptedException ie) {
                return;
            }
            try {
                stack.publish(new WireFrame(netns, dev, (byte[]) e[1], epochNanos()));
                toStack.incrementAndGet();
            } catch (RuntimeException ex) {
                if (!running) return;
                errors.incrementAndGet();
            }
        }
    }

    private void stackToOutside() {
        while (running) {
            List<WireFrame> frames;
            try {
                frames = stack.pollTransmitted(Duration.ofMillis(200));
            } catch (RuntimeException e) {
                if (!running) return;
                errors.incrementAndGet();
                System.err.println("wire " + netns + "/" + dev + ": cannot read transmitted frames: " + e.getMessage());
                sleep(500);
                continue;
            }
            for (WireFrame f : frames) {
                if (!netns.equals(f.netns()) || !dev.equals(f.dev())) continue;
                try {
                    port.send(f.frame());
                    toOutside.incrementAndGet();
                } catch (IOException e) {
                    errors.incrementAndGet();
                    System.err.println("wire " + netns + "/" + dev + ": send failed: " + e.getMessage());
                }
            }
        }
    }

    /** Frames from outside put on the interface's wire. */
    public long framesIn() { return toStack.get(); }

    /** Frames the interface transmitted, sent outside. */
    public long framesOut() { return toOutside.get(); }

    public long errors() { return errors.get(); }

    public String describe() {
        return netns + "/" + dev + " <-> " + port.describe();
    }

    @Override
    public void close() {
        running = false;
        try {
            port.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        join(rxThread);
        join(txThread);
        join(delayThread);
        stack.close();
    }

    private static void join(Thread t) {
        if (t == null) return;
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
