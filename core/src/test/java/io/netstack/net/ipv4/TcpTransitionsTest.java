package io.netstack.net.ipv4;

import io.netstack.layer.SocketLayer;
import io.netstack.layer.SocketLayer.Errno;
import io.netstack.wire.Inet;
import io.netstack.wire.TcpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static io.netstack.net.ipv4.TcpStatesTest.A;
import static io.netstack.net.ipv4.TcpStatesTest.F;
import static io.netstack.net.ipv4.TcpStatesTest.LOCAL;
import static io.netstack.net.ipv4.TcpStatesTest.PEER;
import static io.netstack.net.ipv4.TcpStatesTest.PISN;
import static io.netstack.net.ipv4.TcpStatesTest.R;
import static io.netstack.net.ipv4.TcpStatesTest.S;
import static io.netstack.net.ipv4.TcpStatesTest.flagsOf;
import static io.netstack.net.ipv4.TcpStatesTest.seg;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Packetdrill-style, one behaviour each: the state transitions and timers TcpStatesTest does not
 * cover, checked against the kernel (tcp_input.c, tcp_minisocks.c, tcp_timer.c,
 * inet_connection_sock.c, inet_timewait_sock.c, syncookies.c). The host under test is 10.0.0.2
 * with a listener on port 80; the test plays the peer 10.0.0.1:40000.
 */
class TcpTransitionsTest {

    static final String H = TcpStatesTest.H;
    static final long SEC = 1_000_000_000L;

    TcpHarness h;
    SocketLayer sl;
    /** Our ISN on the connection under test. */
    int iss;

    void host(String sysctl) { host("  - {proto: tcp, listen: \"0.0.0.0:80\"}\n", sysctl); }

    void host(String sockets, String sysctl) {
        h = new TcpHarness();
        h.add(TcpHarness.host(H, "10.0.0.2", sockets, sysctl));
        sl = h.sock;
    }

    TcpIpv4 tcp() { return h.l4.host(H).tcp(); }

    TcpSock conn() { return tcp().connection(TcpSock.socketKey(LOCAL, 80, PEER, TcpStatesTest.PPORT)); }

    void in(int flags, int seq, int ack, byte[] data) { h.inject(H, PEER, LOCAL, seg(80, flags, seq, ack, data)); }

    void in(int flags, int seq, int ack) { in(flags, seq, ack, new byte[0]); }

    /** A segment from another peer address (same port 40000). */
    void inFrom(int saddr, int flags, int seq, int ack) {
        byte[] b = seg(80, flags, seq, ack, new byte[0]);
        new TcpHeader(b, 0).fillChecksum(saddr, LOCAL, b.length);
        h.inject(H, saddr, LOCAL, b);
    }

    List<TcpHarness.Sent> out(int mark) { return h.sentSince(mark); }

    TcpHarness.Sent last() { return h.sent.get(h.sent.size() - 1); }

    /** SYN in, SYN-ACK out: the request sock (SYN_RECV); sets {@link #iss}. */
    void synIn() {
        in(S, PISN, 0);
        assertThat(flagsOf(last())).isEqualTo(S | A);
        iss = last().th().seq();
    }

    /** The handshake and accept(): ESTABLISHED; returns the fd. */
    int established() {
        synIn();
        in(A, PISN + 1, iss + 1);
        return (int) h.call(c -> sl.accept(c, H, 3)).value();
    }

    static void assertSeg(TcpHarness.Sent s, int flags, int seq, int ack) {
        assertThat(flagsOf(s)).as(TcpHarness.tcpdump(s)).isEqualTo(flags);
        assertThat(s.th().seq()).as(TcpHarness.tcpdump(s)).isEqualTo(seq);
        if ((flags & A) != 0) assertThat(s.th().ackSeq()).as(TcpHarness.tcpdump(s)).isEqualTo(ack);
    }

    // ---- SYN_RECV (the request sock) -------------------------------------------------------

