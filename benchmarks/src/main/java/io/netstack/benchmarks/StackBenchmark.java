package io.netstack.benchmarks;

import io.netstack.config.HostConfig;
import io.netstack.layer.Layers;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Frames per second through the five layers in one process (InProcessStack: no broker, no
 * serialisation): the throughput ceiling of the logic itself. One operation is one frame from
 * the wire, run until every queue is empty, events written. What a frame ends as depends on
 * which layers are implemented: each benchmark prints, at its end, the fates its frames got
 * (with a stub layer a frame is dropped there, NOT_EMULATED, and that is what is measured).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class StackBenchmark {

    /**
     * An unread socket fills: a UDP socket's receive buffer (rmem_default) after some hundred
     * datagrams, a listener's SYN queue after its backlog. From then on the benchmark would
     * measure the drop path, so the stateful benchmarks start on a fresh stack every this many
     * frames (its cost, amortised, is part of their figure).
     */
    static final int FRESH_EVERY = 128;

    private HostConfig host;
    private InProcessStack stack;
    private final Tally tally = new Tally();
    private int sinceFresh;
    private byte[] udp;
    private byte[] echo;
    private byte[] otherMac;
    private byte[][] syns;
    private int nextSyn;

    @Setup(Level.Trial)
    public void setUp() {
        host = BenchFrames.host();
        udp = BenchFrames.udpToBoundPort(64);
        echo = BenchFrames.icmpEchoRequest();
        otherMac = BenchFrames.otherMac();
        syns = new byte[FRESH_EVERY][];
        for (int i = 0; i < syns.length; i++) syns[i] = BenchFrames.tcpSynToListener(40000 + i);
        fresh();
    }

    @Setup(Level.Iteration)
    public void fresh() {
        stack = new InProcessStack(Layers.standard(), 0);
        stack.onEvent(tally);
        stack.configure(host);
        sinceFresh = 0;
        nextSyn = 0;
    }

    @TearDown(Level.Trial)
    public void report() {
        System.out.println();
        System.out.println("[bench] " + tally);
    }

    private long rx(byte[] frame) {
        stack.receiveFrame(new WireFrame(BenchFrames.NETNS, "eth0", frame, 0));
        return tally.fates;
    }

    private void freshEvery() {
        if (++sinceFresh > FRESH_EVERY) fresh();
    }

    /** (a) A 64-byte UDP datagram to the bound port 5353: to the socket's receive queue. */
    @Benchmark
    public long udpToBoundPort() {
        freshEvery();
        return rx(udp);
    }

    /** (b) ping's echo request: the reply built, routed and transmitted, the request consumed. */
    @Benchmark
    public long icmpEchoRequest() {
        return rx(echo);
    }

    /** (c) A frame for another MAC: PACKET_OTHERHOST, freed early in ip_rcv_core. */
    @Benchmark
    public long otherMacEarlyDrop() {
        return rx(otherMac);
    }

    /** A SYN (new source port each time) to the listener on 80: SYN-ACK transmitted. */
    @Benchmark
    public long tcpSynToListener() {
        freshEvery();
        return rx(syns[nextSyn++ % syns.length]);
    }

    /** Counts the fates the frames got, to say what a figure measured. */
    static final class Tally implements Consumer<SkbEvent> {
        long frames;
        long fates;
        final Map<String, Long> byFate = new TreeMap<>();

        @Override
        public void accept(SkbEvent e) {
            if (e.entered() && e.layer().equals("nic")) frames++;
            Fate f = e.fate();
            if (f == null) return;
            fates++;
            String k;
            if (f instanceof Fate.Dropped d) {
                SkbDropReason r = d.reason();
                k = "dropped " + (r == null ? "null" : r.name()) + " in " + e.layer();
            } else if (f instanceof Fate.Transmitted) {
                k = "transmitted";
            } else if (f instanceof Fate.Delivered) {
                k = "delivered";
            } else {
                k = "consumed in " + e.layer();
            }
            byFate.merge(k, 1L, Long::sum);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("fates per frame over " + frames + " frames:");
            byFate.forEach((k, v) -> b.append(String.format(" [%s: %.2f]", k, frames == 0 ? 0.0 : (double) v / frames)));
            return b.toString();
        }
    }
}
