package io.netstack.net.ipv4;

import io.netstack.layer.L4Layer;
import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Errno;
import io.netstack.layer.SocketLayer.Result;
import io.netstack.stack.LayerContext;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.TcpHeader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded stress test of TCP through an echo: host a writes megabytes to an echo application
 * on host b (RFC 862: every byte read is written back, the socket closed after EOF and after
 * everything was written), and reads the echo back; a compares, byte for byte and in order,
 * what came back with what it sent. The wire between them (this test stands in for IP) loses,
 * duplicates, delays with jitter (and so reorders) and now and then stalls for longer than the
 * RTO, as the distributed stack's Kafka hops do: the RTO fires spuriously, F-RTO engages and
 * undoes, fast retransmits and SACK recovery run, data goes both ways at once so the segments
 * that carry the echo also carry SACK blocks. Every skb must get exactly one fate. Clock driven:
 * a run is the same on every machine.
 */
class TcpStressTest {

    static final String A = "a";
    static final String B = "b";
    static final int ADDR_A = Inet.parse("10.0.0.1");
    static final int ADDR_B = Inet.parse("10.0.0.2");
    static final int PORT = 7;

    /** The wire's behaviour in one direction. */
    record Impairment(double lossPct, double dupPct, long delayMs, long jitterMs, double stallPct, long stallMaxMs) {}

    /** A frame on its way: delivered at {@code at} (ties in sending order). */
    record InFlight(long at, long order, String to, int saddr, int daddr, int proto, byte[] l4) {}

    /**
     * Two hosts (l4 + socket layer, {@link TcpHarness}) on an impaired cable of {@link InFlight}
     * frames, a driven clock.
     */
    static final class World {
        final TcpHarness h = new TcpHarness();
        final L4Layer l4 = h.l4;
        final SocketLayer sock = h.sock;
        final Random rnd;
        final Impairment imp;
        long order;
        final PriorityQueue<InFlight> wire = new PriorityQueue<>((x, y) -> x.at != y.at
                ? Long.compare(x.at, y.at) : Long.compare(x.order, y.order));
        final Map<String, Long> stallUntil = new HashMap<>();
        long framesSent;

        World(long seed, Impairment imp, String sysctlA) {
            this.rnd = new Random(seed);
            this.imp = imp;
            h.add(host(A, "10.0.0.1", sysctlA));
            h.add(host(B, "10.0.0.2", ""));
            h.cable = this::transmit;
        }

        long now() { return h.now; }

        <T> T call(Function<LayerContext, T> action) { return h.call(action); }

        List<String> fateless() { return h.fateless; }

        long counter(String netns, String name) { return h.counter(netns, name); }

        /** The wire: loss, duplication, delay with jitter, and stalls that hold everything back. */
        void transmit(TcpHarness.Sent sent) {
            framesSent++;
            String from = sent.netns();
            String to = A.equals(from) ? B : A;
            // IP would refuse a DF segment over the MTU (ip_fragment): so does the wire.
            assertThat(sent.l4().length + 20).as("segment over the MTU").isLessThanOrEqualTo(1500);
            if (rnd.nextDouble() * 100 < imp.lossPct()) return;
            int copies = rnd.nextDouble() * 100 < imp.dupPct() ? 2 : 1;
            long now = h.now;
            long stall = stallUntil.getOrDefault(from, 0L);
            if (rnd.nextDouble() * 100 < imp.stallPct()) {
                stall = Math.max(stall, now + (long) (rnd.nextDouble() * imp.stallMaxMs()) * 1_000_000L);
                stallUntil.put(from, stall);
            }
            for (int i = 0; i < copies; i++) {
                long at = now + imp.delayMs() * 1_000_000L + (long) (rnd.nextDouble() * imp.jitterMs() * 1_000_000L);
                at = Math.max(at, stall + i);
                wire.add(new InFlight(at, order++, to, sent.saddr(), sent.daddr(), sent.proto(), sent.l4()));
            }
        }

        /** Moves the clock to the next thing due (a frame, a timer), at most to {@code limit}. */
        void step(long limit) {
            long next = limit;
            if (!wire.isEmpty()) next = Math.min(next, wire.peek().at);
            next = Math.min(next, l4.host(A).tcp().nextDeadline());
            next = Math.min(next, l4.host(B).tcp().nextDeadline());
            h.now = Math.max(h.now, next);
            while (!wire.isEmpty() && wire.peek().at <= h.now) {
                InFlight f = wire.poll();
                h.arrive(f.to(), f.saddr(), f.daddr(), f.proto(), f.l4());
            }
            h.advance(0);   // the timers due now
        }
    }

