package io.netstack.net.ipv4;

import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Errno;
import io.netstack.layer.SocketLayer.Result;
import io.netstack.skb.ControlBlock;
import io.netstack.wire.Inet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Receive-buffer autotuning (tcp_rcv_space_adjust, tcp_rcvbuf_grow) as a user sees it: a bulk
 * transfer from a to b over a cable with a 25 ms delay each way (RTT 50 ms), b's application
 * reading every byte as soon as it is queued. Over the RTTs of the transfer b's sk_rcvbuf grows
 * and the window its ACKs advertise (scaled by its window scale) grows far past the ~64 KB that
 * tcp_rmem[1] (131072) allows, up to tcp_rmem[2]; with net.ipv4.tcp_moderate_rcvbuf=0, or with
 * SO_RCVBUF set by the application, neither grows. Clock driven, so a run is the same everywhere.
 */
class TcpRcvSpaceAdjustTest {

    static final String A = "a";
    static final String B = "b";
    static final int ADDR_B = Inet.parse("10.0.0.2");
    static final int PORT = 5001;
    static final long ONE_WAY_NANOS = 25_000_000L;
    /** tcp_rmem[1]: where sk_rcvbuf starts, and the window it allows (tcp_win_from_space: half). */
    static final int RMEM_DEFAULT = 131072;
    static final int INITIAL_WINDOW_MAX = 65536;

    /** A frame on the cable, delivered at {@code at} (ties in sending order). */
    record InFlight(long at, long order, String to, int saddr, int daddr, int proto, byte[] l4) {}

    /** What the user looks at after the transfer. */
    record Outcome(byte[] sent, byte[] received, List<long[]> windows, int rcvbuf, int windowClamp,
                   long getsockoptRcvbuf, long rcvRttUs, long virtualMs, String log) {
        /** The largest window b advertised (window field << b's window scale). */
        long maxWindow() { return windows.stream().mapToLong(w -> w[1]).max().orElse(0); }

        /** The largest window b advertised in the first {@code ms} after its first ACK of data. */
        long maxWindowWithin(long ms) {
            long start = windows.get(0)[0];
            return windows.stream().filter(w -> w[0] - start <= ms * 1_000_000L).mapToLong(w -> w[1]).max().orElse(0);
        }
    }

    /** How b's application treats SO_RCVBUF. */
    enum RcvbufOpt { UNSET, ON_LISTENER, ON_ACCEPTED }

    static io.netstack.config.HostConfig host(String netns, String addr, String sysctl) {
        return TcpHarness.host(netns, addr, "", sysctl);
    }

