package io.netstack.net.ipv4;

/**
 * Congestion control: Reno (net/ipv4/tcp_cong.c, tcp_reno_cong_avoid / tcp_reno_ssthresh),
 * NOT Linux's default CUBIC. Slow start (tcp_slow_start) below ssthresh, one segment per
 * window above (tcp_cong_avoid_ai). Loss recovery is NewReno-style: three duplicate ACKs
 * (tcp_reordering) retransmit the head and set cwnd to ssthresh (no PRR); every partial ACK
 * retransmits the next hole; recovery ends when high_seq is acknowledged. An RTO sets cwnd to
 * one segment (tcp_enter_loss).
 */
final class TcpCong implements java.io.Serializable {
    private TcpCong() {}

    static final int TCP_CA_OPEN = 0;
    static final int TCP_CA_RECOVERY = 3;
    static final int TCP_CA_LOSS = 4;

    /** tcp_reno_ssthresh: half the window, at least two segments. */
    static int tcpRenoSsthresh(TcpSock tp) {
        return Math.max(tp.cwnd >> 1, 2);
    }

    /** tcp_reno_cong_avoid: slow start under ssthresh, additive increase over it. */
    static void tcpRenoCongAvoid(TcpSock tp, int acked) {
        if (tp.cwnd <= tp.ssthresh) {
            // tcp_slow_start: cwnd grows by what was acknowledged, up to ssthresh.
            int cwnd = Math.min(tp.cwnd + acked, tp.ssthresh);
            acked -= cwnd - tp.cwnd;
            tp.cwnd = cwnd;
            if (acked <= 0) return;
        }
        // tcp_cong_avoid_ai
        tp.cwndCnt += acked;
        if (tp.cwndCnt >= tp.cwnd) {
            int delta = tp.cwndCnt / tp.cwnd;
            tp.cwndCnt -= delta * tp.cwnd;
            tp.cwnd += delta;
        }
    }

    /** tcp_enter_recovery: fast retransmit after three duplicate ACKs. */
    static void tcpEnterRecovery(TcpSock tp) {
        tp.ssthresh = tcpRenoSsthresh(tp);
        tp.cwnd = tp.ssthresh;
        tp.cwndCnt = 0;
        tp.caState = TCP_CA_RECOVERY;
        tp.highSeq = tp.sndNxt;
    }

    /**
     * tcp_enter_loss, net/ipv4/tcp_input.c: after an RTO, one segment and slow start again.
     * Unless a loss episode on the same snd_una is already going on, the window before is
     * remembered (prior_ssthresh from tcp_current_ssthresh, prior_cwnd, tcp_init_undo) so a
     * spurious timeout can be undone. F-RTO (RFC 5682 3.1 step 1) is armed when {@code frtoSysctl}
     * (net.ipv4.tcp_frto, 2) is on and no other recovery was under way, or on a recurring timeout.
     */
    static void tcpEnterLoss(TcpSock tp, boolean frtoSysctl) {
        boolean newRecovery = tp.caState < TCP_CA_RECOVERY;
        if (tp.caState <= TCP_CA_OPEN || !TcpSock.after(tp.highSeq, tp.sndUna)
                || (tp.caState == TCP_CA_LOSS && tp.retransmits == 0)) {
            // tcp_current_ssthresh: out of a reduction, 3/4 of cwnd if that is more.
            tp.priorSsthresh = Math.max(tp.ssthresh, (tp.cwnd >> 1) + (tp.cwnd >> 2));
            tp.priorCwnd = tp.cwnd;
            tp.ssthresh = tcpRenoSsthresh(tp);
            tp.undoMarker = true;
        }
        tp.cwnd = 1;
        tp.cwndCnt = 0;
        tp.caState = TCP_CA_LOSS;
        tp.highSeq = tp.sndNxt;
        tp.dupAcks = 0;
        tp.frto = frtoSysctl && (newRecovery || tp.retransmits > 0);
    }

    /**
     * tcp_undo_cwnd_reduction(sk, unmark_loss = true): the reduction was not needed. The lost
     * marks go (what was in flight is in flight), cwnd back to at least prior_cwnd
     * (tcp_reno_undo_cwnd), ssthresh back to prior_ssthresh when that is higher.
     */
    static void tcpUndoCwndReduction(TcpSock tp) {
        for (TcpSock.TxSeg s : tp.rtxQueue) s.lost = false;
        if (tp.priorSsthresh != 0) {
            tp.cwnd = Math.max(tp.cwnd, tp.priorCwnd);
            if (tp.priorSsthresh > tp.ssthresh) tp.ssthresh = tp.priorSsthresh;
        }
        tp.undoMarker = false;
    }
}