    /** The result of one run, for the assertions and the failure message. */
    record Outcome(byte[] sent, byte[] echoed, boolean eof, long virtualMs, World w) {}

    static io.netstack.config.HostConfig host(String netns, String addr, String rmem) {
        String yaml = "interfaces:\n  - name: eth0\n    mac: \"02:00:00:00:00:01\"\n    mtu: 1500\n"
                + "    addresses: [\"" + addr + "/24\"]\nsysctl:\n"
                + rmem
                + "sockets: []\n";
        return io.netstack.config.HostConfigParser.parse(yaml, "stress", netns);
    }

    /** The client's receive buffer as Linux autotunes it for a bulk transfer: the echo's sender gets a large window. */
    static final String BIG_RCVBUF = "  net.ipv4.tcp_rmem: \"4096 4194304 33554432\"\n";

    static long SLOW_READ_MS = Long.getLong("netstack.stress.slowread", 0);

    static Outcome run(long seed, int bytes, Impairment imp, long limitMs) {
        return run(seed, bytes, imp, limitMs, "");
    }

    static Outcome run(long seed, int bytes, Impairment imp, long limitMs, String sysctlA) {
        World w = new World(seed, imp, sysctlA);
        SocketLayer sl = w.sock;
        int lfd = (int) w.call(c -> sl.socketCreate(B, "tcp")).value();
        assertThat(w.call(c -> sl.bind(c, B, lfd, 0, PORT)).isOk()).isTrue();
        assertThat(w.call(c -> sl.listen(c, B, lfd, 16)).isOk()).isTrue();
        int cfd = (int) w.call(c -> sl.socketCreate(A, "tcp")).value();
        assertThat(w.call(c -> sl.connect(c, A, cfd, ADDR_B, PORT)).errno()).isEqualTo(Errno.EINPROGRESS);

        byte[] data = new byte[bytes];
        new Random(seed * 7919).nextBytes(data);
        ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        int written = 0;
        boolean shut = false;
        int sfd = -1;
        boolean echoReadEof = false;
        boolean echoClosed = false;
        boolean clientEof = false;
        long echoNextRead = 0;
        long start = w.now();
        long limit = start + limitMs * 1_000_000L;
        byte[] echoPending = new byte[0];
        while (w.now() < limit && !clientEof) {
            // The client: keeps at most 256 KB written and not yet acknowledged, then SHUT_WR (nc -N).
            if (sl.fd(A, cfd).state() == SocketLayer.SockState.CONNECTED) {
                TcpSock ct = w.l4.host(A).tcp().connection(sl.fd(A, cfd).key());
                while (written < bytes && ct != null && ct.writeSeq - ct.sndUna < 256 * 1024) {
                    int n = Math.min(16 * 1024, bytes - written);
                    byte[] part = Arrays.copyOfRange(data, written, written + n);
                    Result r = w.call(c -> sl.send(c, A, cfd, part));
                    if (!r.isOk()) {
                        // The send buffer is full: wait for sk_write_space (the next step).
                        assertThat(r.errno()).as("send").isEqualTo(Errno.EAGAIN);
                        break;
                    }
                    written += (int) r.value();
                }
                if (written == bytes && !shut) {
                    w.call(c -> sl.shutdown(c, A, cfd, 1));
                    shut = true;
                }
                while (true) {
                    Result r = w.call(c -> sl.recv(c, A, cfd, 64 * 1024));
                    if (!r.isOk()) {
                        assertThat(r.errno()).as("client recv").isEqualTo(Errno.EAGAIN);
                        break;
                    }
                    if (r.value() == 0) {
                        clientEof = true;
                        break;
                    }
                    echoed.write(r.data(), 0, r.data().length);
                }
            }
            // The echo app: accept, then every byte read is written back; close after EOF.
            if (sfd < 0) {
                Result acc = w.call(c -> sl.accept(c, B, lfd));
                if (acc.isOk()) sfd = (int) acc.value();
            }
            if (sfd >= 0 && !echoClosed && w.now() >= echoNextRead) {
                final int fd = sfd;
                // First what a short send left to write back; nothing is read before it is out.
                while (echoPending.length > 0) {
                    byte[] p = echoPending;
                    Result s = w.call(c -> sl.send(c, B, fd, p));
                    if (!s.isOk()) {
                        assertThat(s.errno()).as("echo send").isEqualTo(Errno.EAGAIN);
                        break;
                    }
                    echoPending = Arrays.copyOfRange(p, (int) s.value(), p.length);
                }
                int reads = 0;
                while (echoPending.length == 0 && !echoReadEof && (SLOW_READ_MS == 0 || reads++ < 1)) {
                    echoNextRead = w.now() + SLOW_READ_MS * 1_000_000L;
                    Result r = w.call(c -> sl.recv(c, B, fd, SLOW_READ_MS > 0 ? 8 * 1024 : 64 * 1024));
                    if (!r.isOk()) {
                        assertThat(r.errno()).as("echo recv").isEqualTo(Errno.EAGAIN);
                        break;
                    }
                    if (r.value() == 0) {
                        echoReadEof = true;
                        break;
                    }
                    Result s = w.call(c -> sl.send(c, B, fd, r.data()));
                    if (s.isOk()) {
                        echoPending = Arrays.copyOfRange(r.data(), (int) s.value(), r.data().length);
                    } else {
                        assertThat(s.errno()).as("echo send").isEqualTo(Errno.EAGAIN);
                        echoPending = r.data();
                    }
                }
                if (echoReadEof && echoPending.length == 0) {
                    w.call(c -> sl.close(c, B, fd));
                    echoClosed = true;
                }
            }
            w.step(echoNextRead > w.now() && !echoClosed ? Math.min(limit, echoNextRead) : limit);
        }
        return new Outcome(data, echoed.toByteArray(), clientEof, (w.now() - start) / 1_000_000, w);
    }

