package io.netstack.net.ipv4;

import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Errno;
import io.netstack.layer.SocketLayer.Result;
import io.netstack.skb.ControlBlock;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.TcpHeader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Packetdrill-style: the host under test (10.0.0.2) in a given state, a segment from the peer
 * (10.0.0.1, played by the test) in, the segments out (printed tcpdump-style on failure),
 * the state and the counter deltas checked, the clock driven.
 */
class TcpStatesTest {

    static final String H = "h1";
    static final int LOCAL = Inet.parse("10.0.0.2");
    static final int PEER = Inet.parse("10.0.0.1");
    static final int PPORT = 40000;
    /** The peer's ISN. */
    static final int PISN = 1000;

    TcpHarness h;
    SocketLayer sl;

    TcpHarness host(String sockets, String sysctl) {
        h = new TcpHarness();
        h.add(TcpHarness.host(H, "10.0.0.2", sockets, sysctl));
        sl = h.sock;
        return h;
    }

    /** A segment from the peer to {@code dport}: no options unless given. */
    static byte[] seg(int dport, int flags, int seq, int ack, int win, byte[] opts, byte[] data) {
        int hl = 20 + opts.length;
        byte[] b = new byte[hl + data.length];
        TcpHeader th = new TcpHeader(b, 0);
        th.setSource(PPORT);
        th.setDest(dport);
        th.setSeq(seq);
        th.setAckSeq(ack);
        th.setDoff(hl / 4);
        th.setFlags(flags);
        th.setWindow(win);
        System.arraycopy(opts, 0, b, 20, opts.length);
        System.arraycopy(data, 0, b, hl, data.length);
        th.fillChecksum(PEER, LOCAL, b.length);
        return b;
    }

    static byte[] seg(int dport, int flags, int seq, int ack, byte[] data) {
        return seg(dport, flags, seq, ack, 65535, new byte[0], data);
    }

    static byte[] mss1460() { return new byte[]{2, 4, 0x05, (byte) 0xb4}; }

    static byte[] ts(int val, int ecr) {
        byte[] b = new byte[12];
        b[0] = 1;
        b[1] = 1;
        b[2] = 8;
        b[3] = 10;
        Bytes.put32(b, 4, val);
        Bytes.put32(b, 8, ecr);
        return b;
    }

    static final int S = TcpHeader.SYN, A = TcpHeader.ACK, F = TcpHeader.FIN, R = TcpHeader.RST, P = TcpHeader.PSH;

    void in(int dport, int flags, int seq, int ack, byte[] data) {
        h.inject(H, PEER, LOCAL, seg(dport, flags, seq, ack, data));
    }

    TcpIpv4 tcp() { return h.l4.host(H).tcp(); }

    TcpSock conn(int lport) {
        return tcp().connection(TcpSock.socketKey(LOCAL, lport, PEER, PPORT));
    }

    static int flagsOf(TcpHarness.Sent s) { return s.th().flags() & ~P; }

    /** Passive open up to ESTABLISHED on port 80 (host.yaml listener); returns our ISN. */
    int passiveOpen() {
        in(80, S, PISN, 0, new byte[0]);
        TcpHarness.Sent synack = h.sent.get(h.sent.size() - 1);
        assertThat(flagsOf(synack)).isEqualTo(S | A);
        int iss = synack.th().seq();
        in(80, A, PISN + 1, iss + 1, new byte[0]);
        return iss;
    }

    @Test
    void passiveOpenDataFinAndCloseFromCloseWait() {
        host("  - {proto: tcp, listen: \"0.0.0.0:80\"}\n", "");
        Map<String, Long> before = h.snapshot(H);
        in(80, S, PISN, 0, new byte[0]);
        List<TcpHarness.Sent> out = h.sentSince(0);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        int iss = out.get(0).th().seq();
        assertThat(out.get(0).th().ackSeq()).isEqualTo(PISN + 1);
        // The third segment: LISTEN => SYN_RECV => ESTABLISHED, the listener has a connection to accept.
        in(80, A, PISN + 1, iss + 1, new byte[0]);
        TcpSock tp = conn(80);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        assertThat(h.delta(H, before)).containsEntry("TcpPassiveOpens", 1L).containsEntry("TcpCurrEstab", 1L);
        int lfd = sl.fd(H, 3) != null ? 3 : -1;
        Result acc = h.call(c -> sl.accept(c, H, lfd));
        assertThat(acc.isOk()).as(acc.toString()).isTrue();
        int fd = (int) acc.value();
        assertThat(tcp().listener("tcp 0.0.0.0:80").acceptQueue()).isZero();

        // Data: delivered and ACKed at once (quick ACK mode at the start).
        int mark = h.sent.size();
        in(80, A | P, PISN + 1, iss + 1, "hello".getBytes());
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().ackSeq()).isEqualTo(PISN + 6);
        assertThat(new String(h.call(c -> sl.recv(c, H, fd, 100)).data())).isEqualTo("hello");

