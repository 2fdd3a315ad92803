package io.netstack.net.ipv4;

import io.netstack.layer.SocketLayer;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.TcpHeader;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Packetdrill-style tests of the undo of needless loss recovery (net/ipv4/tcp_input.c:
 * tcp_may_undo with tcp_packet_delayed's Eifel timestamps and tcp_check_dsack's D-SACK
 * counting; tcp_try_undo_loss, tcp_try_undo_recovery, tcp_try_undo_dsack, tcp_try_undo_partial).
 * The host under test (10.0.0.2) sends to a peer the test plays (10.0.0.1); the clock is
 * driven; segments out, cwnd, the CA state and counter deltas are checked.
 */
class TcpUndoTest {

    static final String H = "h1";
    static final int LOCAL = Inet.parse("10.0.0.2");
    static final int PEER = Inet.parse("10.0.0.1");
    static final int PPORT = 40000;
    static final int PISN = 1000;
    static final int A = TcpHeader.ACK;
    /** CUBIC's ssthresh after a loss at cwnd 10: 10 * 717 / 1024. */
    static final int SSTHRESH_AFTER_LOSS = 7;

    TcpHarness h;
    SocketLayer sl;
    int fd;
    int lport;
    boolean ts;
    /** The payload of a full segment: 1460, less 12 with timestamps. */
    int mss;
    /** Our first data byte. */
    int una;

    /** A connection from us to the peer (RTT 100 ms: RTO 300 ms); SACK and timestamps as the peer's SYN-ACK offers them. */
    void established(boolean sack, boolean timestamps) {
        h = new TcpHarness();
        h.add(TcpHarness.host(H, "10.0.0.2", "", ""));
        sl = h.sock;
        ts = timestamps;
        mss = timestamps ? 1448 : 1460;
        fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        h.call(c -> sl.connect(c, H, fd, PEER, PPORT));
        TcpHarness.Sent syn = h.sent.get(h.sent.size() - 1);
        lport = syn.th().source();
        una = syn.th().seq() + 1;
        h.advanceMs(100);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(TcpStatesTest.mss1460());
        if (sack) o.writeBytes(new byte[]{1, 1, 4, 2});
        if (timestamps) o.writeBytes(TcpStatesTest.ts(1, tsval(syn)));
        h.inject(H, PEER, LOCAL, TcpStatesTest.seg(lport, TcpHeader.SYN | A, PISN, una, 65535, o.toByteArray(), new byte[0]));
        assertThat(tp().state()).isEqualTo(TcpState.TCP_ESTABLISHED);
        assertThat(tp().sackOk).isEqualTo(sack);
        assertThat(tp().tstampOk).isEqualTo(timestamps);
    }

    TcpSock tp() { return h.l4.host(H).tcp().connection(TcpSock.socketKey(LOCAL, lport, PEER, PPORT)); }

    /** The TSval of a segment we sent. */
    static int tsval(TcpHarness.Sent s) {
        for (TcpHeader.Option opt : s.th().options()) {
            if (opt.kind() == TcpHeader.TCPOPT_TIMESTAMP) return Bytes.u32(opt.data(), 0);
        }
        throw new AssertionError("no timestamp in " + TcpHarness.tcpdump(s));
    }

