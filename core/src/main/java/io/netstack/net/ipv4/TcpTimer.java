package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.skb.ControlBlock;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;

/**
 * net/ipv4/tcp_timer.c (and the RTT estimator of tcp_input.c): the retransmission timer with
 * RFC 6298 RTO and exponential backoff, SYN retries, the delayed-ACK timer, the zero-window
 * probe timer, keepalive, and the time-wait timer. Deadlines are absolute nanoseconds of the
 * driven clock; {@link #tick} runs whatever is due.
 */
final class TcpTimer implements java.io.Serializable {

    static final long MS = 1_000_000L;
    /** TCP_TIMEOUT_INIT: 1 s (RFC 6298 2.1). */
    static final long TCP_TIMEOUT_INIT = 1000 * MS;
    /** TCP_RTO_MIN 200 ms, TCP_RTO_MAX 120 s. */
    static final long TCP_RTO_MIN = 200 * MS;
    static final long TCP_RTO_MAX = 120_000 * MS;
    /** TCP_TIMEWAIT_LEN: 60 s. */
    static final long TCP_TIMEWAIT_LEN = 60_000 * MS;
    /** TCP_INIT_CWND */
    static final int TCP_INIT_CWND = 10;

    private final TcpIpv4 tcp;
    private final TcpOutput out;
    private final TcpInput in;

    TcpTimer(TcpIpv4 tcp, TcpOutput out, TcpInput in) {
        this.tcp = tcp;
        this.out = out;
        this.in = in;
    }

    /**
     * tcp_rtt_estimator, net/ipv4/tcp_input.c: srtt is 8 times the smoothed RTT, mdev 4 times
     * the mean deviation (gain 1/8 and 1/4 as RFC 6298), rttvar at least tcp_rto_min and
     * decaying once per round trip.
     */
    static void tcpRttEstimator(TcpSock tp, long mrttUs) {
        long m = Math.max(mrttUs, 1);
        long rtoMinUs = TCP_RTO_MIN / 1000;
        if (tp.srttUs8 != 0) {
            m -= tp.srttUs8 >> 3;
            tp.srttUs8 += m;
            if (m < 0) {
                m = -m;
                m -= tp.mdevUs4 >> 2;
                if (m > 0) m >>= 3;
            } else {
                m -= tp.mdevUs4 >> 2;
            }
            tp.mdevUs4 += m;
            if (tp.mdevUs4 > tp.mdevMaxUs) {
                tp.mdevMaxUs = tp.mdevUs4;
                if (tp.mdevMaxUs > tp.rttvarUs) tp.rttvarUs = tp.mdevMaxUs;
            }
            if (TcpSock.after(tp.sndUna, tp.rttSeq)) {
                if (tp.mdevMaxUs < tp.rttvarUs) tp.rttvarUs -= (tp.rttvarUs - tp.mdevMaxUs) >> 2;
                tp.rttSeq = tp.sndNxt;
                tp.mdevMaxUs = rtoMinUs;
            }
        } else {
            tp.srttUs8 = m << 3;
            tp.mdevUs4 = m << 1;
            tp.rttvarUs = Math.max(tp.mdevUs4, rtoMinUs);
            tp.mdevMaxUs = tp.rttvarUs;
            tp.rttSeq = tp.sndNxt;
        }
        if (tp.srttUs8 <= 0) tp.srttUs8 = 1;
    }

    /** __tcp_set_rto + tcp_bound_rto: srtt + rttvar, at most TCP_RTO_MAX. */
    static void tcpSetRto(TcpSock tp) {
        long us = (tp.srttUs8 >> 3) + tp.rttvarUs;
        tp.rtoNanos = Math.min(us * 1000, TCP_RTO_MAX);
    }

    /** Runs every timer of {@code tp} that is due. */
    void tick(LayerContext ctx, TcpSock tp) {
        long now = ctx.nowNanos();
        tp.traceSkb = null;
        if (tp.tw) {
            if (tp.twDeadline != 0 && now >= tp.twDeadline) tcpTwTimer(ctx, tp);
            return;
        }
        if (tp.delackDeadline != 0 && now >= tp.delackDeadline) tcpDelackTimer(ctx, tp);
        if (tp.rtoDeadline != 0 && now >= tp.rtoDeadline && tp.state() != TcpState.TCP_CLOSE) tcpRetransmitTimer(ctx, tp);
        if (tp.probeDeadline != 0 && now >= tp.probeDeadline && tp.state() != TcpState.TCP_CLOSE) tcpProbeTimer(ctx, tp);
        if (tp.keepaliveDeadline != 0 && now >= tp.keepaliveDeadline && tp.state() != TcpState.TCP_CLOSE) tcpKeepaliveTimer(ctx, tp);
    }

