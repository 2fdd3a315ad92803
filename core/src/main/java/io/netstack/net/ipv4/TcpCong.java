package io.netstack.net.ipv4;

import io.netstack.stack.LayerContext;

/**
 * Pluggable congestion control, net/ipv4/tcp_cong.c: the operations of an algorithm
 * ({@link TcpCongestionOps}, struct tcp_congestion_ops), the choice of one per socket
 * (tcp_assign_congestion_control: net.ipv4.tcp_congestion_control, "cubic" by default as in
 * Linux, "reno" selectable), its initialisation when the connection is established
 * (tcp_init_congestion_control), the state and event hooks (tcp_set_ca_state, tcp_ca_event),
 * and Reno (tcp_reno_ssthresh, tcp_reno_cong_avoid with tcp_slow_start and tcp_cong_avoid_ai,
 * tcp_reno_undo_cwnd). CUBIC with HyStart is {@link TcpCubic}.
 *
 * <p>Loss recovery around it (tcp_input.c) is NewReno-style: three duplicate ACKs
 * (tcp_reordering) retransmit the head and set cwnd to the algorithm's ssthresh (no PRR);
 * every partial ACK retransmits the next hole; recovery ends when high_seq is acknowledged.
 * An RTO sets cwnd to one segment (tcp_enter_loss). Both remember what to undo to
 * (tcp_init_undo: undo_marker, undo_retrans; prior_ssthresh, prior_cwnd), and
 * tcp_undo_cwnd_reduction goes back when TcpInput finds the reduction needless.
 *
 * <p>Not emulated: setsockopt(TCP_CONGESTION), a route's congestion control (RTAX_CC_ALGO),
 * tcp_cong_control-style algorithms (BBR), ECN's CA events, net.ipv4.tcp_allowed_congestion_control.
 */
final class TcpCong implements java.io.Serializable {
    private TcpCong() {}

    // enum tcp_ca_state, include/net/tcp.h
    static final int TCP_CA_OPEN = 0;
    static final int TCP_CA_RECOVERY = 3;
    static final int TCP_CA_LOSS = 4;

    // enum tcp_ca_event, include/net/tcp.h
    static final int CA_EVENT_TX_START = 0;
    static final int CA_EVENT_LOSS = 5;

    /** TCP_INFINITE_SSTHRESH, include/net/tcp.h */
    static final int TCP_INFINITE_SSTHRESH = 0x7fffffff;

    /**
     * struct tcp_congestion_ops, include/net/tcp.h: what an algorithm does on each hook. The
     * algorithm's own state lives in the socket ({@link TcpSock#caPriv}, icsk_ca_priv).
     * Implementations are enum constants so a snapshot names them and never copies code.
     */
    interface TcpCongestionOps extends java.io.Serializable {
        /** .name, as net.ipv4.tcp_congestion_control spells it. */
        String caName();

        /** .init: called by tcp_init_congestion_control when the connection is established. */
        default void init(LayerContext ctx, TcpSock tp) {}

        /** .ssthresh: the slow start threshold after a loss (required). */
        int ssthresh(TcpSock tp);

        /** .cong_avoid: grow cwnd for {@code acked} newly acknowledged packets (cwnd-limited already checked). */
        void congAvoid(LayerContext ctx, TcpSock tp, int ack, int acked);

        /** .set_state: icsk_ca_state changes to {@code newState}. */
        default void setState(LayerContext ctx, TcpSock tp, int newState) {}

        /** .undo_cwnd: the cwnd to return to when a reduction is undone (required). */
        int undoCwnd(TcpSock tp);

        /** .cwnd_event */
        default void cwndEvent(LayerContext ctx, TcpSock tp, int event) {}

        /** .pkts_acked: tcp_clean_rtx_queue's struct ack_sample (rtt_us -1 when there is no sample). */
        default void pktsAcked(LayerContext ctx, TcpSock tp, int pktsAcked, long rttUs) {}
    }

    /** tcp_reno, net/ipv4/tcp_cong.c: tcp_reno_ssthresh, tcp_reno_cong_avoid, tcp_reno_undo_cwnd. */
    enum Reno implements TcpCongestionOps {
        INSTANCE;