    static String describe(Outcome o) {
        World w = o.w();
        StringBuilder b = new StringBuilder();
        b.append(String.format("%d of %d bytes back, eof %s, %d ms virtual, %d frames%n", o.echoed().length,
                o.sent().length, o.eof(), o.virtualMs(), w.framesSent));
        int firstDiff = -1;
        for (int i = 0; i < Math.min(o.echoed().length, o.sent().length); i++) {
            if (o.echoed()[i] != o.sent()[i]) {
                firstDiff = i;
                break;
            }
        }
        b.append("first differing byte: ").append(firstDiff).append('\n');
        for (String h : List.of(A, B)) {
            b.append(h).append(": ");
            for (String k : List.of("TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPSpuriousRTOs", "TcpExtTCPLossUndo",
                    "TcpExtTCPFastRetrans", "TcpExtTCPSlowStartRetrans", "TcpExtTCPSackRecovery", "TcpExtTCPDSACKRecv",
                    "TcpExtTCPOFOQueue", "TcpExtTCPRcvQDrop", "TcpExtTCPZeroWindowDrop", "TcpEstabResets")) {
                b.append(k.replace("TcpExt", "")).append('=').append(w.counter(h, k)).append(' ');
            }
            b.append('\n');
        }
        return b.toString();
    }

    static void check(Outcome o) {
        String why = describe(o);
        assertThat(o.w().fateless()).as("skbs without a fate\n" + why).isEmpty();
        assertThat(o.eof()).as("the echo ended with EOF\n" + why).isTrue();
        assertThat(o.echoed().length).as("bytes back\n" + why).isEqualTo(o.sent().length);
        assertThat(Arrays.equals(o.echoed(), o.sent())).as("the echo is what was sent, in order\n" + why).isTrue();
        assertThat(o.w().counter(A, "TcpEstabResets") + o.w().counter(B, "TcpEstabResets")).as(why).isZero();
    }

    @ParameterizedTest(name = "seed {0}: loss {2}% dup {3}% delay {4}+{5} ms, stalls {6}% up to {7} ms")
    @CsvSource({
            // seed, bytes, loss%, dup%, delay, jitter, stall%, stallMax
            "1, 1048576, 0, 0, 10, 0, 0, 0",
            "2, 1048576, 1, 0, 20, 5, 0, 0",
            "3, 1048576, 1, 1, 20, 30, 0.05, 600",
            "4, 1048576, 3, 1, 50, 40, 0.05, 1500",
            "5, 1048576, 5, 2, 150, 100, 0.02, 2000",
            "6, 1048576, 2, 1, 100, 20, 0.1, 1000",
            "7, 1048576, 0, 0, 20, 5, 0.1, 1500",
    })
    void anEchoComesBackIntactOverAnImpairedWire(long seed, int bytes, double loss, double dup, long delay, long jitter,
                                                 double stall, long stallMax) {
        Outcome o = run(seed, bytes, new Impairment(loss, dup, delay, jitter, stall, stallMax), 600_000);
        System.out.print("seed " + seed + ": " + describe(o));
        check(o);
        if (loss >= 1) {
            // Both senders recover losses by SACK (fast recovery), not by timeouts alone: before,
            // a host whose ISN put sequence 0 after snd_una never saw a SACK block as new.
            assertThat(o.w().counter(A, "TcpExtTCPSackRecovery")).as(describe(o)).isPositive();
            assertThat(o.w().counter(B, "TcpExtTCPSackRecovery")).as(describe(o)).isPositive();
        }
    }