    /**
     * a writes {@code bytes} to b, keeping its send buffer full; b reads after every frame the
     * cable delivers. {@code rcvbufOpt}: whether b's application set SO_RCVBUF 65536 (sk_rcvbuf
     * 131072, the size tcp_rmem[1] gives anyway: only SOCK_RCVBUF_LOCK differs).
     */
    static Outcome transfer(int bytes, String sysctlA, String sysctlB, RcvbufOpt rcvbufOpt) {
        TcpHarness h = new TcpHarness();
        h.add(host(A, "10.0.0.1", sysctlA));
        h.add(host(B, "10.0.0.2", sysctlB));
        PriorityQueue<InFlight> wire = new PriorityQueue<>((x, y) -> x.at != y.at
                ? Long.compare(x.at, y.at) : Long.compare(x.order, y.order));
        long[] order = {0};
        h.cable = s -> wire.add(new InFlight(h.now + ONE_WAY_NANOS, order[0]++, A.equals(s.netns()) ? B : A,
                s.saddr(), s.daddr(), s.proto(), s.l4()));
        Runnable step = () -> {
            // The next thing due: one frame (so the application reads after each), or a timer.
            long next = Long.MAX_VALUE;
            if (!wire.isEmpty()) next = wire.peek().at();
            next = Math.min(next, h.l4.host(A).tcp().nextDeadline());
            next = Math.min(next, h.l4.host(B).tcp().nextDeadline());
            assertThat(next).as("nothing left to happen").isLessThan(Long.MAX_VALUE);
            h.now = Math.max(h.now, next);
            if (!wire.isEmpty() && wire.peek().at() <= h.now) {
                InFlight f = wire.poll();
                h.arrive(f.to(), f.saddr(), f.daddr(), f.proto(), f.l4());
            }
            h.advance(0);
        };

        SocketLayer sl = h.sock;
        int lfd = (int) h.call(c -> sl.socketCreate(B, "tcp")).value();
        if (rcvbufOpt == RcvbufOpt.ON_LISTENER) {
            assertThat(h.call(c -> sl.setsockopt(c, B, lfd, ControlBlock.SO_RCVBUF, 65536)).isOk()).isTrue();
        }
        assertThat(h.call(c -> sl.bind(c, B, lfd, 0, PORT)).isOk()).isTrue();
        assertThat(h.call(c -> sl.listen(c, B, lfd, 16)).isOk()).isTrue();
        int cfd = (int) h.call(c -> sl.socketCreate(A, "tcp")).value();
        assertThat(h.call(c -> sl.connect(c, A, cfd, ADDR_B, PORT)).errno()).isEqualTo(Errno.EINPROGRESS);
        Result acc = h.call(c -> sl.accept(c, B, lfd));
        for (int i = 0; i < 100 && !acc.isOk(); i++) {
            step.run();
            acc = h.call(c -> sl.accept(c, B, lfd));
        }
        assertThat(acc.isOk()).as("accept: %s", acc).isTrue();
        int sfd = (int) acc.value();
        if (rcvbufOpt == RcvbufOpt.ON_ACCEPTED) {
            assertThat(h.call(c -> sl.setsockopt(c, B, sfd, ControlBlock.SO_RCVBUF, 65536)).isOk()).isTrue();
        }
        for (int i = 0; i < 100 && sl.fd(A, cfd).state() != SocketLayer.SockState.CONNECTED; i++) step.run();
        assertThat(sl.fd(A, cfd).state()).isEqualTo(SocketLayer.SockState.CONNECTED);
        int firstDataSegment = h.sent.size();

        byte[] data = new byte[bytes];
        new Random(bytes).nextBytes(data);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int written = 0;
        long start = h.now;
        long limit = start + 600_000_000_000L;
        while (got.size() < bytes && h.now < limit) {
            while (written < bytes) {
                byte[] part = Arrays.copyOfRange(data, written, Math.min(bytes, written + 256 * 1024));
                Result r = h.call(c -> sl.send(c, A, cfd, part));
                if (!r.isOk()) {
                    assertThat(r.errno()).as("send").isEqualTo(Errno.EAGAIN);
                    break;
                }
                written += (int) r.value();
            }
            while (true) {
                Result r = h.call(c -> sl.recv(c, B, sfd, 1 << 20));
                if (!r.isOk() || r.value() == 0) break;
                got.write(r.data(), 0, r.data().length);
            }
            if (got.size() < bytes) step.run();
        }

        TcpSock rx = h.l4.host(B).tcp().connection(sl.fd(B, sfd).key());
        List<long[]> windows = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        for (TcpHarness.Sent s : h.sentSince(firstDataSegment)) {
            if (!B.equals(s.netns())) continue;
            long win = (long) s.th().window() << rx.rcvWscale;
            windows.add(new long[]{s.at(), win});
        }
        for (long[] w : windows) {
            if (log.length() < 20_000) log.append((w[0] - start) / 1_000_000).append("ms win ").append(w[1]).append('\n');
        }
        return new Outcome(data, got.toByteArray(), windows, rx.rcvbuf(), rx.windowClamp(),
                h.call(c -> sl.getsockoptRcvbuf(B, sfd)).value(), rx.rcvRttUs(), (h.now - start) / 1_000_000, log.toString());
    }