        @Override public String caName() { return "reno"; }
        @Override public int ssthresh(TcpSock tp) { return tcpRenoSsthresh(tp); }
        @Override public void congAvoid(LayerContext ctx, TcpSock tp, int ack, int acked) { tcpRenoCongAvoid(tp, acked); }
        @Override public int undoCwnd(TcpSock tp) { return tcpRenoUndoCwnd(tp); }
    }

    static final TcpCongestionOps RENO = Reno.INSTANCE;

    /**
     * tcp_ca_find: the algorithm of that name; null for one this emulation does not have
     * (Linux would refuse such a sysctl value with ENOENT, so the default stays).
     */
    static TcpCongestionOps tcpCaFind(String name) {
        if (name == null) return null;
        switch (name.trim()) {
            case "cubic": return TcpCubic.Ops.INSTANCE;
            case "reno": return RENO;
            default: return null;
        }
    }

    /**
     * tcp_assign_congestion_control, net/ipv4/tcp_cong.c: a new socket (tcp_init_sock, and a
     * passive child through tcp_ca_openreq_child) gets the namespace's default,
     * net.ipv4.tcp_congestion_control, as it is at that moment.
     */
    static void tcpAssignCongestionControl(TcpSock tp, String sysctlValue) {
        TcpCongestionOps ops = tcpCaFind(sysctlValue);
        tp.caOps = ops != null ? ops : tcpCaFind(io.netstack.config.SysctlRegistry.TCP_CONGESTION_CONTROL.dflt());
        tp.caPriv = null;
        tp.caInitialized = false;
    }

    /**
     * tcp_init_congestion_control, net/ipv4/tcp_cong.c (from tcp_init_transfer, when the
     * connection becomes ESTABLISHED): prior_ssthresh cleared, the algorithm's .init, once.
     */
    static void tcpInitCongestionControl(LayerContext ctx, TcpSock tp) {
        if (tp.caInitialized) return;
        tp.priorSsthresh = 0;
        tp.caOps().init(ctx, tp);
        tp.caInitialized = true;
    }

    /**
     * The congestion part of tcp_init_transfer (tcp_finish_connect, or tcp_rcv_state_process
     * in SYN_RECV): lsndtime starts, and the algorithm is initialised.
     */
    static void tcpInitTransfer(LayerContext ctx, TcpSock tp) {
        tp.lsndtimeNanos = ctx.nowNanos();
        tcpInitCongestionControl(ctx, tp);
    }

    /** tcp_set_ca_state, include/net/tcp.h: the algorithm hears of it first, then icsk_ca_state changes. */
    static void tcpSetCaState(LayerContext ctx, TcpSock tp, int caState) {
        tp.caOps().setState(ctx, tp, caState);
        tp.caState = caState;
    }

    /** tcp_ca_event, include/net/tcp.h */
    static void tcpCaEvent(LayerContext ctx, TcpSock tp, int event) {
        tp.caOps().cwndEvent(ctx, tp, event);
    }

    /**
     * The congestion part of tcp_event_data_sent, net/ipv4/tcp_output.c: a data segment leaving
     * with nothing in flight is CA_EVENT_TX_START (CUBIC moves its epoch over the idle time);
     * lsndtime is when data was last sent.
     */
    static void tcpEventDataSent(LayerContext ctx, TcpSock tp) {
        if (tp.packetsInFlight() == 0) tcpCaEvent(ctx, tp, CA_EVENT_TX_START);
        tp.lsndtimeNanos = ctx.nowNanos();
    }

    /** tcp_cong_avoid, net/ipv4/tcp_input.c: the algorithm's .cong_avoid. */
    static void tcpCongAvoid(LayerContext ctx, TcpSock tp, int ack, int acked) {
        tp.caOps().congAvoid(ctx, tp, ack, acked);
    }

    /** The .pkts_acked call of tcp_clean_rtx_queue, with the ack_sample's rtt_us (-1: none). */
    static void tcpPktsAcked(LayerContext ctx, TcpSock tp, int pktsAcked, long rttUs) {
        tp.caOps().pktsAcked(ctx, tp, pktsAcked, rttUs);
    }

