package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.TcpHeader;

/**
 * net/ipv4/tcp_minisocks.c: completing the handshake from a request sock (tcp_check_req,
 * tcp_create_openreq_child) and the time-wait minisock (tcp_time_wait,
 * tcp_timewait_state_process).
 *
 * <p>A time-wait minisock is the connection's {@link TcpSock} with {@code tw} set and its
 * substate (FIN_WAIT2 or TIME_WAIT) in {@code state}; it keeps the sequence numbers and
 * timestamps the kernel's inet_timewait_sock keeps.
 */
final class TcpMinisocks implements java.io.Serializable {
    private TcpMinisocks() {}

    /**
     * tcp_time_wait: the full socket becomes a time-wait minisock in {@code substate} for
     * {@code timeoNanos} (TCP_TIMEWAIT_LEN for TIME_WAIT, tcp_fin_timeout for an orphaned
     * FIN_WAIT2); every other timer stops.
     */
    static void tcpTimeWait(LayerContext ctx, TcpIpv4 tcp, TcpSock tp, TcpState substate, long timeoNanos) {
        if (tp.traceSkb != null) ctx.trace(tp.traceSkb, "tcp_time_wait");
        // 1. At least 3.5 RTO; TIME_WAIT is always TCP_TIMEWAIT_LEN.
        long rto = (tp.rtoNanos << 2) - (tp.rtoNanos >> 1);
        if (timeoNanos < rto) timeoNanos = rto;
        if (substate == TcpState.TCP_TIME_WAIT) timeoNanos = TcpTimer.TCP_TIMEWAIT_LEN;
        // 2. __inet_twsk_schedule (not rearm): TcpExtTW counts the minisock when it is scheduled,
        //    TcpExtTWKilled instead when it lives 4 s or less; its expiry counts nothing.
        ctx.count(tp.netns, timeoNanos <= 4_000L * TcpTimer.MS ? Snmp.TcpExtTWKilled : Snmp.TcpExtTW, 1);
        tp.setState(ctx, substate);
        tp.tw = true;
        tp.rtoDeadline = tp.delackDeadline = tp.keepaliveDeadline = tp.probeDeadline = 0;
        tp.ackPending = false;
        tp.rtxQueue.clear();
        tp.twDeadline = ctx.nowNanos() + timeoNanos;
    }

    /** What tcp_timewait_state_process tells tcp_v4_rcv to do. */
    enum TwVerdict { SUCCESS, ACK, RST, SYN }

    /**
     * tcp_timewait_state_process, net/ipv4/tcp_minisocks.c. In FIN_WAIT2: the FIN moves it to
     * TIME_WAIT (ACK), new data resets, a duplicate is dropped. In TIME_WAIT: an in-window RST
     * kills it (tcp_rfc1337 = 0), a bare ACK re-arms it, a retransmitted FIN or an old segment
     * is answered with an ACK and re-arms it, a newer SYN may open a new connection.
     */
    static TwVerdict tcpTimewaitStateProcess(LayerContext ctx, TcpIpv4 tcp, TcpSock tw, TcpInput.Seg s) {
        ctx.trace(s.skb, "tcp_timewait_state_process");
        boolean pawsReject = s.sawTstamp && tw.tstampOk && tw.tsRecent != 0 && TcpInput.tcpPawsDiscard(ctx, tw, s);
        if (tw.state() == TcpState.TCP_FIN_WAIT2) {
            // 1. Out of window: the ACK-loop-limited answer.
            if (pawsReject || !tcpInWindow(s.seq, s.endSeq, tw.rcvNxt, tw.rcvNxt + tw.rcvWnd)) {
                return oowRateLimit(ctx, tcp, tw, s, Snmp.TcpExtTCPACKSkippedFinWait2);
            }
            if (s.rst()) return kill(ctx, tcp, tw, TwVerdict.SUCCESS);
            if (s.syn() && !TcpSock.before(s.seq, tw.rcvNxt)) return kill(ctx, tcp, tw, TwVerdict.RST);
            // 2. A duplicate ACK.
            if (!s.ack() || !TcpSock.after(s.endSeq, tw.rcvNxt) || s.endSeq == s.seq) return TwVerdict.SUCCESS;
            // 3. New data after the half-close resets; the FIN moves to TIME_WAIT.
            if (!s.fin() || s.endSeq != tw.rcvNxt + 1) return kill(ctx, tcp, tw, TwVerdict.RST);
            tw.rcvNxt = s.endSeq;
            if (s.sawTstamp) {
                tw.tsRecent = s.tsval;
                tw.tsRecentStampNanos = ctx.nowNanos();
            }
            tw.setState(ctx, TcpState.TCP_TIME_WAIT);
            tw.twDeadline = ctx.nowNanos() + TcpTimer.TCP_TIMEWAIT_LEN;
            return TwVerdict.ACK;
        }
        // TIME_WAIT
        // 4. In window: only a RST or a bare ACK.
        if (!pawsReject && s.seq == tw.rcvNxt && (s.seq == s.endSeq || s.rst())) {
            if (s.rst()) {
                if (tcp.sysctl(SysctlRegistry.TCP_RFC1337) == 0) return kill(ctx, tcp, tw, TwVerdict.SUCCESS);
            }
            tw.twDeadline = ctx.nowNanos() + TcpTimer.TCP_TIMEWAIT_LEN;
            if (s.sawTstamp) {
                tw.tsRecent = s.tsval;
                tw.tsRecentStampNanos = ctx.nowNanos();
            }
            return TwVerdict.SUCCESS;
        }
        // 5. A SYN with a higher sequence number (or newer timestamp) may reuse the 4-tuple.
        if (s.syn() && !s.rst() && !s.ack() && !pawsReject
                && (TcpSock.after(s.seq, tw.rcvNxt) || (s.sawTstamp && tw.tsRecent != 0 && s.tsval - tw.tsRecent > 0))) {
            return TwVerdict.SYN;
        }
        if (pawsReject) ctx.count(tw.netns, Snmp.TcpExtPAWSEstab, 1);
        if (!s.rst()) {
            if (pawsReject || s.ack()) tw.twDeadline = ctx.nowNanos() + TcpTimer.TCP_TIMEWAIT_LEN;
            return oowRateLimit(ctx, tcp, tw, s, Snmp.TcpExtTCPACKSkippedTimeWait);
        }
        return TwVerdict.SUCCESS;
    }