    /**
     * tcp_sacktag_write_queue: three SACK blocks above a hole start recovery whatever the
     * (sequence-number) value left in highSacked: a value outside (snd_una, snd_nxt] is not a
     * reach. 0 was one, for half the ISNs: no SACK block ever counted, every loss waited for the RTO.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "stale reach at snd_una + {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0x40000000, -0x10, 0x7ffffff0})
    void threeSackedSegmentsStartRecoveryWhateverTheStaleReach(int staleOffset) {
        TcpLiveWireTest t = new TcpLiveWireTest();
        t.established(100, true);
        int mark = t.h.sent.size();
        t.h.call(c -> t.sl.send(c, TcpLiveWireTest.H, t.fd, TcpLiveWireTest.pattern(0, 6 * TcpLiveWireTest.MSS)));
        int una = t.h.sentSince(mark).get(0).th().seq();
        int mss = TcpLiveWireTest.MSS;
        t.ack(una + mss);
        t.tp().highSacked = una + mss + staleOffset;
        mark = t.h.sent.size();
        // Segment 2 lost: the peer SACKs 3, 3-4, 3-5.
        for (int k = 1; k <= 3; k++) t.ackSack(una + mss, una + 2 * mss, una + (2 + k) * mss);
        assertThat(t.h.counter(TcpLiveWireTest.H, "TcpExtTCPSackRecovery")).isEqualTo(1);
        assertThat(t.h.sentSince(mark)).as(TcpHarness.tcpdump(t.h.sentSince(mark)))
                .anySatisfy(x -> assertThat(x.th().seq()).isEqualTo(una + mss));
    }

    /**
     * tcp_ack_is_dubious: an ACK that SACKs new data alerts loss recovery even when it carries
     * data (FLAG_DATA) — the peer of an echo answers with data — and it takes the slow path
     * (pred_flags holds the header length: SACK blocks make the header longer), so tcp_ack
     * runs for it although snd_una does not move.
     */
    @org.junit.jupiter.api.Test
    void dataSegmentsWithNewSackBlocksStartRecovery() {
        TcpLiveWireTest t = new TcpLiveWireTest();
        t.established(100, true);
        int mark = t.h.sent.size();
        t.h.call(c -> t.sl.send(c, TcpLiveWireTest.H, t.fd, TcpLiveWireTest.pattern(0, 6 * TcpLiveWireTest.MSS)));
        int una = t.h.sentSince(mark).get(0).th().seq();
        int mss = TcpLiveWireTest.MSS;
        t.ack(una + mss);
        mark = t.h.sent.size();
        int peerSeq = TcpLiveWireTest.PISN + 1;
        for (int k = 1; k <= 3; k++) {
            byte[] o = new byte[12];
            o[0] = 1;
            o[1] = 1;
            o[2] = 5;
            o[3] = 10;
            Bytes.put32(o, 4, una + 2 * mss);
            Bytes.put32(o, 8, una + (2 + k) * mss);
            t.h.inject(TcpLiveWireTest.H, TcpLiveWireTest.PEER, TcpLiveWireTest.LOCAL, TcpStatesTest.seg(t.lport,
                    TcpHeader.ACK, peerSeq, una + mss, 65535, o, new byte[100]));
            peerSeq += 100;
        }
        assertThat(t.h.counter(TcpLiveWireTest.H, "TcpExtTCPSackRecovery")).isEqualTo(1);
        assertThat(t.h.sentSince(mark)).as(TcpHarness.tcpdump(t.h.sentSince(mark)))
                .anySatisfy(x -> assertThat(x.th().seq()).isEqualTo(una + mss));
    }

    /** A sweep over many seeds and random impairments: -Dnetstack.stress.sweep=N (exploration, not in the build). */
    @org.junit.jupiter.api.Test
    void sweep() {
        int n = Integer.getInteger("netstack.stress.sweep", 0);
        org.junit.jupiter.api.Assumptions.assumeTrue(n > 0);
        int bad = 0;
        for (int seed = 100; seed < 100 + n; seed++) {
            Random r = new Random(seed);
            Impairment imp = new Impairment(r.nextInt(6), r.nextInt(3), 10 + r.nextInt(150), r.nextInt(100),
                    r.nextDouble() * 0.2, 200 + r.nextInt(2000));
            Outcome o = run(seed, 1 << 20, imp, 600_000, Boolean.getBoolean("netstack.stress.big") ? BIG_RCVBUF : "");
            try {
                check(o);
            } catch (AssertionError e) {
                bad++;
                System.out.println("FAIL seed " + seed + " " + imp + "\n" + describe(o) + e.getMessage().lines().limit(3).toList());
            }
        }
        assertThat(bad).isZero();
    }
}
