package io.netstack.net.ipv4;

import io.netstack.skb.SkbDropReason;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.netstack.net.ipv4.TcpStatesTest.A;
import static io.netstack.net.ipv4.TcpStatesTest.F;
import static io.netstack.net.ipv4.TcpStatesTest.PEER;
import static io.netstack.net.ipv4.TcpStatesTest.PISN;
import static io.netstack.net.ipv4.TcpStatesTest.R;
import static io.netstack.net.ipv4.TcpStatesTest.S;
import static io.netstack.net.ipv4.TcpStatesTest.seg;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reason tcp_rcv_state_process (and tcp_ack through it) gives a segment it rejects, as
 * net/ipv4/tcp_input.c of 6.x returns it: tcp_v4_do_rcv sends the reset (none to a RST) and
 * drops the skb with that reason.
 */
class TcpDropReasonTest {

    static final String H = TcpStatesTest.H;
    /** The helpers of TcpTransitionsTest (its harness, host and handshake), not its tests. */
    final TcpTransitionsTest t = new TcpTransitionsTest();
    TcpHarness h;
    int iss;

    void host(String sysctl) { t.host(sysctl); h = t.h; }

    void host(String sockets, String sysctl) { t.host(sockets, sysctl); h = t.h; }

    int established() { int fd = t.established(); iss = t.iss; return fd; }

    TcpIpv4 tcp() { return t.tcp(); }

    TcpSock conn() { return t.conn(); }

    void in(int flags, int seq, int ack) { t.in(flags, seq, ack); }

    void in(int flags, int seq, int ack, byte[] data) { t.in(flags, seq, ack, data); }

    java.util.List<TcpHarness.Sent> out(int mark) { return t.out(mark); }

    TcpHarness.Sent last() { return t.last(); }

    static void assertSeg(TcpHarness.Sent s, int flags, int seq, int ack) { TcpTransitionsTest.assertSeg(s, flags, seq, ack); }


    /** The reason of the last drop on the host under test. */
    SkbDropReason lastDrop() {
        String d = h.drops.get(h.drops.size() - 1);
        int at = d.indexOf("reason=") + "reason=".length();
        int end = at;
        while (end < d.length() && (Character.isUpperCase(d.charAt(end)) || Character.isDigit(d.charAt(end)) || d.charAt(end) == '_')) end++;
        return SkbDropReason.valueOf(d.substring(at, end));
    }

    /** connect(): SYN_SENT; returns the local port, sets {@link #iss}. */
    int synSent() {
        host("", "");
        int fd = (int) h.call(c -> t.sl.socketCreate(H, "tcp")).value();
        h.call(c -> t.sl.connect(c, H, fd, PEER, TcpStatesTest.PPORT));
        TcpHarness.Sent syn = last();
        iss = syn.th().seq();
        return syn.th().source();
    }

    /** tcp_rcv_synsent_state_process: an ACK of what we never sent is TCP_ACK_UNSENT_DATA, and a RST carrying it gets no reset. */
    @Test
    void rstWithABadAckInSynSent() {
        int lport = synSent();
        int mark = h.sent.size();
        h.inject(H, PEER, TcpStatesTest.LOCAL, seg(lport, R | A, PISN, iss + 100, new byte[0]));
        assertThat(out(mark)).isEmpty();
        assertThat(lastDrop()).isEqualTo(SkbDropReason.TCP_ACK_UNSENT_DATA);
        TcpSock tp = tcp().connection(TcpSock.socketKey(TcpStatesTest.LOCAL, lport, PEER, TcpStatesTest.PPORT));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_SYN_SENT);
    }

    /** An ACK at or below our ISN in SYN_SENT: TCP_TOO_OLD_ACK, and a reset at its ack number. */
    @Test
    void anAckOfNothingInSynSentIsResetAsTooOld() {
        int lport = synSent();
        int mark = h.sent.size();
        h.inject(H, PEER, TcpStatesTest.LOCAL, seg(lport, A, PISN, iss, new byte[0]));
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), R, iss, 0);
        assertThat(lastDrop()).isEqualTo(SkbDropReason.TCP_TOO_OLD_ACK);
    }

    /** close() with the FIN unacknowledged, then data: RFC 1122's reset, TCP_ABORT_ON_DATA. */
    @Test
    void dataOnASocketClosedAfterItsFin() {
        host("");
        int fd = established();
        h.call(c -> t.sl.close(c, H, fd));
        assertThat(conn().state()).isEqualTo(TcpState.TCP_FIN_WAIT1);
        assertSeg(last(), F | A, iss + 1, PISN + 1);
        Map<String, Long> before = h.snapshot(H);
        int mark = h.sent.size();
        in(A, PISN + 1, iss + 1, "late".getBytes());
        assertThat(out(mark)).hasSize(1);
        assertThat(flagsOfLast() & R).isEqualTo(R);
        assertThat(lastDrop()).isEqualTo(SkbDropReason.TCP_ABORT_ON_DATA);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPAbortOnData", 1L);
        assertThat(conn()).isNull();
    }

    /** tcp_rcv_established's slow path: an ACK of data never sent is dropped, TCP_ACK_UNSENT_DATA, no reset. */
    @Test
    void anAckOfUnsentDataInEstablished() {
        host("");
        established();
        int mark = h.sent.size();
        in(A, PISN + 1, iss + 1 + 5000);
        assertThat(out(mark)).isEmpty();
        assertThat(lastDrop()).isEqualTo(SkbDropReason.TCP_ACK_UNSENT_DATA);
        assertThat(conn().state()).isEqualTo(TcpState.TCP_ESTABLISHED);
    }

    /**
     * SYN_RECV of a simultaneous open: an ACK below snd_una gets one reset. Nothing was
     * acknowledged yet (tcp_ack's max_window is min(max_window, bytes_acked) = 0), so any old
     * ACK is older than the window: TCP_TOO_OLD_ACK, not TCP_OLD_ACK.
     */
    @Test
    void anOldAckInSynRecv() {
        int lport = synSent();
        h.inject(H, PEER, TcpStatesTest.LOCAL, seg(lport, S, PISN, 0, new byte[0]));
        TcpSock tp = tcp().connection(TcpSock.socketKey(TcpStatesTest.LOCAL, lport, PEER, TcpStatesTest.PPORT));
        assertThat(tp.state()).isEqualTo(TcpState.TCP_SYN_RECV);
        int mark = h.sent.size();
        h.inject(H, PEER, TcpStatesTest.LOCAL, seg(lport, A, PISN + 1, iss - 1, new byte[0]));
        assertThat(out(mark)).hasSize(1);
        assertSeg(last(), R, iss - 1, 0);
        assertThat(lastDrop()).isEqualTo(SkbDropReason.TCP_TOO_OLD_ACK);
    }

    int flagsOfLast() { return TcpStatesTest.flagsOf(last()); }
}