    @Test
    void synRecvSynAckRetransmittedByTheRequestTimerThenTheRequestDies() {
        host("");
        long t0 = h.now;
        synIn();
        h.advance(70 * SEC);
        List<TcpHarness.Sent> out = out(0);
        // reqsk_timer_handler: tcp_synack_retries (5), TCP_TIMEOUT_INIT << num_timeout.
        assertThat(out.stream().map(s -> (s.at() - t0) / SEC).toList()).as(TcpHarness.tcpdump(out))
                .containsExactly(0L, 1L, 3L, 7L, 15L, 31L);
        out.forEach(s -> assertSeg(s, S | A, iss, PISN + 1));
        assertThat(tcp().requests()).isEmpty();
        // tcp_syn_ack_timeout counts TCPTimeouts on every expiry, the last (63 s) included; tcp_rtx_synack
        // counts RetransSegs and TCPSynRetrans for each SYN-ACK sent again.
        assertThat(h.counter(H, "TcpExtTCPTimeouts")).isEqualTo(6);
        assertThat(h.counter(H, "TcpRetransSegs")).isEqualTo(5);
        assertThat(h.counter(H, "TcpExtTCPSynRetrans")).isEqualTo(5);
    }

    @Test
    void synRecvDuplicateSynGetsTheSynAckAgainAndRestartsTheTimer() {
        host("");
        long t0 = h.now;
        synIn();
        h.advanceMs(600);
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(S, PISN, 0);
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), S | A, iss, PISN + 1);
        assertThat(h.delta(H, before)).containsEntry("TcpRetransSegs", 1L).containsEntry("TcpExtTCPSynRetrans", 1L);
        // Within tcp_invalid_ratelimit (500 ms): tcp_oow_rate_limited.
        before = h.snapshot(H);
        in(S, PISN, 0);
        assertThat(out(mark)).hasSize(1);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPACKSkippedSynRecv", 1L);
        // mod_timer_pending(now + TCP_TIMEOUT_INIT << num_timeout): the timer's SYN-ACK comes 1 s
        // after the repeat (1.6 s), not at 1 s; num_timeout did not move, so the next is 2 s later.
        h.advance(4 * SEC);
        assertThat(out(mark).stream().map(s -> (s.at() - t0) / 1_000_000L).toList())
                .containsExactly(600L, 1600L, 3600L);
    }

    @Test
    void synRecvRstRemovesTheRequestAndNothingCanBeAccepted() {
        host("");
        synIn();
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(R, PISN + 1, 0);
        assertThat(out(mark)).isEmpty();
        assertThat(tcp().requests()).isEmpty();
        assertThat(h.delta(H, before)).containsEntry("TcpAttemptFails", 1L).containsEntry("TcpExtEmbryonicRsts", 1L);
        // The third segment now finds only the listener: a reset (seq = its ack).
        in(A, PISN + 1, iss + 1);
        assertSeg(last(), R, iss + 1, 0);
        assertThat(h.call(c -> sl.accept(c, H, 3)).errno()).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void synRecvBareAckCompletesTheHandshake() {
        host("");
        synIn();
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(A, PISN + 1, iss + 1);
        assertThat(out(mark)).isEmpty();
        assertThat(tcp().requests()).isEmpty();
        assertThat(conn().state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        assertThat(tcp().listener("tcp 0.0.0.0:80").acceptQueue()).isEqualTo(1);
        assertThat(h.delta(H, before)).containsEntry("TcpPassiveOpens", 1L).containsEntry("TcpCurrEstab", 1L);
        assertThat(h.call(c -> sl.accept(c, H, 3)).isOk()).isTrue();
    }

    @Test
    void simultaneousOpenGoesThroughSynRecv() {
        host("", "");
        int fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        h.call(c -> sl.connect(c, H, fd, PEER, TcpStatesTest.PPORT));
        TcpHarness.Sent syn = last();
        int lport = syn.th().source();
        iss = syn.th().seq();
        TcpSock tp = tcp().connection(TcpSock.socketKey(LOCAL, lport, PEER, TcpStatesTest.PPORT));
        // The peer's SYN crosses ours: SYN_SENT -> SYN_RECV, our SYN again with the ACK (tcp_send_synack).
        int mark = h.sent.size();
        h.inject(H, PEER, LOCAL, seg(lport, S, PISN, 0, new byte[0]));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_SYN_RECV);
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), S | A, iss, PISN + 1);
        // The peer's SYN-ACK: no challenge ACK (tcp_validate_incoming lets it pass), ESTABLISHED,
        // connect() done, consumed without an ACK.
        Map<String, Long> before = h.snapshot(H);
        h.inject(H, PEER, LOCAL, seg(lport, S | A, PISN, iss + 1, new byte[0]));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        assertThat(out(mark)).hasSize(1);
        assertThat(sl.fd(H, fd).state()).isEqualTo(SocketLayer.SockState.CONNECTED);
        assertThat(h.delta(H, before)).containsEntry("TcpCurrEstab", 1L).doesNotContainKey("TcpExtTCPSYNChallenge")
                .doesNotContainKey("TcpExtTCPChallengeACK");
        assertThat(h.counter(H, "TcpActiveOpens")).isEqualTo(1);
        // Data flows both ways.
        h.call(c -> sl.send(c, H, fd, "x".getBytes()));
        assertSeg(last(), A, iss + 1, PISN + 1);
    }

    // ---- closing -------------------------------------------------------------------------

    @Test
    void finWait1ToFinWait2ToTimeWaitAfterShutdownThenTimeWaitExpires() {
        host("");
        int fd = established();
        TcpSock tp = conn();
        h.call(c -> sl.shutdown(c, H, fd, 1));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_FIN_WAIT1);
        assertSeg(last(), F | A, iss + 1, PISN + 1);
        in(A, PISN + 1, iss + 2);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_FIN_WAIT2);
        // Not orphaned: a full socket with no FIN_WAIT2 timer (only close() arms tcp_fin_timeout).
        h.advance(120 * SEC);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_FIN_WAIT2);
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(F | A, PISN + 1, iss + 2);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_TIME_WAIT);
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), A, iss + 2, PISN + 2);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTW", 1L);
        assertThat(h.call(c -> sl.recv(c, H, fd, 10)).value()).isEqualTo(0L);
        h.advance(TcpTimer.TCP_TIMEWAIT_LEN - TcpTimer.MS);
        assertThat(tcp().connections()).hasSize(1);
        h.advanceMs(2);
        assertThat(tcp().connections()).isEmpty();
        assertThat(out(mark)).hasSize(1);
    }

    @Test
    void orphanedFinWait2DiesAfterTcpFinTimeout() {
        host("");
        int fd = established();
        h.call(c -> sl.close(c, H, fd));
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(A, PISN + 1, iss + 2);
        assertThat(conn().state()).isEqualTo(TcpState.TCP_FIN_WAIT2);
        // tcp_time_wait(TCP_FIN_WAIT2, tcp_fin_timeout = 60 s): a minisock, counted TW when scheduled.
        assertThat(h.delta(H, before)).containsEntry("TcpExtTW", 1L);
        h.advance(60 * SEC - TcpTimer.MS);
        assertThat(tcp().connections()).hasSize(1);
        h.advanceMs(2);
        assertThat(tcp().connections()).isEmpty();
        assertThat(out(mark)).isEmpty();
    }

    /** Passive open, close(), the peer's FIN+ACK: TIME_WAIT. */
    void timeWait() {
        int fd = established();
        h.call(c -> sl.close(c, H, fd));
        in(F | A, PISN + 1, iss + 2);
        assertThat(conn().state()).isEqualTo(TcpState.TCP_TIME_WAIT);
    }

    @Test
    void timeWaitReAcksAnOldDuplicateAndANewerSynOpensANewConnection() {
        host("");
        timeWait();
        // An old duplicate (data already received): the ACK again (tcp_timewait_check_oow_rate_limit).
        int mark = h.sent.size();
        in(A, PISN + 1, iss + 2, "old".getBytes());
        assertThat(out(mark)).as(TcpHarness.tcpdump(out(mark))).hasSize(1);
        assertSeg(last(), A, iss + 2, PISN + 2);
        // A data segment is never rate limited (and does not start the 500 ms); a bare one is.
        in(A, PISN + 1, iss + 2);
        assertThat(out(mark)).hasSize(2);
        Map<String, Long> before = h.snapshot(H);
        in(A, PISN + 1, iss + 2);
        assertThat(out(mark)).hasSize(2);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPACKSkippedTimeWait", 1L);
        // A SYN above rcv_nxt: TCP_TW_SYN, the minisock goes, the listener answers with
        // ISN = tw_snd_nxt + 65535 + 2 (RFC 1122 4.2.2.13).
        h.advanceMs(1000);
        mark = h.sent.size();
        in(S, PISN + 100_000, 0);
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), S | A, iss + 2 + 65537, PISN + 100_001);
        assertThat(conn()).isNull();
        assertThat(tcp().requests()).hasSize(1);
        // A SYN below rcv_nxt would be an old duplicate: only ACKed.
    }

    @Test
    void timeWaitExactRstKillsAndOtherRstsAreIgnored() {
        host("");
        timeWait();
        int mark = h.sent.size();
        in(R, PISN + 50, 0);
        assertThat(conn()).isNotNull();
        in(R, PISN + 2, 0);
        // tcp_rfc1337 = 0: TIME_WAIT assassination; no challenge ACK in TIME_WAIT.
        assertThat(conn()).isNull();
        assertThat(out(mark)).isEmpty();
        assertThat(h.counter(H, "TcpExtTCPChallengeACK")).isZero();
    }

    enum St {
        ESTABLISHED(TcpState.TCP_ESTABLISHED, 1, 1, Errno.ECONNRESET, t -> { }),
        FIN_WAIT1(TcpState.TCP_FIN_WAIT1, 1, 0, Errno.ECONNRESET, t -> t.shut()),
        FIN_WAIT2(TcpState.TCP_FIN_WAIT2, 1, 0, Errno.ECONNRESET, t -> {
            t.shut();
            t.in(A, PISN + 1, t.iss + 2);
        }),
        CLOSE_WAIT(TcpState.TCP_CLOSE_WAIT, 2, 1, Errno.EPIPE, t -> t.in(F | A, PISN + 1, t.iss + 1)),
        CLOSING(TcpState.TCP_CLOSING, 2, 0, Errno.ECONNRESET, t -> {
            t.shut();
            t.in(F | A, PISN + 1, t.iss + 1);
        }),
        LAST_ACK(TcpState.TCP_LAST_ACK, 2, 0, Errno.ECONNRESET, t -> {
            t.in(F | A, PISN + 1, t.iss + 1);
            t.h.advanceMs(100);
            t.shut();
        });

        final TcpState state;
        final int rcvNxtOff;
        final long estabResets;
        final Errno errno;
        final Consumer<TcpTransitionsTest> reach;

        St(TcpState state, int rcvNxtOff, long estabResets, Errno errno, Consumer<TcpTransitionsTest> reach) {
            this.state = state;
            this.rcvNxtOff = rcvNxtOff;
            this.estabResets = estabResets;
            this.errno = errno;
            this.reach = reach;
        }
    }

    int fd;

    void shut() { h.call(c -> sl.shutdown(c, H, fd, 1)); }

    /**
     * RFC 5961 3.2 in every synchronized state of a full socket (tcp_validate_incoming): out of
     * window ignored, in window but not at rcv_nxt a challenge ACK, at rcv_nxt the reset:
     * tcp_reset's errno (EPIPE in CLOSE_WAIT), TcpEstabResets only from ESTABLISHED or
     * CLOSE_WAIT (tcp_set_state).
     */
    @ParameterizedTest
    @EnumSource(St.class)
    void rstInASynchronizedState(St st) {
        host("");
        fd = established();
        st.reach.accept(this);
        TcpSock tp = conn();
        assertThat(tp.state().shortName()).isEqualTo(st.name());
        int rcvNxt = PISN + st.rcvNxtOff;
        h.advanceMs(1000);
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(R, rcvNxt + (1 << 30), 0);
        assertThat(out(mark)).isEmpty();
        in(R, rcvNxt + 100, 0);
        assertThat(tp.state()).isEqualTo(st.state);
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), A, tp.sndNxt(), rcvNxt);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPChallengeACK", 1L);
        before = h.snapshot(H);
        in(R, rcvNxt, 0);
        assertThat(tp.state()).isEqualTo(TcpState.TCP_CLOSE);
        assertThat(conn()).isNull();
        assertThat(out(mark)).hasSize(1);
        assertThat(h.delta(H, before).getOrDefault("TcpEstabResets", 0L)).isEqualTo(st.estabResets);
        assertThat(h.call(c -> sl.send(c, H, fd, new byte[1])).errno()).isEqualTo(st.errno);
    }

    @Test
    void closeWithUnreadDataSendsRst() {
        host("");
        int fd = established();
        in(A, PISN + 1, iss + 1, "unread".getBytes());
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        h.call(c -> sl.close(c, H, fd));
        // __tcp_close: data_was_unread: CLOSE, tcp_send_active_reset (RST|ACK at snd_nxt).
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), R | A, iss + 1, PISN + 7);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPAbortOnClose", 1L).containsEntry("TcpOutRsts", 1L)
                .containsEntry("TcpEstabResets", 1L).containsEntry("TcpCurrEstab", -1L);
        assertThat(conn()).isNull();
    }

    @Test
    void dataPastTheReceiveBufferIsDroppedBeforeItIsAcknowledged() {
        host("");
        int fd = established();
        in(A, PISN + 1, iss + 1, new byte[1000]);
        // The buffer shrinks under what was already advertised: sk_rcvbuf = max(2 * 1000, 2304).
        h.call(c -> sl.setsockopt(c, H, fd, io.netstack.skb.ControlBlock.SO_RCVBUF, 1000));
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        // tcp_data_queue -> tcp_try_rmem_schedule: 1000 unread + 1448 > 2304: dropped, not
        // acknowledged (the ACK still says PISN + 1001), TCPRcvQDrop; the peer sends it again.
        in(A, PISN + 1001, iss + 1, new byte[1448]);
        assertThat(out(mark)).isNotEmpty();
        assertSeg(last(), A, iss + 1, PISN + 1001);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPRcvQDrop", 1L);
        assertThat(h.drops).last().asString().contains("PROTO_MEM");
        // Once the application reads, the same segment is taken.
        assertThat(h.call(c -> sl.recv(c, H, fd, 4096)).data()).hasSize(1000);
        in(A, PISN + 1001, iss + 1, new byte[1448]);
        assertSeg(last(), A, iss + 1, PISN + 2449);
    }

    @Test
    void theSendBufferBoundsWhatTheApplicationQueuesAndAcknowledgementsFreeAndGrowIt() {
        host("");
        int fd = established();
        // At ESTABLISHED tcp_init_buffer_space made sk_sndbuf two initial windows of full
        // segments' truesize, which hold two initial windows of payload (20 MSS): a larger
        // write is taken in part, the next finds no room (EAGAIN: a blocking writer waits in
        // sk_stream_wait_memory).
        long room0 = 2L * 10 * conn().mss();
        assertThat(h.call(c -> sl.send(c, H, fd, new byte[100_000])).value()).isEqualTo(room0);
        assertThat(h.call(c -> sl.send(c, H, fd, new byte[1])).errno()).isEqualTo(Errno.EAGAIN);
        int sent = conn().sndNxt - (iss + 1);
        // The peer acknowledges what it got: sk_write_space frees it, and tcp_sndbuf_expand has
        // grown sk_sndbuf to two windows of cwnd full-size segments, each charged
        // roundup_pow_of_two(mss + MAX_TCP_HEADER 320 + shared info 320) + struct sk_buff 256.
        in(A, PISN + 1, iss + 1 + sent);
        TcpSock tp = conn();
        int perMss = (Integer.highestOneBit(Math.max(tp.mssClamp, tp.mss()) + 640 - 1) << 1) + 256;
        assertThat(tp.sndbuf).isEqualTo(2 * Math.max(10, tp.cwnd) * perMss);
        assertThat(sl.fd(H, fd).unackedBytes()).isEqualTo(room0 - sent);
        long payloadBound = 2L * Math.max(10, tp.cwnd) * tp.mss();
        assertThat(h.call(c -> sl.send(c, H, fd, new byte[1 << 20])).value()).isEqualTo(payloadBound - (room0 - sent));
    }

    @Test
    void dataAfterCloseResets() {
        host("");
        int fd = established();
        h.call(c -> sl.close(c, H, fd));
        assertThat(conn().state()).isEqualTo(TcpState.TCP_FIN_WAIT1);
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        // RFC 1122 4.2.2.13: new data after close() is answered with a reset (tcp_rcv_state_process
        // step 7 with RCV_SHUTDOWN); tcp_v4_send_reset takes seq = the segment's ack.
        in(A, PISN + 1, iss + 1, "late".getBytes());
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), R, iss + 1, 0);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPAbortOnData", 1L).containsEntry("TcpOutRsts", 1L)
                .doesNotContainKey("TcpEstabResets");
        assertThat(conn()).isNull();
    }

    // ---- timers --------------------------------------------------------------------------

    @Test
    void quickAcksAtTheStartThenTheDelayedAckTimer() {
        host("");
        established();
        // tcp_incr_quickack: min(rcv_wnd / (2 * rcv_mss), TCP_MAX_QUICKACKS) = 16 ACKs at once.
        int seq = PISN + 1;
        for (int i = 0; i < TcpOutput.TCP_MAX_QUICKACKS; i++) {
            int mark = h.sent.size();
            in(A, seq, iss + 1, new byte[10]);
            seq += 10;
            assertThat(out(mark)).as("segment " + i).hasSize(1);
            assertSeg(last(), A, iss + 1, seq);
        }
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(A, seq, iss + 1, new byte[10]);
        seq += 10;
        assertThat(out(mark)).isEmpty();
        // tcp_send_delayed_ack: ato = TCP_ATO_MIN (40 ms).
        h.advanceMs(39);
        assertThat(out(mark)).isEmpty();
        h.advanceMs(1);
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), A, iss + 1, seq);
        assertThat(h.delta(H, before)).containsEntry("TcpExtDelayedACKs", 1L);
    }

    @Test
    void zeroWindowProbesBackOffAndStopWhenTheWindowOpens() {
        host("");
        int fd = established();
        TcpSock tp = conn();
        h.call(c -> sl.send(c, H, fd, new byte[100]));
        in(A, PISN + 1, iss + 101);
        // The peer's window closes; the next write cannot go: the persist timer.
        h.inject(H, PEER, LOCAL, seg(80, A, PISN + 1, iss + 101, 0, new byte[0], new byte[0]));
        assertThat(tp.sndWnd()).isZero();
        long rto = Math.max(tp.rtoNanos(), TcpTimer.TCP_RTO_MIN);
        int mark = h.sent.size();
        long t0 = h.now;
        h.call(c -> sl.send(c, H, fd, new byte[100]));
        assertThat(out(mark)).isEmpty();
        // Each probe (an ACK at snd_una - 1) is answered with a zero window; tcp_ack_probe re-arms
        // the timer at tcp_probe0_base << backoff.
        for (int i = 0; i < 3; i++) {
            h.advance(rto << i);
            assertThat(out(mark)).as("probe " + i).hasSize(i + 1);
            assertSeg(last(), A, iss + 100, PISN + 1);
            assertThat(last().payloadLen()).isZero();
            h.inject(H, PEER, LOCAL, seg(80, A, PISN + 1, iss + 101, 0, new byte[0], new byte[0]));
        }
        assertThat(out(mark).stream().map(s -> s.at() - t0).toList()).containsExactly(rto, 3 * rto, 7 * rto);
        assertThat(h.counter(H, "TcpExtTCPWinProbe")).isEqualTo(3);
        // The window opens: the data goes, no more probes.
        h.inject(H, PEER, LOCAL, seg(80, A, PISN + 1, iss + 101, 65535, new byte[0], new byte[0]));
        assertThat(out(mark)).hasSize(4);
        assertSeg(last(), A, iss + 101, PISN + 1);
        assertThat(last().payloadLen()).isEqualTo(100);
        in(A, PISN + 1, iss + 201);
        h.advance(60 * SEC);
        assertThat(out(mark)).hasSize(4);
        assertThat(h.counter(H, "TcpExtTCPWinProbe")).isEqualTo(3);
    }

    @Test
    void pawsDropsASegmentWithAnOldTimestampAndAcks() {
        host("");
        h.inject(H, PEER, LOCAL, seg(80, S, PISN, 0, 65535, TcpStatesTest.ts(1000, 0), new byte[0]));
        iss = last().th().seq();
        int tsv = TcpStatesTest.tsvalOf(last());
        h.inject(H, PEER, LOCAL, seg(80, A, PISN + 1, iss + 1, 65535, TcpStatesTest.ts(1001, tsv), new byte[0]));
        int fd = (int) h.call(c -> sl.accept(c, H, 3)).value();
        h.inject(H, PEER, LOCAL, seg(80, A, PISN + 1, iss + 1, 65535, TcpStatesTest.ts(2000, tsv), "new".getBytes()));
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        // TSval 1500 < ts_recent 2000: an old duplicate by PAWS (RFC 7323 5.3), whatever its sequence.
        h.inject(H, PEER, LOCAL, seg(80, A, PISN + 4, iss + 1, 65535, TcpStatesTest.ts(1500, tsv), "old".getBytes()));
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), A, iss + 1, PISN + 4);
        assertThat(h.delta(H, before)).containsEntry("TcpExtPAWSEstab", 1L);
        assertThat(new String(h.call(c -> sl.recv(c, H, fd, 100)).data())).isEqualTo("new");
        assertThat(h.drops).anyMatch(d -> d.contains("TCP_RFC7323_PAWS"));
    }

    @Test
    void synCookiesWhenTheSynQueueIsFull() {
        host("  - {proto: tcp, listen: \"0.0.0.0:80\", backlog: 0}\n", "  net.ipv4.tcp_syncookies: 1\n");
        int p3 = Inet.parse("10.0.0.3");
        int p4 = Inet.parse("10.0.0.4");
        int p5 = Inet.parse("10.0.0.5");
        synIn();
        // The SYN queue (one request) is over the backlog (0): tcp_syn_flood_action, a cookie.
        Map<String, Long> before = h.snapshot(H);
        inFrom(p3, S, 7000, 0);
        assertThat(flagsOf(last())).isEqualTo(S | A);
        int cookie = last().th().seq();
        assertThat(last().th().ackSeq()).isEqualTo(7001);
        assertThat(tcp().requests()).hasSize(1);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPReqQFullDoCookies", 1L)
                .containsEntry("TcpExtSyncookiesSent", 1L);
        // A forged ACK (the MSS index bits wrong): cookie_v4_check fails, the listener resets.
        before = h.snapshot(H);
        inFrom(p3, A, 7001, cookie + 1 + 0x100000);
        assertSeg(last(), R, cookie + 1 + 0x100000, 0);
        assertThat(h.delta(H, before)).containsEntry("TcpExtSyncookiesFailed", 1L);
        // The right one: the connection is rebuilt from the cookie, ESTABLISHED, accept queue.
        before = h.snapshot(H);
        int mark = h.sent.size();
        inFrom(p3, A, 7001, cookie + 1);
        assertThat(out(mark)).isEmpty();
        TcpSock child = tcp().connection(TcpSock.socketKey(LOCAL, 80, p3, TcpStatesTest.PPORT));
        assertThat(child.state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        assertThat(child.mss()).isEqualTo(536);
        assertThat(h.delta(H, before)).containsEntry("TcpExtSyncookiesRecv", 1L).containsEntry("TcpPassiveOpens", 1L);
        assertThat(tcp().listener("tcp 0.0.0.0:80").acceptQueue()).isEqualTo(1);
        // Accept queue over the backlog: a SYN is dropped (ListenOverflows, ListenDrops), no cookie.
        before = h.snapshot(H);
        mark = h.sent.size();
        inFrom(p4, S, 9000, 0);
        assertThat(out(mark)).isEmpty();
        assertThat(h.delta(H, before)).containsEntry("TcpExtListenOverflows", 1L).containsEntry("TcpExtListenDrops", 1L)
                .doesNotContainKey("TcpExtSyncookiesSent");
        // A cookie that ages past MAX_SYNCOOKIE_AGE minutes fails.
        h.call(c -> sl.accept(c, H, 3));
        inFrom(p5, S, 5000, 0);
        int old = last().th().seq();
        h.advance(3 * 60 * SEC);
        // (a full SYN queue again, so cookies are being sent: tcp_synq_no_recent_overflow is false)
        inFrom(Inet.parse("10.0.0.6"), S, 1000, 0);
        inFrom(p4, S, 9000, 0);
        assertThat(h.counter(H, "TcpExtSyncookiesSent")).isEqualTo(3);
        before = h.snapshot(H);
        inFrom(p5, A, 5001, old + 1);
        assertThat(h.delta(H, before)).containsEntry("TcpExtSyncookiesFailed", 1L);
    }
}