    /** tcp_in_slow_start, include/net/tcp.h */
    static boolean tcpInSlowStart(TcpSock tp) {
        return tp.cwnd < tp.ssthresh;
    }

    /**
     * tcp_slow_start, net/ipv4/tcp_cong.c: cwnd grows by what was acknowledged, up to
     * ssthresh; returns what is left over for congestion avoidance.
     */
    static int tcpSlowStart(TcpSock tp, int acked) {
        int cwnd = Math.min(tp.cwnd + acked, tp.ssthresh);
        acked -= cwnd - tp.cwnd;
        tp.cwnd = cwnd;
        return acked;
    }

    /**
     * tcp_cong_avoid_ai, net/ipv4/tcp_cong.c: one segment more per {@code w} acknowledged.
     * Credits gathered at a higher w (before a reduction) are spent gently: one segment.
     */
    static void tcpCongAvoidAi(TcpSock tp, int w, int acked) {
        if (Integer.compareUnsigned(tp.cwndCnt, w) >= 0) {
            tp.cwndCnt = 0;
            tp.cwnd++;
        }
        tp.cwndCnt += acked;
        if (Integer.compareUnsigned(tp.cwndCnt, w) >= 0) {
            int delta = Integer.divideUnsigned(tp.cwndCnt, w);
            tp.cwndCnt -= delta * w;
            tp.cwnd += delta;
        }
    }

    /** tcp_reno_ssthresh: half the window, at least two segments. */
    static int tcpRenoSsthresh(TcpSock tp) {
        return Math.max(tp.cwnd >> 1, 2);
    }

    /** tcp_reno_cong_avoid: slow start under ssthresh, additive increase (one per cwnd) over it. */
    static void tcpRenoCongAvoid(TcpSock tp, int acked) {
        if (tcpInSlowStart(tp)) {
            acked = tcpSlowStart(tp, acked);
            if (acked == 0) return;
        }
        tcpCongAvoidAi(tp, tp.cwnd, acked);
    }

    /** tcp_reno_undo_cwnd: at least the window before the reduction (CUBIC uses it too). */
    static int tcpRenoUndoCwnd(TcpSock tp) {
        return Math.max(tp.cwnd, tp.priorCwnd);
    }

    /**
     * tcp_enter_recovery with tcp_init_cwnd_reduction, net/ipv4/tcp_input.c: fast retransmit
     * after three duplicate ACKs. The undo state first (prior_ssthresh cleared, tcp_init_undo),
     * then, not being in a reduction already, prior_ssthresh from tcp_current_ssthresh, the
     * algorithm's .ssthresh (CUBIC: 717/1024 of cwnd, and its W_max), prior_cwnd remembered,
     * then CA_Recovery.
     */
    static void tcpEnterRecovery(LayerContext ctx, TcpSock tp) {
        tp.priorSsthresh = 0;
        tcpInitUndo(tp);
        if (tp.caState != TCP_CA_RECOVERY) {
            tp.priorSsthresh = tcpCurrentSsthresh(tp);
            tp.highSeq = tp.sndNxt;
            tp.cwndCnt = 0;
            tp.priorCwnd = tp.cwnd;
            tp.ssthresh = tp.caOps().ssthresh(tp);
            tp.cwnd = tp.ssthresh;
        }
        tcpSetCaState(ctx, tp, TCP_CA_RECOVERY);
    }

    /**
     * tcp_current_ssthresh, include/net/tcp.h: in a reduction (CWR, Recovery) ssthresh; else
     * three quarters of cwnd if that is more.
     */
    static int tcpCurrentSsthresh(TcpSock tp) {
        if (tp.caState == TCP_CA_RECOVERY) return tp.ssthresh;
        return Math.max(tp.ssthresh, (tp.cwnd >> 1) + (tp.cwnd >> 2));
    }

