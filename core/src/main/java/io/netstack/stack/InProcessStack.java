package io.netstack.stack;

import io.netstack.config.HostConfig;
import io.netstack.layer.Layers;
import io.netstack.skb.SkBuff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The five layers in one process with no broker: each kernel queue is a FIFO and one
 * thread drains them in order. Same layers, same events as the distributed stack; used
 * by the unit and conformance tests, `netstack replay --in-process`, the fuzz test, and
 * as the throughput ceiling of the logic itself.
 *
 * <p>The clock is driven: it moves only by {@link #advance}, so timers are repeatable.
 */
public final class InProcessStack {

    private final List<Layer> layers;
    private final Map<String, HostConfig> configs = new java.util.LinkedHashMap<>();
    private final Map<KernelQueue, Layer> readers = new EnumMap<>(KernelQueue.class);
    private final WireReceiver nic;
    private final Deque<StepContext.Output> fifo = new ArrayDeque<>();
    private final List<Consumer<SkbEvent>> eventSinks = new ArrayList<>();
    private final List<Consumer<WireFrame>> wireTx = new ArrayList<>();
    private long now;
    private long nextId = 1;

    public InProcessStack(List<Layer> layers, long startNanos) {
        this.layers = new ArrayList<>(layers);
        this.now = startNanos;
        WireReceiver wire = null;
        for (Layer l : layers) {
            for (KernelQueue q : l.inputs()) {
                if (readers.put(q, l) != null) throw new IllegalArgumentException("two layers read " + q);
            }
            if (l instanceof WireReceiver w) wire = w;
        }
        if (wire == null) throw new IllegalArgumentException("no layer takes frames from the wire");
        this.nic = wire;
        for (KernelQueue q : KernelQueue.values()) {
            if (!readers.containsKey(q)) throw new IllegalArgumentException("no layer reads " + q);
        }
    }

    /** The standard five layers, clock at zero. */
    public static InProcessStack create() {
        return new InProcessStack(Layers.standard(), 0);
    }

    /** Every event every layer writes, in order. */
    public InProcessStack onEvent(Consumer<SkbEvent> sink) {
        eventSinks.add(sink);
        return this;
    }

    /** Every frame a NIC puts on the wire. */
    public InProcessStack onTransmit(Consumer<WireFrame> sink) {
        wireTx.add(sink);
        return this;
    }

    public void configure(HostConfig host) {
        configs.put(host.netns(), host);
        for (Layer l : layers) l.configure(host);
    }

    public void remove(String netns) {
        configs.remove(netns);
        for (Layer l : layers) l.remove(netns);
    }

    /**
     * A crash and a successor, as the distributed stack has them: each host's state of the layer
     * named like {@code successor} is snapshot, the old instance is dropped, and the successor,
     * configured afresh, restores the snapshots before it sees the next skb.
     * @return the layer that was replaced
     */
    public Layer restart(Layer successor) {
        Layer old = null;
        for (Layer l : layers) if (l.name().equals(successor.name())) old = l;
        if (old == null) throw new IllegalArgumentException("no layer " + successor.name());
        Map<String, byte[]> snapshots = new java.util.LinkedHashMap<>();
        Map<String, Map<String, byte[]>> objects = new java.util.HashMap<>();
        for (String netns : configs.keySet()) {
            snapshots.put(netns, old.snapshot(netns));
            objects.put(netns, old.objects(netns));
        }
        for (HostConfig host : configs.values()) successor.configure(host);
        for (Map.Entry<String, byte[]> e : snapshots.entrySet()) {
            if (e.getValue() != null) successor.restore(e.getKey(), e.getValue(), objects.get(e.getKey()));
        }
        layers.set(layers.indexOf(old), successor);
        for (KernelQueue q : successor.inputs()) readers.put(q, successor);
        return old;
    }

    /** The layer of that name now running. */
    public Layer layer(String name) {
        for (Layer l : layers) if (l.name().equals(name)) return l;
        throw new IllegalArgumentException("no layer " + name);
    }

    public long nowNanos() { return now; }

    /** A frame arrives on the wire of {@code frame.dev()}; runs the stack until every queue is empty. */
    public void receiveFrame(WireFrame frame) {
        StepContext ctx = context(nic instanceof Layer l ? l.name() : "nic");
        nic.receiveFrame(frame, ctx);
        finish(ctx);
        drain();
    }

    /** Puts an skb on a queue (what a socket sends, a test's hand-made packet) and drains. */
    public void enqueue(KernelQueue queue, SkBuff skb) {
        fifo.add(new StepContext.Output(queue, skb));
        drain();
    }

    /** Moves the clock forward and runs the timers that fall due, then drains. */
    public void advance(long nanos) {
        now += nanos;
        for (Layer l : layers) {
            StepContext ctx = context(l.name());
            l.tick(ctx);
            finish(ctx);
        }
        drain();
    }

    /** Runs a layer-level action (a socket API call) in a visit of its own, then drains. */
    public void run(String layer, Consumer<LayerContext> action) {
        StepContext ctx = context(layer);
        action.accept(ctx);
        finish(ctx);
        drain();
    }

    private void drain() {
        StepContext.Output next;
        while ((next = fifo.poll()) != null) {
            Layer l = readers.get(next.queue());
            StepContext ctx = context(l.name());
            ctx.begin(next.skb());
            l.receive(next.queue(), next.skb(), ctx);
            finish(ctx);
        }
    }

    private StepContext context(String layer) {
        return new StepContext(layer, "in-process", now, () -> nextId++);
    }

    private void finish(StepContext ctx) {
        fifo.addAll(ctx.outputs());
        for (SkbEvent e : ctx.events()) {
            for (Consumer<SkbEvent> s : eventSinks) s.accept(e);
            if (e.fate() instanceof Fate.Transmitted t) {
                WireFrame f = new WireFrame(e.netns(), t.dev(), t.frame(), now);
                for (Consumer<WireFrame> w : wireTx) w.accept(f);
            }
        }
    }
}