    /** The earliest deadline of {@code tp}, or Long.MAX_VALUE. */
    static long nextDeadline(TcpSock tp) {
        long d = Long.MAX_VALUE;
        for (long t : new long[]{tp.delackDeadline, tp.rtoDeadline, tp.probeDeadline, tp.keepaliveDeadline, tp.twDeadline}) {
            if (t != 0 && t < d) d = t;
        }
        return d;
    }

    /**
     * tw_timer_handler: the time-wait minisock dies (inet_twsk_kill); nothing is counted here,
     * __inet_twsk_schedule counted TcpExtTW when it was scheduled.
     */
    void tcpTwTimer(LayerContext ctx, TcpSock tp) {
        tp.twDeadline = 0;
        tcp.unhash(tp);
    }

    /** tcp_delack_timer_handler: the delayed ACK goes (TcpExtDelayedACKs). */
    void tcpDelackTimer(LayerContext ctx, TcpSock tp) {
        tp.delackDeadline = 0;
        if (!tp.ackPending) return;
        if (!tp.pingpong) {
            // Delayed ACKs are late: back off the estimator (ato doubles up to the RTO).
            tp.atoNanos = Math.min(tp.atoNanos << 1, tp.rtoNanos);
        } else {
            tp.pingpong = false;
            tp.atoNanos = TcpOutput.TCP_ATO_MIN;
        }
        ctx.count(tp.netns, Snmp.TcpExtDelayedACKs, 1);
        out.tcpSendAck(ctx, tp, null);
    }

    /**
     * tcp_model_timeout: how long retransmissions may go on for {@code boundary} retries
     * starting at {@code rtoBase} (doubling up to TCP_RTO_MAX).
     */
    static long tcpModelTimeout(int boundary, long rtoBase) {
        int thresh = 63 - Long.numberOfLeadingZeros(TCP_RTO_MAX / rtoBase);
        if (boundary <= thresh) return ((2L << boundary) - 1) * rtoBase;
        return ((2L << thresh) - 1) * rtoBase + (long) (boundary - thresh) * TCP_RTO_MAX;
    }

    /**
     * tcp_write_timeout: SYN_SENT gives up after tcp_syn_retries (6, about 127 s), an
     * established connection after tcp_retries2 (15, about 924 s) of retransmissions; then
     * tcp_write_err (ETIMEDOUT, TCPAbortOnTimeout).
     */
    boolean tcpWriteTimeout(LayerContext ctx, TcpSock tp) {
        if (tp.retransmits == 0) return false;
        long timeout;
        if (tp.state() == TcpState.TCP_SYN_SENT || tp.state() == TcpState.TCP_SYN_RECV) {
            timeout = tcpModelTimeout(tcp.sysctl(SysctlRegistry.TCP_SYN_RETRIES), TCP_TIMEOUT_INIT);
        } else {
            int retries = tcp.sysctl(SysctlRegistry.TCP_RETRIES2);
            if (tp.dead) {
                int orphan = tcp.sysctl(SysctlRegistry.TCP_ORPHAN_RETRIES);
                retries = orphan == 0 ? 8 : orphan;
            }
            timeout = tcpModelTimeout(retries, TCP_RTO_MIN);
        }
        if (ctx.nowNanos() - tp.retransStampNanos - timeout >= 0) {
            tcpWriteErr(ctx, tp);
            return true;
        }
        return false;
    }

    /** tcp_write_err: ETIMEDOUT to the application, TCPAbortOnTimeout, tcp_done. */
    void tcpWriteErr(LayerContext ctx, TcpSock tp) {
        tp.skErr = TcpIpv4.ETIMEDOUT;
        ctx.count(tp.netns, Snmp.TcpExtTCPAbortOnTimeout, 1);
        if (!tp.dead) tcp.sockEvent(ctx, tp.key, ControlBlock.SOCK_OP_ERROR, TcpIpv4.ETIMEDOUT, null, tp, null);
        in.tcpDone(ctx, tp);
    }