        // FIN: CLOSE_WAIT, EOF; the ACK is delayed (pingpong) by the 40 ms timer.
        mark = h.sent.size();
        before = h.snapshot(H);
        in(80, F | A, PISN + 6, iss + 1, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_CLOSE_WAIT);
        assertThat(h.sentSince(mark)).isEmpty();
        h.advanceMs(39);
        assertThat(h.sentSince(mark)).isEmpty();
        h.advanceMs(1);
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().ackSeq()).isEqualTo(PISN + 7);
        assertThat(h.delta(H, before)).containsEntry("TcpExtDelayedACKs", 1L);
        assertThat(h.call(c -> sl.recv(c, H, fd, 100)).value()).isZero();

        // close(): LAST_ACK with our FIN (TcpCurrEstab drops leaving CLOSE_WAIT); its ACK: CLOSE.
        mark = h.sent.size();
        before = h.snapshot(H);
        h.call(c -> sl.close(c, H, fd));
        assertThat(h.delta(H, before)).containsEntry("TcpCurrEstab", -1L);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_LAST_ACK);
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(flagsOf(out.get(0))).isEqualTo(F | A);
        before = h.snapshot(H);
        in(80, A, PISN + 7, iss + 2, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_CLOSE);
        assertThat(tcp().connections()).isEmpty();
        assertThat(h.delta(H, before)).doesNotContainKey("TcpCurrEstab").doesNotContainKey("TcpEstabResets");
    }

    /** Active open to the peer; returns the local port. Our SYN's options as tcp_syn_options writes them. */
    int activeOpen(int fd, boolean withTs) {
        int mark = h.sent.size();
        assertThat(h.call(c -> sl.connect(c, H, fd, PEER, PPORT)).errno()).isEqualTo(Errno.EINPROGRESS);
        TcpHarness.Sent syn = h.sent.get(mark);
        assertThat(flagsOf(syn)).isEqualTo(S);
        List<TcpHeader.Option> o = syn.th().options();
        assertThat(o.stream().map(TcpHeader.Option::kind).toList()).containsExactly(2, 4, 8, 1, 3);
        int lport = syn.th().source();
        int iss = syn.th().seq();
        byte[] opts = withTs ? concat(mss1460(), ts(5000, tsvalOf(syn))) : mss1460();
        h.inject(H, PEER, LOCAL, seg(lport, S | A, PISN, iss + 1, 65535, opts, new byte[0]));
        return lport;
    }

    static int tsvalOf(TcpHarness.Sent s) {
        for (TcpHeader.Option o : s.th().options()) if (o.kind() == 8) return Bytes.u32(o.data(), 0);
        return 0;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    TcpSock activeConn(int lport) { return conn(lport); }

    @Test
    void activeOpenAndActiveCloseThroughTimeWait() {
        host("", "");
        int fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        int lport = activeOpen(fd, false);
        assertThat(lport).isBetween(32768, 60999);
        TcpSock tp = tcp().connection(TcpSock.socketKey(LOCAL, lport, PEER, PPORT));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        assertThat(sl.fd(H, fd).state()).isEqualTo(SocketLayer.SockState.CONNECTED);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(2);
        assertThat(flagsOf(out.get(1))).isEqualTo(A);
        assertThat(out.get(1).th().ackSeq()).isEqualTo(PISN + 1);
        assertThat(h.delta(H, before)).containsEntry("TcpActiveOpens", 1L).containsEntry("TcpCurrEstab", 1L)
                .containsEntry("TcpOutSegs", 2L);
        int iss = out.get(0).th().seq();

        // close(): FIN_WAIT1; ACK: FIN_WAIT2 (a time-wait minisock, tcp_fin_timeout); FIN: TIME_WAIT, ACK.
        mark = h.sent.size();
        h.call(c -> sl.close(c, H, fd));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_FIN_WAIT1);
        in(lport, A, PISN + 1, iss + 2, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_FIN_WAIT2);
        in(lport, F | A, PISN + 1, iss + 2, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_TIME_WAIT);
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(2);
        assertThat(flagsOf(out.get(1))).isEqualTo(A);
        assertThat(out.get(1).th().ackSeq()).isEqualTo(PISN + 2);
        // A retransmitted FIN in TIME_WAIT is ACKed again.
        mark = h.sent.size();
        in(lport, F | A, PISN + 1, iss + 2, new byte[0]);
        assertThat(h.sentSince(mark)).hasSize(1);
        before = h.snapshot(H);
        h.advance(TcpTimer.TCP_TIMEWAIT_LEN - 1_000_000);
        assertThat(tcp().connections()).hasSize(1);
        h.advanceMs(2);
        assertThat(tcp().connections()).isEmpty();
        // TcpExtTW was counted once, when the orphaned FIN_WAIT2 became a minisock
        // (__inet_twsk_schedule); FIN_WAIT2 -> TIME_WAIT re-arms it and the expiry counts nothing.
        assertThat(h.delta(H, before)).doesNotContainKey("TcpExtTW");
        assertThat(h.counter(H, "TcpExtTW")).isEqualTo(1);
    }

    @Test
    void simultaneousCloseGoesThroughClosing() {
        host("  - {proto: tcp, listen: \"0.0.0.0:80\"}\n", "");
        int iss = passiveOpen();
        TcpSock tp = conn(80);
        int fd = (int) h.call(c -> sl.accept(c, H, 3)).value();
        h.call(c -> sl.close(c, H, fd));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_FIN_WAIT1);
        int mark = h.sent.size();
        in(80, F | A, PISN + 1, iss + 1, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_CLOSING);
        assertThat(h.sentSince(mark)).hasSize(1);
        in(80, A, PISN + 2, iss + 2, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_TIME_WAIT);
    }

    @Test
    void rstExactResetsInWindowGetsChallengeAckSynGetsChallengeAck() {
        host("  - {proto: tcp, listen: \"0.0.0.0:80\"}\n", "");
        int iss = passiveOpen();
        TcpSock tp = conn(80);
        int fd = (int) h.call(c -> sl.accept(c, H, 3)).value();
        // In-window RST, not at rcv_nxt: challenge ACK (RFC 5961 3.2).
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(80, R, PISN + 100, 0, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().ackSeq()).isEqualTo(PISN + 1);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPChallengeACK", 1L);
        // A SYN in ESTABLISHED: challenge ACK too (RFC 5961 4.2), TcpInErrs and TCPSYNChallenge;
        // within 500 ms of the last one it is rate limited.
        h.advanceMs(600);
        before = h.snapshot(H);
        in(80, S, PISN + 50, 0, new byte[0]);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPSYNChallenge", 1L).containsEntry("TcpInErrs", 1L)
                .containsEntry("TcpExtTCPChallengeACK", 1L);
        before = h.snapshot(H);
        in(80, S, PISN + 50, 0, new byte[0]);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPACKSkippedChallenge", 1L).doesNotContainKey("TcpExtTCPChallengeACK");
        // RST at rcv_nxt: the connection is reset, the application gets ECONNRESET.
        before = h.snapshot(H);
        in(80, R, PISN + 1, 0, new byte[0]);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_CLOSE);
        assertThat(h.delta(H, before)).containsEntry("TcpEstabResets", 1L).containsEntry("TcpCurrEstab", -1L);
        assertThat(h.call(c -> sl.recv(c, H, fd, 10)).errno()).isEqualTo(Errno.ECONNRESET);
    }

    @Test
    void rstInSynSentRefusesTheConnection() {
        host("", "");
        int fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        h.call(c -> sl.connect(c, H, fd, PEER, PPORT));
        TcpHarness.Sent syn = h.sent.get(0);
        Map<String, Long> before = h.snapshot(H);
        h.inject(H, PEER, LOCAL, seg(syn.th().source(), R | A, 0, syn.th().seq() + 1, new byte[0]));
        assertThat(h.delta(H, before)).containsEntry("TcpAttemptFails", 1L);
        assertThat(h.call(c -> sl.send(c, H, fd, new byte[1])).errno()).isEqualTo(Errno.ECONNREFUSED);
        assertThat(tcp().connections()).isEmpty();
    }

    @Test
    void outOfOrderDataIsReassembledAndDuplicatesForceAnAck() {
        host("  - {proto: tcp, listen: \"0.0.0.0:80\"}\n", "");
        int iss = passiveOpen();
        int fd = (int) h.call(c -> sl.accept(c, H, 3)).value();
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(80, A, PISN + 11, iss + 1, "world".getBytes());
        assertThat(conn(80).ofoSegments()).isEqualTo(1);
        in(80, A, PISN + 1, iss + 1, "hello, thi".getBytes());
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(2);
        assertThat(out.get(0).th().ackSeq()).isEqualTo(PISN + 1);
        assertThat(out.get(1).th().ackSeq()).isEqualTo(PISN + 16);
        assertThat(new String(h.call(c -> sl.recv(c, H, fd, 100)).data())).isEqualTo("hello, thiworld");
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPOFOQueue", 1L);
        // The same bytes again: DelayedACKLost and an ACK at once.
        mark = h.sent.size();
        before = h.snapshot(H);
        in(80, A, PISN + 1, iss + 1, "hello, thi".getBytes());
        assertThat(h.sentSince(mark)).hasSize(1);
        assertThat(h.delta(H, before)).containsEntry("TcpExtDelayedACKLost", 1L);
    }

    @Test
    void synRetriesEndInEtimedout() {
        host("", "");
        int fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        long t0 = h.now;
        h.call(c -> sl.connect(c, H, fd, PEER, PPORT));
        h.advance(200L * 1_000_000_000L);
        List<Long> at = h.sent.stream().map(s -> (s.at() - t0) / 1_000_000_000L).toList();
        assertThat(at).as(TcpHarness.tcpdump(h.sent)).containsExactly(0L, 1L, 3L, 7L, 15L, 31L, 63L);
        assertThat(h.counter(H, "TcpRetransSegs")).isEqualTo(6);
        assertThat(h.counter(H, "TcpExtTCPTimeouts")).isEqualTo(6);
        assertThat(h.counter(H, "TcpAttemptFails")).isEqualTo(1);
        assertThat(h.call(c -> sl.send(c, H, fd, new byte[1])).errno()).isEqualTo(Errno.ETIMEDOUT);
    }

    /** ESTABLISHED by an active open with a 100 ms RTT; returns the local port. */
    int establishedWithRtt(int fd, long rttMs) {
        h.call(c -> sl.connect(c, H, fd, PEER, PPORT));
        TcpHarness.Sent syn = h.sent.get(h.sent.size() - 1);
        h.advanceMs(rttMs);
        h.inject(H, PEER, LOCAL, seg(syn.th().source(), S | A, PISN, syn.th().seq() + 1, 65535, mss1460(), new byte[0]));
        return syn.th().source();
    }

    @Test
    void retransmissionUsesTheMeasuredRtoAndBacksOff() {
        host("", "");
        int fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        int lport = establishedWithRtt(fd, 100);
        TcpSock tp = conn(lport);
        // RFC 6298 with Linux's floor: srtt 100 ms + rttvar max(2 * 100 ms, 200 ms) = 300 ms.
        assertThat(tp.rtoNanos()).isEqualTo(300_000_000L);
        int mark = h.sent.size();
        long t0 = h.now;
        h.call(c -> sl.send(c, H, fd, new byte[100]));
        h.advanceMs(300 + 600 + 1200 + 10);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out.stream().map(s -> (s.at() - t0) / 1_000_000L).toList()).as(TcpHarness.tcpdump(out))
                .containsExactly(0L, 300L, 900L, 2100L);
        assertThat(out).allMatch(s -> s.th().seq() == out.get(0).th().seq() && s.payloadLen() == 100);
        assertThat(h.counter(H, "TcpExtTCPTimeouts")).isEqualTo(3);
        assertThat(h.counter(H, "TcpRetransSegs")).isEqualTo(3);
    }

    @Test
    void fastRetransmitAfterThreeDupAcks() {
        host("", "");
        int fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        int lport = establishedWithRtt(fd, 10);
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, new byte[1460 * 5]));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(5);
        int una = out.get(0).th().seq();
        Map<String, Long> before = h.snapshot(H);
        mark = h.sent.size();
        for (int i = 0; i < 3; i++) in(lport, A, PISN + 1, una, new byte[0]);
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().seq()).isEqualTo(una);
        assertThat(h.delta(H, before)).containsEntry("TcpRetransSegs", 1L).containsEntry("TcpExtTCPRenoRecovery", 1L)
                .doesNotContainKey("TcpExtTCPTimeouts");
    }

    @Test
    void nagleHoldsASmallSegmentWhileOneIsUnacked() {
        host("", "");
        int fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        int lport = establishedWithRtt(fd, 10);
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, new byte[10]));
        h.call(c -> sl.send(c, H, fd, new byte[10]));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        in(lport, A, PISN + 1, out.get(0).th().seq() + 10, new byte[0]);
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(2);
        assertThat(out.get(1).payloadLen()).isEqualTo(10);
        // TCP_NODELAY: no waiting.
        h.call(c -> sl.setsockopt(c, H, fd, ControlBlock.TCP_NODELAY, 1));
        mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, new byte[10]));
        h.call(c -> sl.send(c, H, fd, new byte[10]));
        assertThat(h.sentSince(mark)).hasSize(2);
    }

    @Test
    void zeroWindowThenWindowUpdateWhenTheApplicationReads() {
        host("", "");
        int lfd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        h.call(c -> sl.setsockopt(c, H, lfd, ControlBlock.SO_RCVBUF, 4096));
        h.call(c -> sl.bind(c, H, lfd, 0, 81));
        h.call(c -> sl.listen(c, H, lfd, 8));
        h.inject(H, PEER, LOCAL, seg(81, S, PISN, 0, 65535, mss1460(), new byte[0]));
        TcpHarness.Sent synack = h.sent.get(h.sent.size() - 1);
        int iss = synack.th().seq();
        in(81, A, PISN + 1, iss + 1, new byte[0]);
        int fd = (int) h.call(c -> sl.accept(c, H, lfd)).value();
        int seq = PISN + 1;
        Map<String, Long> before = h.snapshot(H);
        int lastWin = -1;
        // The peer sends what the advertised window allows until the window is zero.
        for (int i = 0; i < 30 && lastWin != 0; i++) {
            TcpHarness.Sent last = h.sent.get(h.sent.size() - 1);
            int room = last.th().ackSeq() + last.th().window() - seq;
            if (room <= 0) {
                h.advanceMs(200);
            } else {
                int n = Math.min(1460, room);
                in(81, A, seq, iss + 1, new byte[n]);
                seq += n;
            }
            lastWin = h.sent.get(h.sent.size() - 1).th().window();
        }
        // Data into the zero window is dropped.
        before = h.snapshot(H);
        in(81, A, seq, iss + 1, new byte[100]);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPZeroWindowDrop", 1L);
        int mark = h.sent.size();
        Result r = h.call(c -> sl.recv(c, H, fd, 1 << 20));
        assertThat(r.value()).isEqualTo(seq - PISN - 1);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().window()).isPositive();
        assertThat(out.get(0).th().ackSeq()).isEqualTo(seq);
    }

    @Test
    void acceptQueueOverflowDropsTheSyn() {
        host("  - {proto: tcp, listen: \"0.0.0.0:80\", backlog: 0}\n", "");
        passiveOpen();
        assertThat(tcp().listener("tcp 0.0.0.0:80").acceptQueue()).isEqualTo(1);
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        byte[] syn = seg(80, S, 5, 0, new byte[0]);
        new TcpHeader(syn, 0).fillChecksum(Inet.parse("10.0.0.3"), LOCAL, syn.length);
        h.inject(H, Inet.parse("10.0.0.3"), LOCAL, syn);
        assertThat(h.sentSince(mark)).isEmpty();
        assertThat(h.delta(H, before)).containsEntry("TcpExtListenOverflows", 1L).containsEntry("TcpExtListenDrops", 1L);
    }

    @Test
    void keepaliveProbesThenEtimedout() {
        host("  - {proto: tcp, listen: \"0.0.0.0:80\"}\n",
                "  net.ipv4.tcp_keepalive_time: 10\n  net.ipv4.tcp_keepalive_intvl: 2\n  net.ipv4.tcp_keepalive_probes: 3\n");
        int iss = passiveOpen();
        int fd = (int) h.call(c -> sl.accept(c, H, 3)).value();
        h.call(c -> sl.setsockopt(c, H, fd, ControlBlock.SO_KEEPALIVE, 1));
        int mark = h.sent.size();
        long t0 = h.now;
        h.advanceMs(10_000);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().seq()).isEqualTo(iss);
        assertThat(out.get(0).payloadLen()).isZero();
        // Answered: the idle time starts again.
        in(80, A, PISN + 1, iss + 1, new byte[0]);
        h.advanceMs(9_000);
        assertThat(h.sentSince(mark)).hasSize(1);
        h.advanceMs(20_000);
        out = h.sentSince(mark);
        assertThat(out.stream().map(s -> (s.at() - t0) / 1_000_000L).toList()).as(TcpHarness.tcpdump(out))
                .containsExactly(10_000L, 20_000L, 22_000L, 24_000L);
        assertThat(h.counter(H, "TcpExtTCPKeepAlive")).isEqualTo(4);
        assertThat(h.call(c -> sl.recv(c, H, fd, 10)).errno()).isEqualTo(Errno.ETIMEDOUT);
    }
}
