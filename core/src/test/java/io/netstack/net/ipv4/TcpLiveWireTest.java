package io.netstack.net.ipv4;

import io.netstack.config.HostConfig;
import io.netstack.layer.SocketLayer;
import io.netstack.wire.Inet;
import io.netstack.wire.TcpHeader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Packetdrill-style tests of the TCP bugs found with Linux as the peer over the live wire (the
 * distributed stack, RTT 50 ms to over a second): the host under test (10.0.0.2) talks to a
 * peer the test plays (10.0.0.1), the clock driven, segments out and counter deltas checked.
 */
class TcpLiveWireTest {

    static final String H = "h1";
    static final int LOCAL = Inet.parse("10.0.0.2");
    static final int PEER = Inet.parse("10.0.0.1");
    static final int PPORT = 40000;
    static final int PISN = 1000;
    static final int MSS = 1460;
    static final int A = TcpHeader.ACK;

    TcpHarness h;
    SocketLayer sl;
    HostConfig config;
    int fd;
    int lport;

    /** A connection from us to the peer, the SYN-ACK after {@code rttMs}: srtt = rtt, RTO = rtt + max(2 rtt, 200 ms). */
    void established(long rttMs) {
        established(rttMs, false);
    }

    /** With {@code sack}, the SYN-ACK offers SACK_PERM too. */
    void established(long rttMs, boolean sack) {
        h = new TcpHarness();
        config = TcpHarness.host(H, "10.0.0.2", "", "");
        h.add(config);
        sl = h.sock;
        fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        h.call(c -> sl.connect(c, H, fd, PEER, PPORT));
        TcpHarness.Sent syn = h.sent.get(h.sent.size() - 1);
        h.advanceMs(rttMs);
        byte[] opts = sack ? new byte[]{2, 4, 0x05, (byte) 0xb4, 1, 1, 4, 2} : TcpStatesTest.mss1460();
        h.inject(H, PEER, LOCAL, TcpStatesTest.seg(syn.th().source(), TcpHeader.SYN | A, PISN, syn.th().seq() + 1, 65535,
                opts, new byte[0]));
        lport = syn.th().source();
    }

    TcpSock tp() { return h.l4.host(H).tcp().connection(TcpSock.socketKey(LOCAL, lport, PEER, PPORT)); }

    void ack(int ackSeq) {
        h.inject(H, PEER, LOCAL, TcpStatesTest.seg(lport, A, PISN + 1, ackSeq, new byte[0]));
    }

    /** A duplicate-style ACK with SACK blocks (start, end, ...). */
    void ackSack(int ackSeq, int... blocks) {
        byte[] o = new byte[4 + 4 * blocks.length];
        o[0] = 1;
        o[1] = 1;
        o[2] = 5;
        o[3] = (byte) (2 + 4 * blocks.length);
        for (int i = 0; i < blocks.length; i++) io.netstack.wire.Bytes.put32(o, 4 + 4 * i, blocks[i]);
        h.inject(H, PEER, LOCAL, TcpStatesTest.seg(lport, A, PISN + 1, ackSeq, 65535, o, new byte[0]));
    }

    /** Byte i of the stream the application writes: a pattern that shows any byte out of place. */
    static byte[] pattern(int from, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = (byte) ((from + i) * 31 + ((from + i) >>> 8));
        return b;
    }

