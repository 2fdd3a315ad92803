package io.netstack.benchmarks;

import io.netstack.wire.Bytes;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.InetChecksum;
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

import java.util.concurrent.TimeUnit;

/**
 * (d) Header parsing and checksums of a full-size frame (1514 bytes: IPv4 total length
 * 1500, UDP with 1472 bytes of data), frames per second: what the receive path does per
 * packet before any state is looked at.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class WireBenchmark {

    private byte[] frame;

    @Setup
    public void setUp() {
        frame = BenchFrames.udpToBoundPort(1472);
        if (frame.length != 1514) throw new IllegalStateException("frame of " + frame.length + " bytes");
    }

    /** Ethernet, IPv4 (version, IHL, total length, header checksum), UDP (length, checksum over 1480 bytes). */
    @Benchmark
    public int parseAndVerify1500() {
        byte[] f = frame;
        EthernetHeader eth = EthernetHeader.checked(f, 0, f.length).orElseThrow();
        if (eth.proto() != 0x0800) return -1;
        int ip = EthernetHeader.LENGTH;
        int ihl = (f[ip] & 0x0f) * 4;
        int total = Bytes.u16(f, ip + 2);
        if ((f[ip] & 0xf0) != 0x40 || ihl < 20 || total < ihl || ip + total > f.length) return -2;
        if (InetChecksum.compute(f, ip, ihl) != 0) return -3;
        int l4 = ip + ihl;
        int ulen = Bytes.u16(f, l4 + 4);
        if (ulen < 8 || ulen > total - ihl) return -4;
        int src = Bytes.u32(f, ip + 12), dst = Bytes.u32(f, ip + 16);
        if (InetChecksum.transport(src, dst, Bytes.u8(f, ip + 9), f, l4, ulen) != 0) return -5;
        return Bytes.u16(f, l4 + 2);
    }

    /** The IPv4 header checksum alone (ip_fast_csum over 20 bytes). */
    @Benchmark
    public int ipHeaderChecksum() {
        return InetChecksum.compute(frame, EthernetHeader.LENGTH, 20);
    }

    /** The UDP checksum alone, pseudo-header and 1480 bytes. */
    @Benchmark
    public int udpChecksum1480() {
        return InetChecksum.transport(BenchFrames.PEER_IP, BenchFrames.OUR_IP, 17, frame, 34, 1480);
    }
}
