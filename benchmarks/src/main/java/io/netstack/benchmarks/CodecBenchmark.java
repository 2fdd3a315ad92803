package io.netstack.benchmarks;

import io.netstack.codec.EventCodec;
import io.netstack.codec.SkbCodec;
import io.netstack.skb.SkBuff;
import io.netstack.stack.Fate;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * (e) The records that cross every topic: an skb (SkbCodec) and an events record (EventCodec:
 * a list of events, one host's of a layer's poll), encoded and decoded, operations per second.
 * The skb holds a 1514-byte frame; the events are the one the stack wrote for a UDP frame (the
 * richest of its visit: trace and link statistics) and a transmitted full-size frame, each alone
 * in a record (an idle stack: one skb per poll), and a record of {@value #POLL} rx events (a busy
 * poll: divide by {@value #POLL} for the cost of one event).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class CodecBenchmark {

    /** Events in the busy poll's record. */
    static final int POLL = 100;

    private SkBuff skb;
    private byte[] skbBytes;
    private SkbEvent rxEvent;
    private byte[] rxEventBytes;
    private List<SkbEvent> rxPoll;
    private byte[] rxPollBytes;
    private SkbEvent txEvent;
    private WireFrame wireFrame;

    @Setup
    public void setUp() {
        byte[] frame = BenchFrames.udpToBoundPort(1472);
        skb = SkBuff.ofFrame(42, BenchFrames.NETNS, frame);
        skb.setDev("eth0");
        skb.setIif("eth0");
        skb.setProtocol(0x0800);
        skb.setHash(0x1234abcd);
        skb.hops().add(new SkBuff.Hop("nic", 1));
        skb.hops().add(new SkBuff.Hop("softirq", 2));
        skb.cb().saddr = BenchFrames.PEER_IP;
        skb.cb().daddr = BenchFrames.OUR_IP;
        skb.cb().sport = 40000;
        skb.cb().dport = BenchFrames.UDP_PORT;
        skb.cb().ipProtocol = 17;
        skbBytes = SkbCodec.encode(skb);

        List<SkbEvent> events = new ArrayList<>();
        InProcessStack stack = InProcessStack.create().onEvent(events::add);
        stack.configure(BenchFrames.host());
        stack.receiveFrame(new WireFrame(BenchFrames.NETNS, "eth0", BenchFrames.udpToBoundPort(64), 0));
        rxEvent = events.stream().max(Comparator.comparingInt(e -> e.trace().size() + e.stats().size())).orElseThrow();
        rxEventBytes = EventCodec.encodeAll(List.of(rxEvent));
        rxPoll = java.util.Collections.nCopies(POLL, rxEvent);
        rxPollBytes = EventCodec.encodeAll(rxPoll);
        txEvent = new SkbEvent(BenchFrames.NETNS, 43, 42, "nic", "bench", 3, false, List.of(),
                List.of(new SkbEvent.TraceEntry("dev_hard_start_xmit", 1), new SkbEvent.TraceEntry("veth_xmit", 2)),
                List.of(new SkbEvent.StatDelta("tx_packets", "eth0", 1), new SkbEvent.StatDelta("tx_bytes", "eth0", frame.length)),
                new Fate.Transmitted("veth_xmit", "eth0", frame), "");
        wireFrame = new WireFrame(BenchFrames.NETNS, "eth0", frame, 0);
        System.out.println();
        System.out.println("[bench] skb record " + skbBytes.length + " bytes; rx event (" + rxEvent.layer() + ", "
                + rxEvent.trace().size() + " trace entries, " + rxEvent.stats().size() + " stats) " + rxEventBytes.length
                + " bytes; tx event " + EventCodec.encodeAll(List.of(txEvent)).length + " bytes; a poll's record of "
                + POLL + " rx events " + rxPollBytes.length + " bytes");
    }

    @Benchmark
    public byte[] skbEncode() {
        return SkbCodec.encode(skb);
    }

    @Benchmark
    public SkBuff skbDecode() {
        return SkbCodec.decode(skbBytes);
    }

    @Benchmark
    public SkBuff skbRoundTrip() {
        return SkbCodec.decode(SkbCodec.encode(skb));
    }

    @Benchmark
    public List<SkbEvent> rxEventRoundTrip() {
        return EventCodec.decodeAll(EventCodec.encodeAll(List.of(rxEvent)));
    }

    @Benchmark
    public List<SkbEvent> rxEventDecode() {
        return EventCodec.decodeAll(rxEventBytes);
    }

    @Benchmark
    public List<SkbEvent> txEventRoundTrip() {
        return EventCodec.decodeAll(EventCodec.encodeAll(List.of(txEvent)));
    }

    @Benchmark
    public List<SkbEvent> rxPollEventsRoundTrip() {
        return EventCodec.decodeAll(EventCodec.encodeAll(rxPoll));
    }

    @Benchmark
    public WireFrame wireFrameRoundTrip() {
        return SkbCodec.decodeFrame(SkbCodec.encode(wireFrame));
    }
}
