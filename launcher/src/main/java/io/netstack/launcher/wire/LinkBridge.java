package io.netstack.launcher.wire;

import io.netstack.stack.WireFrame;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cables between emulated interfaces in one running stack: what {@code a/eth0} transmits
 * (netstack.wire.tx) arrives on {@code b/eth1}'s wire (netstack.wire.rx), and back, for every
 * link given: a veth pair between two network namespaces. One thread reads the transmitted frames
 * and republishes them; the stack's NIC layer does the rest (eth_type_trans, the MAC filter,
 * link statistics) on the receiving side, as veth_xmit hands the frame to the peer.
 */
public final class LinkBridge implements AutoCloseable {

    /** One end of a cable: a host's interface ("r:eth0"). */
    public record End(String netns, String dev) {
        public static End parse(String s) {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) throw new IllegalArgumentException("expected HOST:IFACE, not '" + s + "'");
            return new End(s.substring(0, colon), s.substring(colon + 1));
        }

        @Override public String toString() { return netns + ":" + dev; }
    }

    private final Map<End, End> peers = new LinkedHashMap<>();
    private final WireBridge.StackSide stack;
    private final AtomicLong carried = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean running;
    private Thread thread;

    /** @param links pairs of ends; an end may be in one link only */
    public LinkBridge(List<End[]> links, WireBridge.StackSide stack) {
        for (End[] l : links) {
            if (l.length != 2) throw new IllegalArgumentException("a link has two ends");
            if (l[0].equals(l[1])) throw new IllegalArgumentException("a link from " + l[0] + " to itself");
            for (End e : l) if (peers.containsKey(e)) throw new IllegalArgumentException(e + " is in two links");
            peers.put(l[0], l[1]);
            peers.put(l[1], l[0]);
        }
        this.stack = stack;
    }

    /** Links parsed from "A:eth0 B:eth1 [C:eth0 D:eth0 ...]" (ends two by two). */
    public static List<End[]> pairs(List<String> ends) {
        if (ends.isEmpty() || ends.size() % 2 != 0) throw new IllegalArgumentException("links are given as pairs of HOST:IFACE");
        List<End[]> out = new ArrayList<>();
        for (int i = 0; i < ends.size(); i += 2) out.add(new End[] {End.parse(ends.get(i)), End.parse(ends.get(i + 1))});
        return out;
    }

    public LinkBridge start() {
        running = true;
        thread = new Thread(this::run, "wire-links");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run() {
        while (running) {
            List<WireFrame> frames;
            try {
                frames = stack.pollTransmitted(Duration.ofMillis(100));
            } catch (RuntimeException e) {
                if (!running) return;
                errors.incrementAndGet();
                System.err.println("wire links: cannot read transmitted frames: " + e.getMessage());
                continue;
            }
            for (WireFrame f : frames) carry(f);
        }
    }

    /** One transmitted frame: onto the peer's wire if its interface has a cable. */
    void carry(WireFrame f) {
        End to = peers.get(new End(f.netns(), f.dev()));
        if (to == null) return;
        try {
            stack.publish(new WireFrame(to.netns(), to.dev(), f.frame(), WireBridge.epochNanos()));
            carried.incrementAndGet();
        } catch (RuntimeException e) {
            errors.incrementAndGet();
            System.err.println("wire links: cannot carry a frame to " + to + ": " + e.getMessage());
        }
    }

    /** Frames carried from one end to the other, both ways, all links. */
    public long framesCarried() { return carried.get(); }

    public long errors() { return errors.get(); }

    public String describe() {
        StringBuilder b = new StringBuilder();
        peers.forEach((a, z) -> {
            if (a.toString().compareTo(z.toString()) < 0) b.append(b.length() == 0 ? "" : ", ").append(a).append(" <-> ").append(z);
        });
        return b.toString();
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stack.close();
    }
}