    /**
     * tcp_retransmit_timer: TCPTimeouts; give up if tcp_write_timeout says so; else
     * tcp_enter_loss, the head of the queue again, backoff (RTO doubles, at most 120 s).
     */
    void tcpRetransmitTimer(LayerContext ctx, TcpSock tp) {
        tp.rtoDeadline = 0;
        if (tp.rtxQueue.isEmpty()) return;
        if (tp.retransStampNanos == 0) tp.retransStampNanos = tp.rtxQueue.peekFirst().sentNanos;
        if (tcpWriteTimeout(ctx, tp)) return;
        ctx.count(tp.netns, Snmp.TcpExtTCPTimeouts, 1);
        TcpCong.tcpEnterLoss(ctx, tp, tcp.sysctl(SysctlRegistry.TCP_FRTO) != 0);
        for (TcpSock.TxSeg s : tp.rtxQueue) s.lost = true;
        TcpSock.TxSeg head = tp.rtxQueue.peekFirst();
        head.lost = false;
        out.tcpRetransmitSkb(ctx, tp, head, null);
        tp.retransmits++;
        tp.backoff++;
        tp.rtoNanos = Math.min(tp.rtoNanos << 1, TCP_RTO_MAX);
        tp.rtoDeadline = ctx.nowNanos() + tp.rtoNanos;
    }

    /**
     * tcp_probe_timer + tcp_send_probe0: the peer's window is zero and nothing is in flight: a
     * zero-window probe (tcp_write_wakeup: what fits the window if anything does, else
     * tcp_xmit_probe_skb, an ACK at snd_una - 1, which alone counts TCPWinProbe); the next one
     * after tcp_probe0_when (max(RTO, TCP_RTO_MIN) doubled per backoff, backoff at most
     * tcp_retries2, at most TCP_RTO_MAX). tcp_retries2 probes without an answer (tcp_ack zeroes
     * probes_out) kill the connection (tcp_write_err).
     */
    void tcpProbeTimer(LayerContext ctx, TcpSock tp) {
        tp.probeDeadline = 0;
        if (!tp.rtxQueue.isEmpty() || !TcpSock.before(tp.sndNxt, tp.writeSeq)) {
            tp.probesOut = 0;
            return;
        }
        int maxProbes = tcp.sysctl(SysctlRegistry.TCP_RETRIES2);
        if (tp.probesOut >= maxProbes) {
            tcpWriteErr(ctx, tp);
            return;
        }
        // tcp_send_probe0
        int before = tp.sndNxt;
        out.tcpWriteWakeup(ctx, tp, "tcp_send_probe0");
        if (tp.sndNxt == before) ctx.count(tp.netns, Snmp.TcpExtTCPWinProbe, 1);
        if (!tp.rtxQueue.isEmpty() || !TcpSock.before(tp.sndNxt, tp.writeSeq)) {
            // Data went (or nothing is left): the RTO timer covers it from here.
            tp.probesOut = 0;
            tp.backoff = 0;
            return;
        }
        tp.probesOut++;
        if (tp.backoff < maxProbes) tp.backoff++;
        tp.probeDeadline = ctx.nowNanos() + tcpProbe0When(tp);
    }

    /** tcp_probe0_when: tcp_probe0_base (the RTO, at least TCP_RTO_MIN) shifted by the backoff, at most TCP_RTO_MAX. */
    static long tcpProbe0When(TcpSock tp) {
        long base = Math.max(tp.rtoNanos, TCP_RTO_MIN);
        int shift = Math.min(tp.backoff, 30);
        return Math.min(base << shift, TCP_RTO_MAX);
    }

    /**
     * tcp_keepalive_timer: after tcp_keepalive_time (7200 s) without anything received, a
     * probe every tcp_keepalive_intvl (75 s); tcp_keepalive_probes (9) unanswered probes
     * give ETIMEDOUT. Nothing while data is in flight (the RTO covers that).
     */
    void tcpKeepaliveTimer(LayerContext ctx, TcpSock tp) {
        tp.keepaliveDeadline = 0;
        if (!tp.keepalive || tp.state() != TcpState.TCP_ESTABLISHED && tp.state() != TcpState.TCP_CLOSE_WAIT) return;
        long time = tcp.keepaliveTime();
        long intvl = tcp.sysctl(SysctlRegistry.TCP_KEEPALIVE_INTVL) * 1000 * MS;
        int probes = tcp.sysctl(SysctlRegistry.TCP_KEEPALIVE_PROBES);
        if (!tp.rtxQueue.isEmpty() || TcpSock.before(tp.sndNxt, tp.writeSeq)) {
            tp.keepaliveDeadline = ctx.nowNanos() + time;
            return;
        }
        long elapsed = ctx.nowNanos() - tp.lastRcvNanos;
        if (elapsed >= time) {
            if (tp.probesOut >= probes) {
                tcpWriteErr(ctx, tp);
                return;
            }
            out.tcpWriteWakeup(ctx, tp, "tcp_keepalive_timer");
            ctx.count(tp.netns, Snmp.TcpExtTCPKeepAlive, 1);
            tp.probesOut++;
            tp.keepaliveDeadline = ctx.nowNanos() + intvl;
        } else {
            tp.keepaliveDeadline = ctx.nowNanos() + (time - elapsed);
        }
    }
}