    /**
     * tcp_init_undo, net/ipv4/tcp_input.c: a reduction that may be undone starts at snd_una;
     * retransmissions still in flight (retrans_out) may come back as D-SACKs, and with none
     * undo_retrans is -1 (0 means "every retransmission was needless").
     */
    static void tcpInitUndo(TcpSock tp) {
        tp.undoMarker = true;
        tp.undoMarkerSeq = tp.sndUna;
        int retransOut = tcpRetransOut(tp);
        tp.undoRetrans = retransOut != 0 ? retransOut : -1;
    }

    /** tp->retrans_out: segments whose retransmission is in flight (TCPCB_SACKED_RETRANS). */
    static int tcpRetransOut(TcpSock tp) {
        int n = 0;
        for (TcpSock.TxSeg s : tp.rtxQueue) if (s.retransInFlight) n++;
        return n;
    }

    /**
     * tcp_enter_loss, net/ipv4/tcp_input.c: after an RTO, one segment and slow start again.
     * Unless a loss episode on the same snd_una is already going on, the window before is
     * remembered (prior_ssthresh from tcp_current_ssthresh, prior_cwnd, tcp_init_undo), the
     * algorithm's .ssthresh taken and CA_EVENT_LOSS sent, so a spurious timeout can be undone.
     * Then tcp_set_ca_state(TCP_CA_Loss) (CUBIC forgets its epoch and W_max there). F-RTO
     * (RFC 5682 3.1 step 1) is armed when {@code frtoSysctl} (net.ipv4.tcp_frto, 2) is on and
     * no other recovery was under way, or on a recurring timeout.
     */
    static void tcpEnterLoss(LayerContext ctx, TcpSock tp, boolean frtoSysctl) {
        boolean newRecovery = tp.caState < TCP_CA_RECOVERY;
        // tcp_timeout_mark_lost (tcp_mark_skb_lost): the whole queue is lost; a retransmission
        // that was in flight is lost again and leaves retrans_out, so tcp_init_undo below finds
        // none in flight and the next retransmissions start undo_retrans from 0.
        for (TcpSock.TxSeg s : tp.rtxQueue) {
            s.lost = true;
            s.retransInFlight = false;
        }
        if (tp.caState <= TCP_CA_OPEN || !TcpSock.after(tp.highSeq, tp.sndUna)
                || (tp.caState == TCP_CA_LOSS && tp.retransmits == 0)) {
            tp.priorSsthresh = tcpCurrentSsthresh(tp);
            tp.priorCwnd = tp.cwnd;
            tp.ssthresh = tp.caOps().ssthresh(tp);
            tcpCaEvent(ctx, tp, CA_EVENT_LOSS);
            tcpInitUndo(tp);
        }
        tp.cwnd = 1;
        tp.cwndCnt = 0;
        tcpSetCaState(ctx, tp, TCP_CA_LOSS);
        tp.highSeq = tp.sndNxt;
        tp.dupAcks = 0;
        tp.frto = frtoSysctl && (newRecovery || tp.retransmits > 0);
    }

    /** tcp_undo_cwnd_reduction(sk, true): see {@link #tcpUndoCwndReduction(TcpSock, boolean)}. */
    static void tcpUndoCwndReduction(TcpSock tp) {
        tcpUndoCwndReduction(tp, true);
    }

    /**
     * tcp_undo_cwnd_reduction, net/ipv4/tcp_input.c: the reduction was not needed. With
     * {@code unmarkLoss} the lost marks go (what was in flight is in flight: lost_out 0); cwnd
     * back by the algorithm's .undo_cwnd and ssthresh back to prior_ssthresh when that is
     * higher, both only when prior_ssthresh was kept (0 after ECE or a simple retransmit);
     * undo_marker cleared.
     */
    static void tcpUndoCwndReduction(TcpSock tp, boolean unmarkLoss) {
        if (unmarkLoss) {
            for (TcpSock.TxSeg s : tp.rtxQueue) s.lost = false;
        }
        if (tp.priorSsthresh != 0) {
            tp.cwnd = tp.caOps().undoCwnd(tp);
            if (tp.priorSsthresh > tp.ssthresh) tp.ssthresh = tp.priorSsthresh;
        }
        tp.undoMarker = false;
    }
}