    /** The peer's ACK: TSecr {@code tsecr} when timestamps are on, then SACK blocks (start, end, ...). */
    void ack(int ackSeq, int tsecr, int... sackBlocks) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        if (ts) o.writeBytes(TcpStatesTest.ts(1, tsecr));
        if (sackBlocks.length > 0) {
            byte[] b = new byte[4 + 4 * sackBlocks.length];
            b[0] = 1;
            b[1] = 1;
            b[2] = 5;
            b[3] = (byte) (2 + 4 * sackBlocks.length);
            for (int i = 0; i < sackBlocks.length; i++) Bytes.put32(b, 4 + 4 * i, sackBlocks[i]);
            o.writeBytes(b);
        }
        h.inject(H, PEER, LOCAL, TcpStatesTest.seg(lport, A, PISN + 1, ackSeq, 65535, o.toByteArray(), new byte[0]));
    }

    /** Byte {@code n} of segment {@code i}'s start. */
    int seg(int i) { return una + i * mss; }

    /** Sends {@code n} full segments; returns them. */
    List<TcpHarness.Sent> send(int n) {
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, new byte[n * mss]));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(n);
        return out;
    }

    /** The RTO (300 ms) fires once: the head goes again, cwnd 1, CA_Loss. Returns the retransmission. */
    TcpHarness.Sent rto() {
        int mark = h.sent.size();
        h.advanceMs(310);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().seq()).isEqualTo(una);
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_LOSS);
        assertThat(tp().cwnd).isEqualTo(1);
        assertThat(tp().ssthresh).isEqualTo(SSTHRESH_AFTER_LOSS);
        return out.get(0);
    }

    static List<Integer> seqs(List<TcpHarness.Sent> out, int base) {
        return out.stream().filter(s -> s.payloadLen() > 0).map(s -> s.th().seq() - base).toList();
    }

    // --- (1) Eifel: the ACK echoes a timestamp from before the retransmission ---------------

    /**
     * tcp_process_loss, 1: the first ACK after the RTO covers the retransmitted head but echoes
     * the ORIGINAL's TSval, older than retrans_stamp: tcp_packet_delayed, tcp_try_undo_loss(sk,
     * false). TCPLossUndo only (TCPSpuriousRTOs is F-RTO's, which never ran: Eifel came first);
     * cwnd and ssthresh back to what they were before the RTO, Open (SACK), nothing more goes.
     */
    @Test
    void eifelUndoesAnRtoWhoseAckEchoesTheOriginalsTimestamp() {
        established(true, true);
        List<TcpHarness.Sent> orig = send(4);
        Map<String, Long> before = h.snapshot(H);
        TcpHarness.Sent rexmit = rto();
        assertThat(tsval(rexmit)).isGreaterThan(tsval(orig.get(0)));

        int mark = h.sent.size();
        ack(seg(1), tsval(orig.get(0)));
        assertThat(h.sentSince(mark)).as("no retransmission after the undo\n" + TcpHarness.tcpdump(h.sentSince(mark))).isEmpty();
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().cwnd).isEqualTo(10);
        assertThat(tp().ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        assertThat(tp().undoMarker).isFalse();
        assertThat(tp().retransmits).isZero();

        ack(seg(4), tsval(orig.get(3)));
        assertThat(h.sentSince(mark)).isEmpty();
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before))).containsEntry("TcpExtTCPTimeouts", 1L).containsEntry("TcpRetransSegs", 1L)
                .containsEntry("TcpExtTCPLossUndo", 1L).doesNotContainKeys("TcpExtTCPSpuriousRTOs",
                        "TcpExtTCPSlowStartRetrans", "TcpExtTCPFullUndo", "TcpExtTCPDSACKUndo");
    }

    /**
     * Without SACK the same undo keeps CA_Loss: tcp_try_undo_loss opens only for F-RTO or with
     * SACK. cwnd is undone all the same and nothing is retransmitted. F-RTO is still armed
     * (nothing clears tp->frto), so the next ACK, covering never-retransmitted data, is F-RTO's
     * step 3.b: tcp_try_undo_loss(sk, true) once more, TCPLossUndo again and TCPSpuriousRTOs,
     * Open, as the kernel counts it.
     */
    @Test
    void eifelUndoWithoutSackKeepsTheLossStateUntilFrtoReopens() {
        established(false, true);
        List<TcpHarness.Sent> orig = send(4);
        Map<String, Long> before = h.snapshot(H);
        rto();
        int mark = h.sent.size();
        ack(seg(1), tsval(orig.get(0)));
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_LOSS);
        assertThat(tp().cwnd).isEqualTo(10);
        assertThat(tp().ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before)))
                .containsEntry("TcpExtTCPLossUndo", 1L).doesNotContainKey("TcpExtTCPSpuriousRTOs");
        ack(seg(4), tsval(orig.get(3)));
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().cwnd).isEqualTo(10);
        assertThat(h.sentSince(mark)).as(TcpHarness.tcpdump(h.sentSince(mark))).isEmpty();
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before)))
                .containsEntry("TcpExtTCPLossUndo", 2L).containsEntry("TcpExtTCPSpuriousRTOs", 1L)
                .containsEntry("TcpRetransSegs", 1L);
    }

    // --- (2) D-SACKs without timestamps --------------------------------------------------------

    /**
     * The first ACK after the RTO D-SACKs the retransmitted head and acknowledges everything:
     * the D-SACK block is above the previous snd_una, so tcp_sacktag_one counts it against the
     * retransmit queue (undo_retrans 1 -> 0) before the queue is cleaned, and tcp_process_loss's
     * tcp_try_undo_loss(sk, false) undoes: TCPLossUndo (not TCPSpuriousRTOs), Open.
     */
    @Test
    void aDsackOfTheOnlyRetransmissionUndoesTheLossState() {
        established(true, false);
        send(4);
        Map<String, Long> before = h.snapshot(H);
        rto();
        int mark = h.sent.size();
        ack(seg(4), 0, seg(0), seg(1));
        assertThat(h.sentSince(mark)).isEmpty();
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().cwnd).isEqualTo(10);
        assertThat(tp().ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before))).containsEntry("TcpExtTCPLossUndo", 1L).containsEntry("TcpExtTCPDSACKRecv", 1L)
                .containsEntry("TcpExtTCPDSACKRecvSegs", 1L)
                .doesNotContainKeys("TcpExtTCPSpuriousRTOs", "TcpExtTCPDSACKUndo", "TcpExtTCPDSACKIgnoredDubious");
    }

    /**
     * The live-wire case: the RTO was spurious, but the delayed ACK of the head comes first and
     * F-RTO cannot tell (no new data to send), so slow start retransmits two more. The loss
     * episode then ends (high_seq acknowledged, undo_retrans still 2: tcp_try_undo_recovery does
     * nothing, Open). The peer D-SACKs each of the two; with nothing in flight they go the
     * no_queue way to tcp_fastretrans_alert, and the last one (undo_retrans 0) undoes in Open:
     * tcp_try_undo_dsack, TCPDSACKUndo. One more D-SACK reports more duplicates than were ever
     * retransmitted: tcp_dsack_seen rejects it (TCPDSACKIgnoredDubious).
     */
    @Test
    void dsacksForEveryRetransmissionUndoAfterTheLossEpisode() {
        established(true, false);
        send(4);
        Map<String, Long> before = h.snapshot(H);
        rto();
        int mark = h.sent.size();
        ack(seg(1), 0);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(seqs(out, una)).as(TcpHarness.tcpdump(out)).containsExactly(mss, 2 * mss);
        assertThat(tp().frto).isFalse();
        assertThat(tp().undoRetrans).isEqualTo(3);

        // Everything acknowledged, with the D-SACK of the head (it is below the previous
        // snd_una: "dumb counting"): undo_retrans 2, no undo, Open, cwnd one more.
        ack(seg(4), 0, seg(0), seg(1));
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().undoRetrans).isEqualTo(2);
        assertThat(tp().cwnd).isEqualTo(3);
        assertThat(tp().undoMarker).isTrue();

        ack(seg(4), 0, seg(1), seg(2));
        assertThat(tp().cwnd).isEqualTo(3);
        assertThat(h.counter(H, "TcpExtTCPDSACKUndo") - before.getOrDefault("TcpExtTCPDSACKUndo", 0L)).isZero();
        ack(seg(4), 0, seg(2), seg(3));
        assertThat(tp().cwnd).isEqualTo(10);
        assertThat(tp().ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        assertThat(tp().undoMarker).isFalse();
        ack(seg(4), 0, seg(2), seg(3));
        assertThat(h.sentSince(mark)).hasSize(2);
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before))).containsEntry("TcpRetransSegs", 3L).containsEntry("TcpExtTCPSlowStartRetrans", 2L)
                .containsEntry("TcpExtTCPDSACKRecv", 4L).containsEntry("TcpExtTCPDSACKRecvSegs", 3L)
                .containsEntry("TcpExtTCPDSACKUndo", 1L).containsEntry("TcpExtTCPDSACKIgnoredDubious", 1L)
                .doesNotContainKeys("TcpExtTCPLossUndo", "TcpExtTCPSpuriousRTOs");
    }

    // --- (3) a real loss ------------------------------------------------------------------------

    /**
     * The window was lost: the ACKs echo the retransmissions' timestamps (newer than
     * retrans_stamp) and nothing is D-SACKed. Nothing is undone: go-back-N in slow start from
     * cwnd 1, ssthresh stays 7 and cwnd below the 10 before, no undo counter moves.
     */
    @Test
    void aRealLossIsNotUndone() {
        established(true, true);
        send(4);
        Map<String, Long> before = h.snapshot(H);
        TcpHarness.Sent rexmit = rto();
        int mark = h.sent.size();
        h.advanceMs(100);
        ack(seg(1), tsval(rexmit));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(seqs(out, una)).as(TcpHarness.tcpdump(out)).containsExactly(mss, 2 * mss);
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_LOSS);
        assertThat(tp().cwnd).isEqualTo(2);
        h.advanceMs(100);
        ack(seg(3), tsval(out.get(1)));
        out = h.sentSince(mark);
        assertThat(seqs(out, una)).as(TcpHarness.tcpdump(out)).containsExactly(mss, 2 * mss, 3 * mss);
        h.advanceMs(100);
        ack(seg(4), tsval(out.get(2)));
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().ssthresh).isEqualTo(SSTHRESH_AFTER_LOSS);
        assertThat(tp().cwnd).isLessThan(10);
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before))).containsEntry("TcpRetransSegs", 4L)
                .doesNotContainKeys("TcpExtTCPLossUndo", "TcpExtTCPSpuriousRTOs", "TcpExtTCPFullUndo",
                        "TcpExtTCPDSACKUndo", "TcpExtTCPPartialUndo");
    }

    // --- (4) fast recovery ----------------------------------------------------------------------

    /** cwnd when fast recovery began (11: the ACK of the first segment grew it in slow start). */
    int cwndBefore;

    /** Six segments; the second is held back by the network (reordered), the peer SACKs 3, 3-4, 3-5: fast retransmit of 2. */
    List<TcpHarness.Sent> fastRetransmitOfTheSecond() {
        List<TcpHarness.Sent> orig = send(6);
        h.advanceMs(100);
        ack(seg(1), ts ? tsval(orig.get(0)) : 0);
        cwndBefore = tp().cwnd;
        assertThat(cwndBefore).isEqualTo(11);
        int mark = h.sent.size();
        for (int k = 1; k <= 3; k++) {
            h.advanceMs(5);
            ack(seg(1), ts ? tsval(orig.get(0)) : 0, seg(2), seg(2 + k));
        }
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(seqs(out, una)).as(TcpHarness.tcpdump(out)).containsExactly(mss);
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_RECOVERY);
        assertThat(tp().cwnd).isEqualTo(SSTHRESH_AFTER_LOSS);
        assertThat(tp().undoMarker).isTrue();
        assertThat(tp().undoRetrans).isEqualTo(1);
        return orig;
    }

    /**
     * The delayed original fills the hole: recovery ends (tcp_end_cwnd_reduction, cwnd =
     * ssthresh: undo_retrans is 1 and no timestamps). Then the peer D-SACKs the retransmission:
     * undo_retrans 0, tcp_try_undo_dsack: cwnd and ssthresh as before, TCPDSACKUndo.
     */
    @Test
    void aDsackOfTheFastRetransmissionUndoesTheRecovery() {
        established(true, false);
        Map<String, Long> before = h.snapshot(H);
        fastRetransmitOfTheSecond();
        int mark = h.sent.size();
        ack(seg(6), 0);
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().cwnd).isEqualTo(SSTHRESH_AFTER_LOSS);
        ack(seg(6), 0, seg(1), seg(2));
        assertThat(tp().cwnd).isEqualTo(cwndBefore);
        assertThat(tp().ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        assertThat(h.sentSince(mark)).isEmpty();
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before))).containsEntry("TcpExtTCPSackRecovery", 1L).containsEntry("TcpRetransSegs", 1L)
                .containsEntry("TcpExtTCPDSACKRecv", 1L).containsEntry("TcpExtTCPDSACKUndo", 1L)
                .doesNotContainKeys("TcpExtTCPFullUndo", "TcpExtTCPLossUndo");
    }

    /**
     * With timestamps the ACK that ends the recovery echoes the original's TSval, older than the
     * fast retransmission (retrans_stamp): tcp_try_undo_recovery undoes at once, TCPFullUndo.
     * The D-SACK that follows finds the reduction already undone (TCPDSACKIgnoredNoUndo).
     */
    @Test
    void aTimestampFromBeforeTheFastRetransmitIsAFullUndo() {
        established(true, true);
        Map<String, Long> before = h.snapshot(H);
        List<TcpHarness.Sent> orig = fastRetransmitOfTheSecond();
        int mark = h.sent.size();
        ack(seg(6), tsval(orig.get(1)));
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().cwnd).isEqualTo(cwndBefore);
        assertThat(tp().ssthresh).isEqualTo(TcpCong.TCP_INFINITE_SSTHRESH);
        ack(seg(6), tsval(orig.get(1)), seg(1), seg(2));
        assertThat(tp().cwnd).isEqualTo(cwndBefore);
        assertThat(h.sentSince(mark)).isEmpty();
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before))).containsEntry("TcpExtTCPFullUndo", 1L).containsEntry("TcpExtTCPDSACKIgnoredNoUndo", 1L)
                .doesNotContainKeys("TcpExtTCPDSACKUndo", "TcpExtTCPLossUndo", "TcpExtTCPPartialUndo");
    }

    /**
     * A partial ACK in Recovery (the fifth segment is still missing) that echoes the
     * original's timestamp: the hole was filled by the delayed original. No retransmission is
     * in flight any more, so tcp_try_undo_partial undoes (TCPPartialUndo, TCPTSReorder) and
     * nothing more is retransmitted.
     */
    @Test
    void aPartialAckWithAnOlderTimestampIsAPartialUndo() {
        established(true, true);
        Map<String, Long> before = h.snapshot(H);
        List<TcpHarness.Sent> orig = fastRetransmitOfTheSecond();
        int mark = h.sent.size();
        ack(seg(4), tsval(orig.get(1)), seg(5), seg(6));
        assertThat(h.sentSince(mark)).as(TcpHarness.tcpdump(h.sentSince(mark))).isEmpty();
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().cwnd).isEqualTo(cwndBefore);
        assertThat(h.delta(H, before)).as("%s", new java.util.TreeMap<>(h.delta(H, before))).containsEntry("TcpExtTCPPartialUndo", 1L).containsEntry("TcpExtTCPTSReorder", 1L)
                .doesNotContainKeys("TcpExtTCPFullUndo", "TcpExtTCPDSACKUndo");
    }
}
