package io.netstack.fuzz;

import io.netstack.stack.WireFrame;
import io.netstack.wire.Bytes;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.netstack.fuzz.Frames.*;

/**
 * The frames the fuzz test throws, seeded and repeatable: the same seed and the same stack
 * give the same frames in the same order.
 *
 * <ul>
 * <li>{@link Kind#RANDOM}: random bytes of a random length 0..1600;
 * <li>{@link Kind#MUTATED}: a seed frame after 1..4 mutations ({@link Mutator}), checksums
 *     as the mutations left them (so mostly wrong);
 * <li>{@link Kind#MUTATED_VALID}: the same, then lengths (sometimes) and checksums recomputed,
 *     so the frame gets past the checksum checks to the code behind them;
 * <li>{@link Kind#SEED}: a seed frame as it is;
 * <li>{@link Kind#REACTIVE}: an answer to what the stack sent (the ACK, data, FIN or RST for
 *     a SYN-ACK; an ARP reply to an ARP request), to reach TCP states past LISTEN; valid.
 * </ul>
 */
final class FrameSource {

    enum Kind { RANDOM, MUTATED, MUTATED_VALID, SEED, REACTIVE }

    /** One generated frame and how it was made. */
    record Generated(Kind kind, String dev, byte[] frame, String how) {}

    private final long seed;
    private final SeedFrames.Seed[] seeds;
    private final Mutator mutator;
    private final Deque<byte[]> sent = new ArrayDeque<>();
    private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);

    FrameSource(long seed, List<SeedFrames.Seed> seeds) {
        if (seeds.isEmpty()) throw new IllegalArgumentException("no seed frames");
        this.seed = seed;
        this.seeds = seeds.toArray(new SeedFrames.Seed[0]);
        this.mutator = new Mutator(this.seeds);
    }

    int seedCount() { return seeds.length; }

    Map<Kind, Long> counts() { return counts; }

    /** A frame the stack transmitted: remembered (the last few) to answer. */
    void observe(WireFrame tx) {
        byte[] f = tx.frame();
        if (isSynAck(f) || isArpRequest(f)) {
            sent.addLast(f);
            if (sent.size() > 16) sent.removeFirst();
        }
    }

    /** Frame number {@code index} of the run. */
    Generated next(long index) {
        SplittableRandom r = new SplittableRandom(seed ^ (index * 0x9E3779B97F4A7C15L));
        int dice = r.nextInt(100);
        // 1 in 200 goes to a device the host has not, the rest to eth0
        String dev = r.nextInt(200) == 0 ? "eth9" : "eth0";
        Generated g;
        if (dice < 15) {
            byte[] f = new byte[r.nextInt(Mutator.MAX_LEN + 1)];
            r.nextBytes(f);
            g = new Generated(Kind.RANDOM, dev, f, "random");
        } else if (dice < 45) {
            SeedFrames.Seed s = seeds[r.nextInt(seeds.length)];
            StringBuilder how = new StringBuilder(s.name()).append(" + ");
            g = new Generated(Kind.MUTATED, dev, mutator.mutate(s.frame(), 1 + r.nextInt(4), r, how), how.toString());
        } else if (dice < 85 || (dice < 95 && sent.isEmpty())) {
            SeedFrames.Seed s = seeds[r.nextInt(seeds.length)];
            StringBuilder how = new StringBuilder(s.name()).append(" + ");
            byte[] f = mutator.mutate(s.frame(), 1 + r.nextInt(3), r, how);
            if (r.nextBoolean()) {
                fixLengths(f);
                how.append(" + lengths");
            }
            fixChecksums(f);
            g = new Generated(Kind.MUTATED_VALID, dev, f, how.append(" + checksums").toString());
        } else if (dice < 95) {
            byte[] out = sent.removeFirst();
            g = new Generated(Kind.REACTIVE, dev, answer(out, r), "answer to " + hex(out));
        } else {
            SeedFrames.Seed s = seeds[r.nextInt(seeds.length)];
            g = new Generated(Kind.SEED, dev, s.frame().clone(), s.name());
        }
        counts.merge(g.kind(), 1L, Long::sum);
        return g;
    }

    // --- answers -------------------------------------------------------------------------------

    private static boolean isSynAck(byte[] f) {
        int ip = ipv4Offset(f);
        int l4 = l4Offset(f);
        return ip >= 0 && l4 >= 0 && l4 + 20 <= f.length && Bytes.u8(f, ip + 9) == IPPROTO_TCP
                && (f[l4 + 13] & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
    }

    private static boolean isArpRequest(byte[] f) {
        L3 l3 = l3(f);
        return l3.ethType() == ETH_P_ARP && l3.offset() + 28 <= f.length && Bytes.u16(f, l3.offset() + 6) == 1;
    }

    /** What the peer sends back to a frame the stack sent. */
    private static byte[] answer(byte[] out, SplittableRandom r) {
        if (isArpRequest(out)) {
            int a = l3(out).offset();
            int target = Bytes.u32(out, a + 24);
            byte[] mac = r.nextBoolean() ? PEER_MAC : OTHER_MAC;
            return eth(OUR_MAC, mac, ETH_P_ARP, arp(2, mac, target, OUR_MAC, Bytes.u32(out, a + 14)));
        }
        int ip = ipv4Offset(out);
        int l4 = l4Offset(out);
        int us = Bytes.u32(out, ip + 12), peer = Bytes.u32(out, ip + 16);
        int ourPort = Bytes.u16(out, l4), peerPort = Bytes.u16(out, l4 + 2);
        int ourSeq = Bytes.u32(out, l4 + 4), peerSeq = Bytes.u32(out, l4 + 8);
        int ack = ourSeq + 1;
        int seq = peerSeq;
        int flags;
        byte[] data = new byte[0];
        switch (r.nextInt(8)) {
            case 0, 1 -> flags = TCP_ACK;
            case 2, 3 -> { flags = TCP_ACK | TCP_PSH; data = bytes(1 + r.nextInt(1400), 0x41); }
            case 4 -> { flags = TCP_ACK | TCP_FIN | (r.nextBoolean() ? TCP_PSH : 0); data = r.nextBoolean() ? bytes(20, 0x61) : data; }
            case 5 -> flags = r.nextBoolean() ? TCP_RST : TCP_RST | TCP_ACK;
            case 6 -> { flags = TCP_ACK | TCP_PSH; seq += r.nextInt(1 << 20) - (1 << 19); data = bytes(1 + r.nextInt(100), 0x30); }
            default -> { flags = r.nextBoolean() ? TCP_SYN : TCP_ACK; ack += r.nextInt(5) - 2; }
        }
        byte[] seg = tcp(peer, us, peerPort, ourPort, seq, ack, flags, 502, new byte[0], data);
        return ipFrame(OUR_MAC, ipv4(peer, us, IPPROTO_TCP, r.nextInt(0x10000), IP_DF, 64, new byte[0], seg));
    }
}