    /**
     * tcp_init_buffer_space, as ss -tmi shows an accepted connection on Linux 6.18 (two network
     * namespaces over a veth, MTU 1500, default sysctls): skmem rb131072, wscale 10,
     * advmss 1448, rcv_space:14480 rcv_ssthresh:64088 (window_clamp keeps one segment of the
     * 65536 tcp_full_space back), and nothing read yet: no rcv_rtt.
     */
    @Test
    void theBufferStartsAsLinuxShowsIt() {
        TcpHarness h = new TcpHarness();
        h.add(host(A, "10.0.0.1", ""));
        h.add(host(B, "10.0.0.2", ""));
        h.wire(A, B);
        SocketLayer sl = h.sock;
        int sfd = h.connect(A, B, PORT).server();
        TcpSock tp = h.l4.host(B).tcp().connection(sl.fd(B, sfd).key());
        assertThat(tp.state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        assertThat(tp.rcvbuf()).isEqualTo(RMEM_DEFAULT);
        assertThat(tp.rcvWscale).isEqualTo(10);
        assertThat(tp.rcvqSpace).isEqualTo(14480);
        assertThat(tp.rcvSsthresh).isEqualTo(64088);
        assertThat(tp.windowClamp()).isEqualTo(64088);
        assertThat(tp.rcvRttUs()).isZero();
        assertThat(h.call(c -> sl.getsockoptRcvbuf(B, sfd)).value()).isEqualTo(RMEM_DEFAULT);
    }

    @Test
    void theAdvertisedWindowGrowsWithTheBandwidthDelayProduct() {
        Outcome o = transfer(8 << 20, "", "", RcvbufOpt.UNSET);
        assertThat(o.received()).isEqualTo(o.sent());
        // rcv_rtt (ss -ti): the receiver's estimate of the 50 ms path, from the echoed timestamps.
        assertThat(o.rcvRttUs()).isBetween(50_000L, 60_000L);
        // The first RTT: the window tcp_rmem[1] allows.
        assertThat(o.maxWindowWithin(40)).as(o.log()).isPositive().isLessThanOrEqualTo(INITIAL_WINDOW_MAX);
        // Then, the application reading promptly, the window follows what arrives each RTT.
        assertThat(o.maxWindow()).as(o.log()).isGreaterThanOrEqualTo(16L * INITIAL_WINDOW_MAX);
        assertThat(o.rcvbuf()).isGreaterThanOrEqualTo(16 * RMEM_DEFAULT).isLessThanOrEqualTo(33554432);
        // window_clamp follows sk_rcvbuf (tcp_win_from_space), and getsockopt(SO_RCVBUF) reads it.
        assertThat(o.windowClamp()).isEqualTo(o.rcvbuf() / 2);
        assertThat(o.getsockoptRcvbuf()).isEqualTo(o.rcvbuf());
        // A 64 KB window would carry 64 KB per 50 ms RTT: 8 MB in 6.4 s (virtual).
        assertThat(o.virtualMs()).as(o.log()).isLessThan(6400 / 4);
    }

    @Test
    void withoutTimestampsTheReceiverTimesAWindowForItsRtt() {
        // tcp_rcv_rtt_measure: no TSecr to time, so one sample per window of data.
        Outcome o = transfer(8 << 20, "  net.ipv4.tcp_timestamps: 0\n", "", RcvbufOpt.UNSET);
        assertThat(o.received()).isEqualTo(o.sent());
        assertThat(o.rcvRttUs()).isBetween(50_000L, 60_000L);
        assertThat(o.maxWindowWithin(40)).as(o.log()).isLessThanOrEqualTo(INITIAL_WINDOW_MAX);
        assertThat(o.maxWindow()).as(o.log()).isGreaterThanOrEqualTo(16L * INITIAL_WINDOW_MAX);
        assertThat(o.rcvbuf()).isGreaterThanOrEqualTo(16 * RMEM_DEFAULT);
        assertThat(o.getsockoptRcvbuf()).isEqualTo(o.rcvbuf());
    }

    @Test
    void theReceiveBufferStopsAtTcpRmemMax() {
        Outcome o = transfer(8 << 20, "", "  net.ipv4.tcp_rmem: \"4096 131072 1048576\"\n", RcvbufOpt.UNSET);
        assertThat(o.received()).isEqualTo(o.sent());
        assertThat(o.rcvbuf()).isEqualTo(1048576);
        assertThat(o.getsockoptRcvbuf()).isEqualTo(1048576);
        assertThat(o.windowClamp()).isEqualTo(524288);
        // The window grew to what tcp_rmem[2] allows, and no further.
        assertThat(o.maxWindow()).as(o.log()).isGreaterThan(4L * INITIAL_WINDOW_MAX).isLessThanOrEqualTo(524288);
    }

    @Test
    void tcpModerateRcvbufZeroLeavesTheBufferAlone() {
        Outcome o = transfer(2 << 20, "", "  net.ipv4.tcp_moderate_rcvbuf: 0\n", RcvbufOpt.UNSET);
        assertThat(o.received()).isEqualTo(o.sent());
        assertNotAutotuned(o);
    }

    @ParameterizedTest
    @EnumSource(value = RcvbufOpt.class, names = {"ON_LISTENER", "ON_ACCEPTED"})
    void soRcvbufSetByTheApplicationLeavesTheBufferAlone(RcvbufOpt opt) {
        Outcome o = transfer(2 << 20, "", "", opt);
        assertThat(o.received()).isEqualTo(o.sent());
        assertNotAutotuned(o);
    }

    /**
     * tcp_data_queue_ofo ends with tcp_rcvbuf_grow: before the application reads anything, a
     * hole with out-of-order data behind it makes room for what the queue spans. Packetdrill
     * style: the test plays 10.0.0.1:40000 (MSS 1460, no options) against a listener on
     * 10.0.0.2:80; one segment is missing, 40 follow it. rcvq_space.space is tcp_init_buffer_space's
     * 10 * 1460; the window wanted is twice that plus the 41 segments up to the end of the queue,
     * and sk_rcvbuf twice the window (tcp_space_from_win): 2 * (2 * 14600 + 41 * 1460) = 178120.
     * With tcp_moderate_rcvbuf=0 it stays tcp_rmem[1].
     */
    @ParameterizedTest(name = "tcp_moderate_rcvbuf={0}")
    @ValueSource(ints = {1, 0})
    void outOfOrderDataGrowsTheBufferForWhatTheQueueSpans(int moderate) {
        String hn = TcpStatesTest.H;
        TcpHarness h = new TcpHarness();
        h.add(TcpHarness.host(hn, "10.0.0.2", "  - {proto: tcp, listen: \"0.0.0.0:80\"}\n",
                moderate == 1 ? "" : "  net.ipv4.tcp_moderate_rcvbuf: 0\n"));
        Consumer<byte[]> in = seg -> h.inject(hn, TcpStatesTest.PEER, TcpStatesTest.LOCAL, seg);
        SocketLayer sl = h.sock;
        int pisn = TcpStatesTest.PISN;
        in.accept(TcpStatesTest.seg(80, TcpStatesTest.S, pisn, 0, 65535, TcpStatesTest.mss1460(), new byte[0]));
        int iss = h.sent.get(h.sent.size() - 1).th().seq();
        in.accept(TcpStatesTest.seg(80, TcpStatesTest.A, pisn + 1, iss + 1, new byte[0]));
        int fd = (int) h.call(c -> sl.accept(c, hn, 3)).value();
        TcpSock tp = h.l4.host(hn).tcp().connection(sl.fd(hn, fd).key());
        assertThat(tp.rcvbuf()).isEqualTo(RMEM_DEFAULT);
        byte[] payload = new byte[41 * 1460];
        new Random(41).nextBytes(payload);
        for (int i = 1; i <= 40; i++) {
            in.accept(TcpStatesTest.seg(80, TcpStatesTest.A, pisn + 1 + i * 1460, iss + 1,
                    Arrays.copyOfRange(payload, i * 1460, (i + 1) * 1460)));
        }
        assertThat(tp.ofoSegments()).isEqualTo(40);
        int expected = moderate == 1 ? 2 * (2 * 10 * 1460 + 41 * 1460) : RMEM_DEFAULT;
        assertThat(tp.rcvbuf()).isEqualTo(expected);
        assertThat(h.call(c -> sl.getsockoptRcvbuf(hn, fd)).value()).isEqualTo(expected);
        // The hole filled, all of it is the application's.
        in.accept(TcpStatesTest.seg(80, TcpStatesTest.A, pisn + 1, iss + 1, Arrays.copyOf(payload, 1460)));
        assertThat(h.call(c -> sl.recv(c, hn, fd, 1 << 20)).data()).isEqualTo(payload);
    }

    /** Dozens of RTTs (2 MB at 64 KB each), and still the window and buffer of tcp_rmem[1]. */
    static void assertNotAutotuned(Outcome o) {
        assertThat(o.virtualMs()).as("RTTs elapsed").isGreaterThan(20 * 50);
        assertThat(o.maxWindow()).as(o.log()).isPositive().isLessThanOrEqualTo(INITIAL_WINDOW_MAX);
        assertThat(o.rcvbuf()).isEqualTo(RMEM_DEFAULT);
        assertThat(o.getsockoptRcvbuf()).isEqualTo(RMEM_DEFAULT);
    }
}