    private static TwVerdict oowRateLimit(LayerContext ctx, TcpIpv4 tcp, TcpSock tw, TcpInput.Seg s, String mib) {
        return tcp.input().tcpOowRateLimited(ctx, tw, s, mib) ? TwVerdict.SUCCESS : TwVerdict.ACK;
    }

    private static TwVerdict kill(LayerContext ctx, TcpIpv4 tcp, TcpSock tw, TwVerdict v) {
        // inet_twsk_deschedule_put: the timer stops, no counter (TW was counted when it was scheduled).
        tw.twDeadline = 0;
        tcp.unhash(tw);
        return v;
    }

    /** tcp_in_window: the segment overlaps [s_win, e_win). */
    static boolean tcpInWindow(int seq, int endSeq, int sWin, int eWin) {
        if (seq == sWin) return true;
        if (TcpSock.after(endSeq, sWin) && TcpSock.before(seq, eWin)) return true;
        return seq == eWin && seq == endSeq;
    }

    /**
     * tcp_check_req, net/ipv4/tcp_minisocks.c: a segment for a request sock (SYN_RECV).
     * A retransmitted SYN gets the SYN-ACK again (rate limited); an ACK of the wrong number is
     * the listener's to reset; out of window gets an ACK; RST or SYN kill the request
     * (TcpAttemptFails, EmbryonicRsts); the right ACK creates the child unless the accept queue
     * is full (ListenOverflows, ListenDrops: the ACK is dropped and the request stays).
     */
    static void tcpCheckReq(LayerContext ctx, TcpIpv4 tcp, SkBuff skb, TcpHeader th, TcpIpv4.RequestSock req,
                            TcpIpv4.ListenSock lsk) {
        ctx.trace(skb, "tcp_check_req");
        TcpInput.Seg s = tcp.input().parse(skb, th);
        int flg = th.flags() & (TcpHeader.SYN | TcpHeader.ACK | TcpHeader.RST | TcpHeader.FIN);
        boolean pawsReject = s.sawTstamp && req.tstampOk() && req.tsRecent() != 0
                && req.tsRecent() - s.tsval > TcpInput.TCP_PAWS_WINDOW && !th.rst();
        // 1. The peer's SYN again.
        if (th.seq() == req.rcvIsn() && flg == TcpHeader.SYN && !pawsReject) {
            tcp.retransmitSynackForSyn(ctx, skb, req);
            return;
        }
        // 2. An ACK of something else than our SYN: the listener answers with a reset.
        if ((flg & TcpHeader.ACK) != 0 && th.ackSeq() != req.sntIsn() + 1) {
            if (lsk == null) {
                ctx.drop(skb, SkbDropReason.NO_SOCKET);
                return;
            }
            tcp.tcpV4DoRcv(ctx, skb, th, lsk.spec());
            return;
        }
        int rcvNxt = req.rcvIsn() + 1;
        // 3. Out of window (or PAWS): an ACK unless rate limited, and the segment goes.
        if (pawsReject || !tcpInWindow(s.seq, s.endSeq, rcvNxt, rcvNxt + req.rcvWnd())) {
            if ((flg & TcpHeader.RST) == 0) tcp.reqsSendAck(ctx, skb, req);
            if (pawsReject) ctx.count(skb, Snmp.TcpExtPAWSEstab);
            ctx.drop(skb, SkbDropReason.TCP_OVERWINDOW);
            return;
        }
        // 4. RST or SYN: the attempt is over.
        if (th.seq() == req.rcvIsn()) flg &= ~TcpHeader.SYN;
        if ((flg & (TcpHeader.RST | TcpHeader.SYN)) != 0) {
            ctx.count(skb, Snmp.TcpAttemptFails);
            if ((flg & TcpHeader.RST) == 0) tcp.tcpV4SendReset(ctx, skb, th, true);
            tcp.dropRequest(req);
            ctx.count(skb, Snmp.TcpExtEmbryonicRsts);
            ctx.drop(skb, (flg & TcpHeader.RST) != 0 ? SkbDropReason.TCP_RESET : SkbDropReason.TCP_INVALID_SYN);
            return;
        }
        // 5. No ACK: nothing to do.
        if ((flg & TcpHeader.ACK) == 0) {
            ctx.drop(skb, SkbDropReason.TCP_FLAGS);
            return;
        }
        // 6. tcp_v4_syn_recv_sock: the accept queue must have room (sk_acceptq_is_full).
        if (lsk == null) {
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return;
        }
        if (lsk.acceptQueue > lsk.maxAckBacklog()) {
            ctx.count(skb, Snmp.TcpExtListenOverflows);
            ctx.count(skb, Snmp.TcpExtListenDrops);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        TcpSock child = tcpCreateOpenreqChild(ctx, tcp, req, lsk, s);
        tcp.dropRequest(req);
        lsk.acceptQueue++;
        tcp.hash(child);
        // 7. tcp_child_process: the child handles the ACK in SYN_RECV.
        tcp.input().tcpV4DoRcv(ctx, child, skb, th);
    }

    /**
     * tcp_create_openreq_child (with inet_csk_clone_lock and tcp_v4_syn_recv_sock): a new
     * connection in SYN_RECV from the request: both ISNs, the agreed options, the MSS, the RTT
     * of the SYN-ACK (if it was not retransmitted); TcpPassiveOpens.
     */
    static TcpSock tcpCreateOpenreqChild(LayerContext ctx, TcpIpv4 tcp, TcpIpv4.RequestSock req,
                                         TcpIpv4.ListenSock lsk, TcpInput.Seg s) {
        TcpSock tp = new TcpSock(lsk.netns(), TcpSock.socketKey(req.locAddr(), req.locPort(), req.rmtAddr(), req.rmtPort()),
                lsk.spec().key(), req.locAddr(), req.locPort(), req.rmtAddr(), req.rmtPort());
        tp.inetSkStateStore(TcpState.TCP_SYN_RECV);
        tp.unaccepted = true;
        ctx.trace(s.skb, "tcp_set_state LISTEN => SYN_RECV");
        tp.iss = req.sntIsn();
        tp.irs = req.rcvIsn();
        tp.rcvNxt = req.rcvIsn() + 1;
        tp.rcvWup = tp.rcvNxt;
        tp.sndUna = tp.sndNxt = tp.writeSeq = tp.bufSeq = tp.sndSml = req.sntIsn() + 1;
        tp.sndWl1 = req.rcvIsn();
        tp.tstampOk = req.tstampOk();
        tp.sackOk = req.sackOk();
        tp.wscaleOk = req.wscaleOk();
        tp.sndWscale = req.wscaleOk() ? req.sndWscale() : 0;
        tp.rcvWscale = req.wscaleOk() ? req.rcvWscale() : 0;
        tp.rcvWnd = req.rcvWnd();
        tp.rcvSsthresh = req.rcvWnd();
        tp.rcvbuf = lsk.rcvbuf;
        tp.rcvbufLock = lsk.rcvbufLock;
        tp.windowClamp = (int) Math.min(TcpIpv4.tcpWinFromSpace(tp.rcvbuf), 65535L << 14);
        tp.tsRecent = req.tsRecent();
        tp.tsRecentStampNanos = ctx.nowNanos();
        tp.tsOff = req.tsOff();
        tp.advmss = TcpIpv4.dstMetricAdvmss(tcp.routeMtu(req.rmtAddr(), s.skb.dev()));
        tp.mssClamp = req.mss();
        tp.keepalive = lsk.keepalive;
        tp.nodelay = lsk.nodelay;
        TcpInput.tcpSyncMss(tp);
        tp.cwnd = TcpTimer.TCP_INIT_CWND;
        // tcp_ca_openreq_child: no route nor setsockopt choice, so tcp_assign_congestion_control.
        TcpCong.tcpAssignCongestionControl(tp, tcp.congestionControl());
        // tcp_synack_rtt_meas: not after a retransmitted SYN-ACK, nor for a SYN cookie (snt_synack 0).
        if (tcp.synackRetransmits(req) == 0 && req.createdNanos() != Long.MIN_VALUE) {
            long rtt = Math.max(1, (ctx.nowNanos() - req.createdNanos()) / 1000);
            TcpTimer.tcpRttEstimator(tp, rtt);
            TcpTimer.tcpSetRto(tp);
        }
        ctx.count(s.skb, Snmp.TcpPassiveOpens);
        return tp;
    }
}
