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

    /** tcp_enter_loss: after an RTO, one segment and slow start again. */
    static void tcpEnterLoss(TcpSock tp) {
        if (tp.caState != TCP_CA_LOSS || tp.backoff == 0) tp.ssthresh = tcpRenoSsthresh(tp);
        tp.cwnd = 1;
        tp.cwndCnt = 0;
        tp.caState = TCP_CA_LOSS;
        tp.highSeq = tp.sndNxt;
        tp.dupAcks = 0;
    }
}