    /**
     * tcp_clean_rtx_queue: seq_rtt is measured from the OLDEST segment a cumulative ACK covers
     * (first_ackt), not the newest. Two segments at t=0, two at t=50 ms, one ACK for all four at
     * t=250 ms: the sample is 250 ms, so srtt = 100 + (250 - 100) / 8 = 118.75 ms (with the
     * newest, 200 ms, it was 112.5 ms, and over the live wire the RTO ran short and fired
     * spuriously).
     */
    @Test
    void theRttSampleOfACumulativeAckIsTheOldestSegments() {
        established(100);
        assertThat(tp().srttUs()).isEqualTo(100_000);
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(0, 2 * MSS)));
        h.advanceMs(50);
        h.call(c -> sl.send(c, H, fd, pattern(2 * MSS, 2 * MSS)));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(4);
        int una = out.get(0).th().seq();
        h.advanceMs(200);
        ack(una + 4 * MSS);
        assertThat(tp().srttUs()).isEqualTo(118_750);
    }

    /**
     * F-RTO step 3.b (tcp_process_loss, RFC 5682): the RTO fired while the window was in fact
     * arriving (a pause of the pipeline). The head goes again; then an ACK covers it and four
     * segments that were never retransmitted: the timeout was spurious. tcp_try_undo_loss: back
     * to Open with cwnd and ssthresh undone, TCPLossUndo and TCPSpuriousRTOs, and the five
     * segments still outstanding are NOT retransmitted (before, go-back-N sent them all again).
     */
    @Test
    void aSpuriousRtoIsUndoneWhenNeverRetransmittedDataIsAcked() {
        established(100);
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(0, 10 * MSS)));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(10);
        int una = out.get(0).th().seq();
        Map<String, Long> before = h.snapshot(H);
        h.advanceMs(310);
        out = h.sentSince(mark);
        assertThat(out).as("the RTO (300 ms) resends the head\n" + TcpHarness.tcpdump(out)).hasSize(11);
        assertThat(out.get(10).th().seq()).isEqualTo(una);
        assertThat(tp().cwnd).isEqualTo(1);

        mark = h.sent.size();
        ack(una + 5 * MSS);
        out = h.sentSince(mark);
        assertThat(out).as("nothing retransmitted after the undo\n" + TcpHarness.tcpdump(out)).isEmpty();
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(tp().cwnd).isGreaterThanOrEqualTo(10);
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPTimeouts", 1L).containsEntry("TcpRetransSegs", 1L)
                .containsEntry("TcpExtTCPLossUndo", 1L).containsEntry("TcpExtTCPSpuriousRTOs", 1L);

        // The rest of the window arrives too: nothing was lost, nothing more goes.
        ack(una + 10 * MSS);
        assertThat(h.sentSince(mark)).isEmpty();
        assertThat(h.counter(H, "TcpRetransSegs")).isEqualTo(1);
    }

    /**
     * F-RTO step 2.b: the first ACK after the RTO covers only the retransmitted head, so it
     * cannot tell; high_seq moves to snd_nxt and NEW data goes instead of the rest of the window
     * (REXMIT_NEW). The next ACK covers never-retransmitted data: spurious, undone.
     */
    @Test
    void afterAnAmbiguousAckFrtoSendsNewDataNotRetransmissions() {
        established(100);
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(0, 15 * MSS)));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(10);
        int una = out.get(0).th().seq();
        int sndNxt = una + 10 * MSS;
        h.advanceMs(310);
        mark = h.sent.size();
        ack(una + MSS);
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).isNotEmpty()
                .allSatisfy(s -> assertThat(s.th().seq() - sndNxt).as("new data only").isGreaterThanOrEqualTo(0));
        assertThat(tp().frto).isTrue();
        assertThat(h.counter(H, "TcpRetransSegs")).isEqualTo(1);

        ack(una + 5 * MSS);
        assertThat(h.counter(H, "TcpExtTCPSpuriousRTOs")).isEqualTo(1);
        assertThat(tp().caState).isEqualTo(TcpCong.TCP_CA_OPEN);
        assertThat(h.counter(H, "TcpRetransSegs")).isEqualTo(1);
    }

    /**
     * A real loss after an RTO is still recovered: the ACK after the retransmitted head does not
     * move (the peer lost the whole window), so go-back-N goes on and the data arrives.
     */
    @Test
    void aRealLossAfterAnRtoIsStillRetransmitted() {
        established(100);
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(0, 4 * MSS)));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        int una = out.get(0).th().seq();
        h.advanceMs(310);
        // The retransmitted head arrives; the other three were lost.
        mark = h.sent.size();
        ack(una + MSS);
        ack(una + MSS);
        h.advanceMs(2000);
        out = h.sentSince(mark);
        assertThat(out.stream().map(s -> s.th().seq() - una).toList()).as(TcpHarness.tcpdump(out))
                .contains(MSS, 2 * MSS);
        assertThat(h.counter(H, "TcpExtTCPSpuriousRTOs")).isZero();
    }

    /**
     * The send buffer skips acknowledged bytes instead of moving the rest: every byte that goes
     * out is still the application's byte at that sequence number, across ACKs that free the
     * head, writes that compact the buffer and writes that grow it.
     */
    @Test
    void everySentByteIsTheApplicationsAcrossAcksAndCompaction() {
        established(10);
        int written = 0;
        int acked = 0;
        int mark = h.sent.size();
        int isn = -1;
        for (int round = 0; round < 40; round++) {
            int n = 1000 + round * 797;
            int from = written;
            h.call(c -> sl.send(c, H, fd, pattern(from, n)));
            written += n;
            List<TcpHarness.Sent> out = h.sentSince(mark);
            if (isn == -1 && !out.isEmpty()) isn = out.get(0).th().seq();
            int max = acked;
            for (TcpHarness.Sent s : out) max = Math.max(max, s.th().seq() - isn + s.payloadLen());
            acked = max;
            h.advanceMs(5);
            ack(isn + acked);
        }
        // Drain: ACK until everything went.
        for (int i = 0; i < 200 && acked < written; i++) {
            int max = acked;
            for (TcpHarness.Sent s : h.sentSince(mark)) max = Math.max(max, s.th().seq() - isn + s.payloadLen());
            acked = max;
            h.advanceMs(5);
            ack(isn + acked);
        }
        assertThat(acked).isEqualTo(written);
        for (TcpHarness.Sent s : h.sentSince(mark)) {
            if (s.payloadLen() == 0) continue;
            assertThat(s.payload()).as("bytes at offset %d", s.th().seq() - isn).isEqualTo(pattern(s.th().seq() - isn, s.payloadLen()));
        }
    }

    /**
     * A new configuration of a live host (`netstack wire attach --config` publishes it again)
     * keeps the connections: l4 used to rebuild its per-host TCP and UDP state from host.yaml,
     * so the socket layer still had the API's sockets while l4 answered their peers with RST.
     */
    @Test
    void aReconfigurationKeepsTheConnection() {
        established(10);
        h.l4.configure(config);
        h.sock.configure(config);
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(0, 100)));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).payloadLen()).isEqualTo(100);
        assertThat(out.get(0).th().rst()).isFalse();
        assertThat(tp()).isNotNull();
        assertThat(tp().state()).isEqualTo(TcpState.TCP_ESTABLISHED);
    }

    /**
     * tcp_sacktag_write_queue / tcp_check_dsack: on a SACK connection, duplicate ACKs that only
     * report a duplicate (a D-SACK block below the cumulative ACK: the peer got a segment twice,
     * after a spurious retransmission) SACK nothing new and start no fast retransmit; they are
     * counted in TCPDSACKRecv. Three that SACK new data above snd_una do.
     */
    @Test
    void dsackOnlyDuplicateAcksStartNoFastRetransmitButNewSacksDo() {
        established(10, true);
        assertThat(tp().sackOk).isTrue();
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(0, 6 * MSS)));
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(6);
        int una = out.get(0).th().seq();
        ack(una + MSS);
        Map<String, Long> before = h.snapshot(H);
        mark = h.sent.size();
        // Three duplicates of the ACK, each with a D-SACK of the first segment (already acknowledged).
        for (int i = 0; i < 3; i++) ackSack(una + MSS, una, una + MSS);
        assertThat(h.sentSince(mark)).as("no fast retransmit").isEmpty();
        assertThat(h.delta(H, before)).containsEntry("TcpExtTCPDSACKRecv", 3L).doesNotContainKey("TcpRetransSegs");
        // Segment 2 lost: the peer SACKs 3, 3-4, 3-5: three new SACKs, the fast retransmit of 2.
        for (int k = 1; k <= 3; k++) ackSack(una + MSS, una + 2 * MSS, una + (2 + k) * MSS);
        out = h.sentSince(mark);
        assertThat(out).as(TcpHarness.tcpdump(out)).hasSize(1);
        assertThat(out.get(0).th().seq()).isEqualTo(una + MSS);
        assertThat(h.delta(H, before)).containsEntry("TcpRetransSegs", 1L).containsEntry("TcpExtTCPSackRecovery", 1L);
    }

    /**
     * tcp_current_mss: while the out-of-order queue holds data, our segments carry SACK blocks,
     * and the payload shrinks by their size so that header + options + payload still fit the
     * MTU (1500 - 20 = 1480 bytes of TCP). Before, full segments went out 12 to 36 bytes too
     * large with DF, ip_fragment dropped them, and an echo over a lossy wire stalled. Also for a
     * retransmission of a segment sent before the SACK blocks appeared (tcp_fragment).
     */
    @Test
    void segmentsShrinkByTheSackBlocksTheyCarry() {
        h = new TcpHarness();
        config = TcpHarness.host(H, "10.0.0.2", "", "");
        h.add(config);
        sl = h.sock;
        fd = (int) h.call(c -> sl.socketCreate(H, "tcp")).value();
        h.call(c -> sl.connect(c, H, fd, PEER, PPORT));
        TcpHarness.Sent syn = h.sent.get(h.sent.size() - 1);
        int mySyn = syn.th().seq();
        lport = syn.th().source();
        // SYN-ACK: MSS 1460, SACK_PERM, timestamps (TSval 1, TSecr 0), NOP NOP NOP NOP.
        byte[] synOpts = {2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1};
        h.advanceMs(10);
        h.inject(H, PEER, LOCAL, TcpStatesTest.seg(lport, TcpHeader.SYN | A, PISN, mySyn + 1, 65535, synOpts, new byte[0]));
        assertThat(tp().sackOk).isTrue();
        assertThat(tp().tstampOk).isTrue();
        int una = mySyn + 1;
        // The app's first segment, then a loss: the peer's data arrives with a hole.
        int mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(0, 3 * 1448)));
        List<TcpHarness.Sent> first = h.sentSince(mark);
        assertThat(first).as(TcpHarness.tcpdump(first)).hasSize(3).allMatch(s -> s.payloadLen() == 1448);
        h.inject(H, PEER, LOCAL, TcpStatesTest.seg(lport, A, PISN + 1 + 1000, una, 65535, TcpStatesTest.ts(2, 0), new byte[100]));
        assertThat(tp().ofo).hasSize(1);
        mark = h.sent.size();
        h.call(c -> sl.send(c, H, fd, pattern(3 * 1448, 3 * 1448)));
        // The RTO resends the head, sent without SACK blocks, now with one.
        h.advanceMs(1500);
        List<TcpHarness.Sent> out = h.sentSince(mark);
        assertThat(out.stream().filter(s -> s.payloadLen() > 0).toList()).as(TcpHarness.tcpdump(out)).isNotEmpty()
                .allSatisfy(s -> assertThat(s.l4().length).as("TCP header + options + payload").isLessThanOrEqualTo(1480));
        assertThat(out.stream().filter(s -> s.payloadLen() > 0 && s.th().seq() == una).toList()).as("the head again, in pieces")
                .isNotEmpty().allSatisfy(s -> assertThat(s.payloadLen()).isEqualTo(1448 - 12));
        assertThat(h.drops).as("nothing dropped").noneMatch(d -> d.contains("PKT_TOO_BIG"));
    }
}
