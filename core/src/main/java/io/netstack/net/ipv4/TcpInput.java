package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.skb.ControlBlock;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Bytes;
import io.netstack.wire.TcpHeader;

import java.util.Arrays;

/**
 * net/ipv4/tcp_input.c for a connection: tcp_rcv_established (header prediction and the slow
 * path), tcp_rcv_state_process and tcp_rcv_synsent_state_process, tcp_validate_incoming
 * (PAWS, sequence check, RFC 5961 RST and SYN handling with challenge ACKs), tcp_ack (window
 * update, retransmit queue, RTT, congestion control, dup ACKs and fast retransmit),
 * tcp_data_queue and tcp_ofo_queue, tcp_fin, tcp_reset, and the ACK decision
 * (__tcp_ack_snd_check).
 *
 * <p>Receive-buffer autotuning (DRS) as 6.18 does it: tcp_init_buffer_space at ESTABLISHED
 * (window_clamp with tcp_app_win's reserve, rcvq_space), the receiver's RTT estimate
 * (tcp_rcv_rtt_measure per window, tcp_rcv_rtt_measure_ts from echoed timestamps,
 * tcp_rcv_rtt_update), and on each read tcp_rcv_space_adjust: what the application read in the
 * last RTT, if more than before, grows sk_rcvbuf to twice that window (tcp_rcvbuf_grow, capped by
 * tcp_rmem[2]) and window_clamp with it, unless tcp_moderate_rcvbuf is 0 or the application set
 * SO_RCVBUF. An out-of-order queue grows it too (tcp_data_queue_ofo).
 *
 * <p>Loss recovery (tcp_fastretrans_alert, tcp_process_loss with F-RTO) undoes a reduction
 * that proves needless as the kernel does: by timestamps (Eifel, tcp_packet_delayed against
 * retrans_stamp) and by D-SACKs that account for every retransmission (tcp_check_dsack,
 * undo_retrans), counting TCPLossUndo, TCPSpuriousRTOs, TCPFullUndo, TCPDSACKUndo,
 * TCPPartialUndo and the TCPDSACK* counters.
 *
 * <p>Not emulated: the SACK scoreboard (SACK blocks we receive are parsed; only how far they
 * reach drives recovery, and a D-SACK's accounting), the Disorder and CWR states, PRR,
 * tp->reordering, RACK-TLP, urgent data, ECN, tcp_prune_queue and tcp_clamp_window (the
 * receive queue is bounded in payload bytes, so it never holds more than sk_rcvbuf to prune).
 */
final class TcpInput implements java.io.Serializable {

    /** TCP_PAWS_WINDOW, TCP_PAWS_24DAYS */
    static final int TCP_PAWS_WINDOW = 1;
    static final long TCP_PAWS_24DAYS_NANOS = 60L * 60 * 24 * 24 * 1_000_000_000L;

    /** FLAG_* of tcp_ack */
    static final int FLAG_DATA = 0x01;
    static final int FLAG_WIN_UPDATE = 0x02;
    static final int FLAG_DATA_ACKED = 0x04;
    static final int FLAG_RETRANS_DATA_ACKED = 0x08;
    static final int FLAG_SYN_ACKED = 0x10;
    static final int FLAG_DATA_SACKED = 0x20;
    static final int FLAG_SLOWPATH = 0x100;
    static final int FLAG_ORIG_SACK_ACKED = 0x200;
    static final int FLAG_SND_UNA_ADVANCED = 0x400;
    static final int FLAG_DSACKING_ACK = 0x800;
    static final int FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED;
    static final int FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED;
    static final int FLAG_CA_ALERT = FLAG_DATA_SACKED;

    /** enum tcp_fastretrans_alert's rexmit: REXMIT_LOST retransmits what is marked lost, REXMIT_NEW sends new data (F-RTO). */
    static final int REXMIT_NONE = 0;
    static final int REXMIT_LOST = 1;
    static final int REXMIT_NEW = 2;
    /** Not the kernel's: tcpFastretransAlert set cwnd itself at the end of a recovery; no growth on this ACK. */
    static final int ALERT_CWND_SET = 0x10;

    private final TcpIpv4 tcp;
    private final TcpOutput out;

    TcpInput(TcpIpv4 tcp, TcpOutput out) {
        this.tcp = tcp;
        this.out = out;
    }

    /** The parsed segment: TCP_SKB_CB plus the options of tcp_parse_options. */
    static final class Seg implements java.io.Serializable {
        SkBuff skb;
        TcpHeader th;
        int seq;
        int endSeq;
        int ackSeq;
        int dataOff;
        int len;
        boolean sawTstamp;
        int tsval;
        int tsecr;
        int numSacks;
        /** The SACK blocks: start, end, start, end ... */
        int[] sacks = new int[0];

        boolean syn() { return th.syn(); }
        boolean fin() { return th.fin(); }
        boolean rst() { return th.rst(); }
        boolean ack() { return th.ack(); }
    }

    /** TCP_SKB_CB(skb) and tcp_parse_options for a segment of a connection. */
    Seg parse(SkBuff skb, TcpHeader th) {
        Seg s = new Seg();
        s.skb = skb;
        s.th = th;
        s.seq = th.seq();
        s.dataOff = th.doff() * 4;
        s.len = skb.len() - s.dataOff;
        s.endSeq = s.seq + s.len + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0);
        s.ackSeq = th.ackSeq();
        for (TcpHeader.Option o : th.options()) {
            if (o.kind() == TcpHeader.TCPOPT_TIMESTAMP && o.data().length == 8) {
                s.sawTstamp = true;
                s.tsval = Bytes.u32(o.data(), 0);
                s.tsecr = Bytes.u32(o.data(), 4);
            } else if (o.kind() == TcpHeader.TCPOPT_SACK && o.data().length % 8 == 0) {
                s.numSacks = o.data().length / 8;
                s.sacks = new int[2 * s.numSacks];
                for (int i = 0; i < 2 * s.numSacks; i++) s.sacks[i] = Bytes.u32(o.data(), 4 * i);
            }
        }
        return s;
    }

    /**
     * tcp_v4_do_rcv for a full socket: ESTABLISHED goes to tcp_rcv_established, every other
     * state to tcp_rcv_state_process; a drop reason from it sends a reset (tcp_v4_send_reset,
     * never to a RST) and drops the segment with that reason.
     */
    void tcpV4DoRcv(LayerContext ctx, TcpSock tp, SkBuff skb, TcpHeader th) {
        ctx.trace(skb, "tcp_v4_do_rcv");
        tp.traceSkb = skb;
        Seg s = parse(skb, th);
        if (s.sawTstamp && !tp.tstampOk && tp.state() != TcpState.TCP_SYN_SENT) s.sawTstamp = false;
        // tcp_parse_aligned_timestamp: rx_opt.rcv_tsecr stays until a segment brings another.
        if (s.sawTstamp) tp.rcvTsecr = s.tsecr != 0 ? s.tsecr - tp.tsOff : 0;
        SkbDropReason reason = SkbDropReason.NOT_DROPPED_YET;
        if (tp.state() == TcpState.TCP_ESTABLISHED) {
            tcpRcvEstablished(ctx, tp, s);
        } else {
            reason = tcpRcvStateProcess(ctx, tp, s);
        }
        if (reason != SkbDropReason.NOT_DROPPED_YET) {
            tcp.tcpV4SendReset(ctx, skb, th, true);
            ctx.drop(skb, reason);
        }
        tp.traceSkb = null;
    }

    /**
     * tcp_rcv_established: the fast path when the segment is the next one expected, carries only
     * ACK (and PSH) with an unchanged window and timestamps, and nothing unusual is going on
     * (header prediction); else the slow path of RFC 793 "SEGMENT ARRIVES" checks.
     */
    void tcpRcvEstablished(LayerContext ctx, TcpSock tp, Seg s) {
        ctx.trace(s.skb, "tcp_rcv_established");
        int flags = s.th.flags() & ~TcpHeader.PSH;
        // pred_flags holds the header length too (tcp_fast_path_on: tcp_header_len << 26): a
        // segment with more options than the timestamp (SACK blocks) takes the slow path, where
        // tcp_ack reads its SACK blocks even if it carries data and does not move snd_una.
        int predictedHeaderLen = TcpHeader.LEN + (tp.tstampOk ? TcpHeader.TCPOLEN_TSTAMP_ALIGNED : 0);
        boolean predicted = flags == TcpHeader.ACK && s.dataOff == predictedHeaderLen
                && s.seq == tp.rcvNxt && tp.ofo.isEmpty()
                && tp.caState == TcpCong.TCP_CA_OPEN && tp.rcvWnd != 0
                && (s.th.window() << tp.sndWscale) == tp.sndWnd
                && !TcpSock.after(s.ackSeq, tp.sndNxt) && !TcpSock.before(s.ackSeq, tp.sndUna)
                && (tp.tstampOk == s.sawTstamp)
                && (!s.sawTstamp || (tp.tsRecent - s.tsval) <= 0);
        if (predicted && s.len <= TcpOutput.tcpReceiveWindow(tp)) {
            // The fast path: tcp_store_ts_recent, then a pure ACK or in-order data.
            if (s.sawTstamp && !TcpSock.after(s.seq, tp.rcvWup)) tcpStoreTsRecent(ctx, tp, s);
            if (s.len == 0) {
                tcpAck(ctx, tp, s, 0);
                out.tcpWriteXmit(ctx, tp, s.skb);
                ctx.consume(s.skb);
                return;
            }
            tcpRcvRttMeasureTs(ctx, tp, s);
            ctx.count(tp.netns, Snmp.TcpExtTCPHPHits, 1);
            tp.lastRcvNanos = ctx.nowNanos();
            if (s.ackSeq != tp.sndUna) tcpAck(ctx, tp, s, FLAG_DATA);
            tcpDataQueue(ctx, tp, s);
            out.tcpWriteXmit(ctx, tp, s.skb);
            tcpAckSndCheck(ctx, tp, s.skb);
            return;
        }
        // The slow path.
        if (!s.ack() && !s.rst() && !s.syn()) {
            ctx.drop(s.skb, SkbDropReason.TCP_FLAGS);
            return;
        }
        if (!tcpValidateIncoming(ctx, tp, s, true)) return;
        SkbDropReason r = tcpAck(ctx, tp, s, FLAG_SLOWPATH);
        if (tcpAckRejected(r)) {
            ctx.drop(s.skb, r);
            return;
        }
        tcpRcvRttMeasureTs(ctx, tp, s);
        tp.lastRcvNanos = ctx.nowNanos();
        tcpDataQueue(ctx, tp, s);
        if (tp.state() != TcpState.TCP_CLOSE) {
            out.tcpWriteXmit(ctx, tp, s.skb);
            tcpAckSndCheck(ctx, tp, s.skb);
        }
    }

    /**
     * tcp_rcv_state_process for every state but LISTEN (TcpIpv4 answers listeners) and
     * ESTABLISHED: NOT_DROPPED_YET when the segment is dealt with (queued, consumed or dropped
     * here), else the reason the caller sends a reset and drops it with.
     */
    SkbDropReason tcpRcvStateProcess(LayerContext ctx, TcpSock tp, Seg s) {
        ctx.trace(s.skb, "tcp_rcv_state_process");
        switch (tp.state()) {
            case TCP_CLOSE:
                ctx.drop(s.skb, SkbDropReason.TCP_CLOSE);
                return SkbDropReason.NOT_DROPPED_YET;
            case TCP_SYN_SENT:
                return tcpRcvSynsentStateProcess(ctx, tp, s);
            default:
                break;
        }
        // 1. Neither ACK, RST nor SYN: nothing to do with it.
        if (!s.ack() && !s.rst() && !s.syn()) {
            ctx.drop(s.skb, SkbDropReason.TCP_FLAGS);
            return SkbDropReason.NOT_DROPPED_YET;
        }
        // 2. PAWS, sequence, RST and SYN checks.
        if (!tcpValidateIncoming(ctx, tp, s, false)) return SkbDropReason.NOT_DROPPED_YET;
        // 3. step 5: the ACK field.
        SkbDropReason r = tcpAck(ctx, tp, s, FLAG_SLOWPATH);
        if (r != SkbDropReason.NOT_DROPPED_YET) {
            // SYN_RECV: one reset, TCP_OLD_ACK for an old ACK, else tcp_ack's reason. (The
            // kernel goes on with an old ACK in the other states, "accept old ack during
            // closing"; here it is challenged and dropped as before.)
            if (tp.state() == TcpState.TCP_SYN_RECV) return r;
            tcpSendChallengeAck(ctx, tp, s);
            ctx.drop(s.skb, r);
            return SkbDropReason.NOT_DROPPED_YET;
        }
        tp.lastRcvNanos = ctx.nowNanos();
        boolean finAcked = tp.finQueued && tp.sndUna == tp.writeSeq;
        switch (tp.state()) {
            case TCP_SYN_RECV:
                // The handshake completes: the window from this ACK, the transfer starts.
                tp.sndWnd = s.th.window() << tp.sndWscale;
                tp.sndWl1 = s.seq;
                tp.maxWindow = Math.max(tp.maxWindow, tp.sndWnd);
                tp.setState(ctx, TcpState.TCP_ESTABLISHED);
                TcpCong.tcpInitTransfer(ctx, tp);
                tcpInitBufferSpace(ctx, tp);
                if (tp.keepalive) tp.keepaliveDeadline = ctx.nowNanos() + tcp.keepaliveTime();
                if (tp.listener == null) {
                    // A simultaneous open: connect() returns (sk_state_change); the peer's SYN-ACK
                    // is consumed without an ACK (the "if (sk->sk_socket) goto consume" of 6.11).
                    tp.lastRcvNanos = ctx.nowNanos();
                    tcp.sockEvent(ctx, tp.key, ControlBlock.SOCK_OP_CONNECTED, 0, null, tp, s.skb);
                    if (s.syn()) {
                        out.tcpWriteXmit(ctx, tp, s.skb);
                        ctx.consume(s.skb);
                        return SkbDropReason.NOT_DROPPED_YET;
                    }
                    break;
                }
                tcp.sockEvent(ctx, tp.listener, ControlBlock.SOCK_OP_ACCEPT_READY, 0, tp.key, tp, s.skb);
                break;
            case TCP_FIN_WAIT1:
                if (finAcked) {
                    tp.setState(ctx, TcpState.TCP_FIN_WAIT2);
                    tp.shutdown |= TcpSock.SEND_SHUTDOWN;
                    if (tp.dead) {
                        // An orphan that gets new data after close: RFC 1122 says reset.
                        if (s.endSeq != s.seq && TcpSock.after(s.endSeq - (s.fin() ? 1 : 0), tp.rcvNxt)) {
                            ctx.count(tp.netns, Snmp.TcpExtTCPAbortOnData, 1);
                            tcpDone(ctx, tp);
                            return SkbDropReason.TCP_ABORT_ON_DATA;
                        }
                        if (!s.fin()) {
                            // tcp_time_wait(TCP_FIN_WAIT2, tcp_fin_timeout): a minisock waits for the FIN.
                            TcpMinisocks.tcpTimeWait(ctx, tcp, tp, TcpState.TCP_FIN_WAIT2, tcp.finTimeout());
                            ctx.consume(s.skb);
                            return SkbDropReason.NOT_DROPPED_YET;
                        }
                    }
                }
                break;
            case TCP_CLOSING:
                if (finAcked) {
                    TcpMinisocks.tcpTimeWait(ctx, tcp, tp, TcpState.TCP_TIME_WAIT, TcpTimer.TCP_TIMEWAIT_LEN);
                    ctx.consume(s.skb);
                    return SkbDropReason.NOT_DROPPED_YET;
                }
                break;
            case TCP_LAST_ACK:
                if (finAcked) {
                    tcpDone(ctx, tp);
                    ctx.consume(s.skb);
                    return SkbDropReason.NOT_DROPPED_YET;
                }
                break;
            default:
                break;
        }
        // step 7: the segment text.
        switch (tp.state()) {
            case TCP_CLOSE_WAIT:
            case TCP_CLOSING:
            case TCP_LAST_ACK:
                if (!TcpSock.before(s.seq, tp.rcvNxt)) {
                    // Data after the peer's FIN: not queued.
                    if (tp.state() != TcpState.TCP_CLOSE) {
                        out.tcpWriteXmit(ctx, tp, s.skb);
                        tcpAckSndCheck(ctx, tp, s.skb);
                    }
                    ctx.drop(s.skb, SkbDropReason.TCP_INVALID_SEQUENCE);
                    return SkbDropReason.NOT_DROPPED_YET;
                }
                // fall through
            case TCP_FIN_WAIT1:
            case TCP_FIN_WAIT2:
                if ((tp.shutdown & TcpSock.RCV_SHUTDOWN) != 0 && tp.dead
                        && s.endSeq != s.seq && TcpSock.after(s.endSeq - (s.fin() ? 1 : 0), tp.rcvNxt)) {
                    ctx.count(tp.netns, Snmp.TcpExtTCPAbortOnData, 1);
                    tcpReset(ctx, tp, s.skb);
                    return SkbDropReason.TCP_ABORT_ON_DATA;
                }
                // fall through
            case TCP_ESTABLISHED:
                tcpDataQueue(ctx, tp, s);
                break;
            default:
                ctx.consume(s.skb);
        }
        if (tp.state() != TcpState.TCP_CLOSE && !tp.tw) {
            out.tcpWriteXmit(ctx, tp, s.skb);
            tcpAckSndCheck(ctx, tp, s.skb);
        }
        return SkbDropReason.NOT_DROPPED_YET;
    }

    /**
     * tcp_rcv_synsent_state_process: our SYN is out. An ACK must acknowledge exactly it (else
     * reset_and_undo: the reason goes back for a reset, none to a RST); a RST with that ACK
     * refuses the connection (ECONNREFUSED); a SYN-ACK completes it (tcp_finish_connect) and is
     * acknowledged at once.
     */
    SkbDropReason tcpRcvSynsentStateProcess(LayerContext ctx, TcpSock tp, Seg s) {
        ctx.trace(s.skb, "tcp_rcv_synsent_state_process");
        if (s.ack()) {
            // 1. "If SEG.ACK =< ISS, or SEG.ACK > SND.NXT, send a reset" (RFC 793).
            //    The reason is the caller's, RST or not: tcp_v4_send_reset answers no RST.
            if (!TcpSock.after(s.ackSeq, tp.iss) || TcpSock.after(s.ackSeq, tp.sndNxt)) {
                return TcpSock.after(s.ackSeq, tp.sndNxt) ? SkbDropReason.TCP_ACK_UNSENT_DATA : SkbDropReason.TCP_TOO_OLD_ACK;
            }
            // 2. An acceptable RST: the peer refuses.
            if (s.rst()) {
                tcpReset(ctx, tp, s.skb);
                ctx.drop(s.skb, SkbDropReason.TCP_RESET);
                return SkbDropReason.NOT_DROPPED_YET;
            }
            // 3. No SYN: discard.
            if (!s.syn()) {
                ctx.drop(s.skb, SkbDropReason.TCP_FLAGS);
                return SkbDropReason.NOT_DROPPED_YET;
            }
            // 4. The SYN-ACK: its options, our ISN acknowledged.
            TcpIpv4.OptionsReceived opt = tcp.tcpParseOptions(s.th);
            tp.sndWscale = opt.wscaleOk() && tp.wscaleOk ? opt.sndWscale() : 0;
            if (!(opt.wscaleOk() && tp.wscaleOk)) {
                tp.wscaleOk = false;
                tp.rcvWscale = 0;
            }
            tp.sackOk = tp.sackOk && opt.sackOk();
            tp.tstampOk = tp.tstampOk && opt.sawTstamp();
            if (tp.tstampOk) {
                tp.tsRecent = opt.rcvTsval();
                tp.tsRecentStampNanos = ctx.nowNanos();
            }
            tp.mssClamp = Math.min(tp.mssClamp, opt.mssClamp());
            tp.irs = s.seq;
            tp.rcvNxt = s.seq + 1;
            tp.rcvWup = tp.rcvNxt;
            tp.sndWl1 = s.seq;
            tcpAck(ctx, tp, s, FLAG_SLOWPATH);
            tp.sndWnd = s.th.window();
            tp.maxWindow = tp.sndWnd;
            tcpSyncMss(tp);
            tcpFinishConnect(ctx, tp, s.skb);
            // The handshake's last ACK goes at once (no deferred accept, nothing written yet).
            out.tcpSendAck(ctx, tp, s.skb);
            out.tcpWriteXmit(ctx, tp, s.skb);
            ctx.consume(s.skb);
            return SkbDropReason.NOT_DROPPED_YET;
        }
        // No ACK: a RST is ignored, a SYN is a simultaneous open.
        if (s.rst()) {
            ctx.drop(s.skb, SkbDropReason.TCP_RESET);
            return SkbDropReason.NOT_DROPPED_YET;
        }
        if (s.syn()) {
            TcpIpv4.OptionsReceived opt = tcp.tcpParseOptions(s.th);
            tp.setState(ctx, TcpState.TCP_SYN_RECV);
            tp.sndWscale = opt.wscaleOk() && tp.wscaleOk ? opt.sndWscale() : 0;
            if (!(opt.wscaleOk() && tp.wscaleOk)) {
                tp.wscaleOk = false;
                tp.rcvWscale = 0;
            }
            tp.sackOk = tp.sackOk && opt.sackOk();
            tp.tstampOk = tp.tstampOk && opt.sawTstamp();
            if (tp.tstampOk) tp.tsRecent = opt.rcvTsval();
            tp.mssClamp = Math.min(tp.mssClamp, opt.mssClamp());
            tp.irs = s.seq;
            tp.rcvNxt = s.seq + 1;
            tp.rcvWup = tp.rcvNxt;
            tp.sndWnd = s.th.window();
            tp.sndWl1 = s.seq;
            tcpSyncMss(tp);
            // tcp_send_synack: our SYN again, now with the ACK.
            out.tcpTransmitSkb(ctx, tp, s.skb, tp.iss, TcpHeader.SYN | TcpHeader.ACK, new byte[0],
                    out.tcpSynOptions(ctx, tp), "tcp_send_synack");
            ctx.consume(s.skb);
            return SkbDropReason.NOT_DROPPED_YET;
        }
        ctx.drop(s.skb, SkbDropReason.TCP_FLAGS);
        return SkbDropReason.NOT_DROPPED_YET;
    }

    /** tcp_sync_mss: the MSS we send, the peer's clamp less the timestamp option. */
    static void tcpSyncMss(TcpSock tp) {
        tp.mssCache = Math.min(tp.advmss, tp.mssClamp) - (tp.tstampOk ? TcpHeader.TCPOLEN_TSTAMP_ALIGNED : 0);
        // tcp_initialize_rcv_mss: a guess of the peer's segments, at most TCP_MSS_DEFAULT.
        int hint = Math.min(tp.advmss, tp.mssCache);
        hint = Math.min(hint, tp.rcvWnd / 2);
        hint = Math.min(hint, TcpIpv4.TCP_MSS_DEFAULT);
        tp.rcvMss = Math.max(hint, 88);
    }

    /** tcp_finish_connect + tcp_init_transfer: ESTABLISHED, initial cwnd and buffers, the application told. */
    void tcpFinishConnect(LayerContext ctx, TcpSock tp, SkBuff skb) {
        tp.setState(ctx, TcpState.TCP_ESTABLISHED);
        tp.cwnd = TcpTimer.TCP_INIT_CWND;
        TcpCong.tcpInitTransfer(ctx, tp);
        tcpInitBufferSpace(ctx, tp);
        tp.lastRcvNanos = ctx.nowNanos();
        if (tp.keepalive) tp.keepaliveDeadline = ctx.nowNanos() + tcp.keepaliveTime();
        tcp.sockEvent(ctx, tp.key, ControlBlock.SOCK_OP_CONNECTED, 0, null, tp, skb);
    }

    /**
     * tcp_validate_incoming: PAWS (tcp_paws_discard), the window check (tcp_sequence), RST
     * (RFC 5961 3.2: exact rcv_nxt resets, in-window gets a challenge ACK), SYN in a
     * synchronized state (RFC 5961 4.2: challenge ACK). False when the segment is done with.
     */
    boolean tcpValidateIncoming(LayerContext ctx, TcpSock tp, Seg s, boolean synInerr) {
        // 1. PAWS: a timestamp older than ts_recent is an old duplicate.
        if (s.sawTstamp && tp.tsRecent != 0 && tcpPawsDiscard(ctx, tp, s)) {
            if (!s.rst()) {
                if (s.syn()) return synChallenge(ctx, tp, s, synInerr);
                ctx.count(tp.netns, Snmp.TcpExtPAWSEstab, 1);
                if (!tcpOowRateLimited(ctx, tp, s, Snmp.TcpExtTCPACKSkippedPAWS)) tcpSendDupack(ctx, tp, s);
                ctx.drop(s.skb, SkbDropReason.TCP_RFC7323_PAWS);
                return false;
            }
        }
        // 2. tcp_sequence: the segment must overlap the receive window.
        SkbDropReason seqReason = tcpSequence(tp, s.seq, s.endSeq);
        if (seqReason != null) {
            if (!s.rst()) {
                if (s.syn()) return synChallenge(ctx, tp, s, synInerr);
                if (!tcpOowRateLimited(ctx, tp, s, Snmp.TcpExtTCPACKSkippedSeq)) tcpSendDupack(ctx, tp, s);
            } else if (tcpResetCheck(tp, s)) {
                tcpReset(ctx, tp, s.skb);
                ctx.drop(s.skb, SkbDropReason.TCP_RESET);
                return false;
            }
            ctx.drop(s.skb, seqReason);
            return false;
        }
        // 3. RST: only the exact next sequence number resets; the rest of the window gets a challenge ACK.
        if (s.rst()) {
            if (s.seq == tp.rcvNxt || tcpResetCheck(tp, s)) {
                tcpReset(ctx, tp, s.skb);
                ctx.drop(s.skb, SkbDropReason.TCP_RESET);
                return false;
            }
            tcpSendChallengeAck(ctx, tp, s);
            ctx.drop(s.skb, SkbDropReason.TCP_RESET);
            return false;
        }
        // 4. tcp_replace_ts_recent.
        if (s.sawTstamp && !TcpSock.after(s.seq, tp.rcvWup)) tcpStoreTsRecent(ctx, tp, s);
        // 5. A SYN in a synchronized state: a challenge ACK, except the peer's SYN-ACK in a
        //    simultaneous open (our socket in SYN_RECV from SYN_SENT, with an application: it
        //    repeats the SYN we have and acknowledges ours).
        if (s.syn()) {
            if (tp.state() == TcpState.TCP_SYN_RECV && tp.listener == null && !tp.dead && s.ack()
                    && s.seq + 1 == s.endSeq && s.seq + 1 == tp.rcvNxt && s.ackSeq == tp.sndNxt) {
                return true;
            }
            return synChallenge(ctx, tp, s, synInerr);
        }
        return true;
    }

    private boolean synChallenge(LayerContext ctx, TcpSock tp, Seg s, boolean synInerr) {
        if (synInerr) ctx.count(tp.netns, Snmp.TcpInErrs, 1);
        ctx.count(tp.netns, Snmp.TcpExtTCPSYNChallenge, 1);
        tcpSendChallengeAck(ctx, tp, s);
        ctx.drop(s.skb, SkbDropReason.TCP_INVALID_SYN);
        return false;
    }

    /** tcp_reset_check: a RST at rcv_nxt - 1 after the peer's FIN (CLOSE_WAIT, LAST_ACK, CLOSING). */
    static boolean tcpResetCheck(TcpSock tp, Seg s) {
        return s.seq == tp.rcvNxt - 1 && (tp.state() == TcpState.TCP_CLOSE_WAIT
                || tp.state() == TcpState.TCP_LAST_ACK || tp.state() == TcpState.TCP_CLOSING);
    }

    /** tcp_sequence: null when the segment overlaps the window, else why not. */
    static SkbDropReason tcpSequence(TcpSock tp, int seq, int endSeq) {
        if (TcpSock.before(endSeq, tp.rcvWup)) return SkbDropReason.TCP_OLD_SEQUENCE;
        if (TcpSock.after(seq, tp.rcvNxt + TcpOutput.tcpReceiveWindow(tp))) return SkbDropReason.TCP_INVALID_SEQUENCE;
        return null;
    }

    /** tcp_paws_discard: ts_recent newer by more than TCP_PAWS_WINDOW, and not older than 24 days. */
    static boolean tcpPawsDiscard(LayerContext ctx, TcpSock tp, Seg s) {
        if (tp.tsRecent - s.tsval <= TCP_PAWS_WINDOW) return false;
        if (ctx.nowNanos() - tp.tsRecentStampNanos >= TCP_PAWS_24DAYS_NANOS) return false;
        // tcp_disordered_ack: a pure duplicate ACK reordered behind a newer one is let through.
        return !(s.ack() && s.len == 0 && !s.syn() && !s.fin() && s.seq == tp.rcvNxt && s.ackSeq == tp.sndUna);
    }

    static void tcpStoreTsRecent(LayerContext ctx, TcpSock tp, Seg s) {
        if (tp.tsRecent == 0 || s.tsval - tp.tsRecent >= 0 || ctx.nowNanos() - tp.tsRecentStampNanos >= TCP_PAWS_24DAYS_NANOS) {
            tp.tsRecent = s.tsval;
            tp.tsRecentStampNanos = ctx.nowNanos();
        }
    }

    /**
     * tcp_oow_rate_limited: an out-of-window ACK, challenge ACK or dupack goes at most once per
     * tcp_invalid_ratelimit (500 ms) per connection; a data segment (no SYN) is never limited.
     */
    boolean tcpOowRateLimited(LayerContext ctx, TcpSock tp, Seg s, String mib) {
        if (s.seq != s.endSeq && !s.syn()) return false;
        long limit = tcp.sysctl(SysctlRegistry.TCP_INVALID_RATELIMIT) * 1_000_000L;
        if (ctx.nowNanos() - tp.lastOowAckNanos < limit) {
            ctx.count(tp.netns, mib, 1);
            return true;
        }
        tp.lastOowAckNanos = ctx.nowNanos();
        return false;
    }

    /** tcp_send_challenge_ack: RFC 5961 7, rate limited per socket; TCPChallengeACK. */
    void tcpSendChallengeAck(LayerContext ctx, TcpSock tp, Seg s) {
        if (tcpOowRateLimited(ctx, tp, s, Snmp.TcpExtTCPACKSkippedChallenge)) return;
        ctx.count(tp.netns, Snmp.TcpExtTCPChallengeACK, 1);
        out.tcpSendAck(ctx, tp, s.skb);
    }

    /** tcp_send_dupack: old data means our ACK was lost (DelayedACKLost, quick ACK mode); ACK now. */
    void tcpSendDupack(LayerContext ctx, TcpSock tp, Seg s) {
        if (s.endSeq != s.seq && TcpSock.before(s.seq, tp.rcvNxt)) {
            ctx.count(tp.netns, Snmp.TcpExtDelayedACKLost, 1);
            tcpEnterQuickackMode(tp, TcpOutput.TCP_MAX_QUICKACKS);
        }
        out.tcpSendAck(ctx, tp, s.skb);
    }

    /**
     * tcp_reset: the peer reset the connection. The error by state (ECONNREFUSED in SYN_SENT,
     * EPIPE in CLOSE_WAIT, else ECONNRESET) goes to the application; tcp_done.
     */
    void tcpReset(LayerContext ctx, TcpSock tp, SkBuff skb) {
        ctx.trace(skb, "tcp_reset");
        int err;
        switch (tp.state()) {
            case TCP_SYN_SENT: err = TcpIpv4.ECONNREFUSED; break;
            case TCP_CLOSE_WAIT: err = TcpIpv4.EPIPE; break;
            case TCP_CLOSE: return;
            default: err = TcpIpv4.ECONNRESET;
        }
        tp.skErr = err;
        if (!tp.dead) {
            int op = tp.state() == TcpState.TCP_SYN_SENT ? ControlBlock.SOCK_OP_ERROR : ControlBlock.SOCK_OP_RESET;
            tcp.sockEvent(ctx, tp.key, op, err, null, tp, skb);
        }
        tcpDone(ctx, tp);
    }

    /** tcp_done: TcpAttemptFails from SYN_SENT or SYN_RECV, CLOSE, timers off, out of the hash. */
    void tcpDone(LayerContext ctx, TcpSock tp) {
        if (tp.state() == TcpState.TCP_SYN_SENT || tp.state() == TcpState.TCP_SYN_RECV) {
            ctx.count(tp.netns, Snmp.TcpAttemptFails, 1);
        }
        tp.setState(ctx, TcpState.TCP_CLOSE);
        tp.shutdown = TcpSock.RCV_SHUTDOWN | TcpSock.SEND_SHUTDOWN;
        tp.rtoDeadline = tp.delackDeadline = tp.keepaliveDeadline = tp.probeDeadline = tp.twDeadline = 0;
        tp.rtxQueue.clear();
        tcp.unhash(tp);
    }

    /**
     * tcp_ack: NOT_DROPPED_YET for an acceptable ACK, TCP_OLD_ACK for an old one (ignored: the
     * kernel's 0), TCP_ACK_UNSENT_DATA for an ACK of data never sent and TCP_TOO_OLD_ACK for one
     * older than the largest window (the kernel's negated reasons; {@link #tcpAckRejected}). Updates the send window
     * (tcp_ack_update_window), frees what was acknowledged (tcp_clean_rtx_queue) with an RTT
     * sample (Karn: never from a retransmitted segment), re-arms the RTO timer, counts
     * TCPHPAcks / TCPPureAcks, and runs congestion control and loss recovery.
     */
    SkbDropReason tcpAck(LayerContext ctx, TcpSock tp, Seg s, int flag) {
        int priorSndUna = tp.sndUna;
        int ack = s.ackSeq;
        if (!s.ack()) return SkbDropReason.TCP_OLD_ACK;   // not reached after tcp_validate_incoming
        // 1. Old or not-yet-sent ACKs.
        if (TcpSock.before(ack, priorSndUna)) {
            if (TcpSock.before(ack, priorSndUna - tp.maxWindow)) return SkbDropReason.TCP_TOO_OLD_ACK;
            // old_ack: its SACK blocks are still read, and a D-SACK may undo a reduction.
            if (tp.sackOk && s.numSacks > 0) {
                int f = flag | tcpCheckDsack(ctx, tp, s, priorSndUna);
                int rexmit = tcpFastretransAlert(ctx, tp, s, priorSndUna, f, false, 0);
                tcpXmitRecovery(ctx, tp, s.skb, rexmit);
            }
            return SkbDropReason.TCP_OLD_ACK;
        }
        if (TcpSock.after(ack, tp.sndNxt)) return SkbDropReason.TCP_ACK_UNSENT_DATA;
        int priorPackets = tp.rtxQueue.size();
        int priorInFlight = tp.packetsInFlight();
        // 2. Window update and counters.
        if ((flag & FLAG_SLOWPATH) == 0 && TcpSock.after(ack, priorSndUna)) {
            tp.sndWl1 = s.seq;
            flag |= FLAG_WIN_UPDATE;
            ctx.count(tp.netns, Snmp.TcpExtTCPHPAcks, 1);
        } else {
            if (s.seq != s.endSeq) flag |= FLAG_DATA;
            else ctx.count(tp.netns, Snmp.TcpExtTCPPureAcks, 1);
            flag |= tcpAckUpdateWindow(tp, s, ack);
        }
        if (TcpSock.after(ack, priorSndUna)) {
            flag |= FLAG_SND_UNA_ADVANCED;
            tp.retransmits = 0;
        }
        tp.sndUna = ack;
        tp.probesOut = 0;
        tp.lastRcvNanos = ctx.nowNanos();
        // 2b. tcp_sacktag_write_queue's D-SACK part (tcp_check_dsack), before the queue is
        //     cleaned: a D-SACK of a retransmitted segment lowers undo_retrans.
        if (tp.sackOk && s.numSacks > 0) flag |= tcpCheckDsack(ctx, tp, s, priorSndUna);
        // 3. tcp_clean_rtx_queue. The RTT sample (seq_rtt) is from the OLDEST segment acknowledged
        //    (first_ackt): the newest one of a cumulative ACK has waited least and would make the
        //    estimate, and so the RTO, too short. Karn: none if any acknowledged one was sent again
        //    (FLAG_RETRANS_DATA_ACKED). Never-retransmitted data up to high_seq acknowledged is
        //    FLAG_ORIG_SACK_ACKED (what F-RTO looks for).
        long rttUs = -1;
        long firstAckt = 0;
        long lastAckt = 0;
        boolean anyOrig = false;
        int ackedPkts = 0;
        while (!tp.rtxQueue.isEmpty()) {
            TcpSock.TxSeg seg = tp.rtxQueue.peekFirst();
            if (TcpSock.after(seg.endSeq, ack)) break;
            tp.rtxQueue.pollFirst();
            ackedPkts++;
            flag |= seg.syn ? FLAG_SYN_ACKED : FLAG_DATA_ACKED;
            // FLAG_SYN_ACKED clears retrans_stamp even if the SYN went again.
            if (seg.syn) tp.retransStampTs = 0;
            if (seg.retransmitted) {
                flag |= FLAG_RETRANS_DATA_ACKED;
            } else {
                if (!anyOrig) firstAckt = seg.sentNanos;
                lastAckt = seg.sentNanos;
                anyOrig = true;
                if (!TcpSock.after(seg.endSeq, tp.highSeq)) flag |= FLAG_ORIG_SACK_ACKED;
            }
        }
        if (anyOrig && (flag & FLAG_RETRANS_DATA_ACKED) == 0) rttUs = Math.max(1, (ctx.nowNanos() - firstAckt) / 1000);
        long caRttUs = anyOrig && (flag & FLAG_RETRANS_DATA_ACKED) == 0 ? (ctx.nowNanos() - lastAckt) / 1000 : -1;
        tp.ackData(ack);
        if (rttUs < 0 && (flag & FLAG_ACKED) != 0 && s.sawTstamp && s.tsecr != 0 && tp.tstampOk) {
            // tcp_ack_update_rtt: the timestamp echo gives the sample when Karn forbids the other.
            long ms = TcpOutput.tsval(ctx, tp) - s.tsecr;
            if (ms >= 0 && ms < 120_000) rttUs = caRttUs = Math.max(1, ms * 1000);
        }
        if (rttUs > 0) {
            TcpTimer.tcpRttEstimator(tp, rttUs);
            TcpTimer.tcpSetRto(tp);
            tp.backoff = 0;
        }
        TcpCong.tcpPktsAcked(ctx, tp, ackedPkts, caRttUs);
        // 4. tcp_rearm_rto.
        if ((flag & FLAG_ACKED) != 0) {
            tp.retransStampNanos = 0;
            tp.rtoDeadline = tp.rtxQueue.isEmpty() ? 0 : ctx.nowNanos() + tp.rtoNanos;
        }
        // 5. tcp_ack_is_dubious and tcp_fastretrans_alert (loss recovery and its undo), then
        //    tcp_cong_control and tcp_xmit_recovery. With nothing in flight before (no_queue),
        //    only a D-SACK goes to tcp_fastretrans_alert: it may undo a reduction.
        boolean advanced = (flag & FLAG_SND_UNA_ADVANCED) != 0;
        boolean isDupack = (flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP)) == 0 && priorPackets > 0 && s.len == 0;
        if (tp.sackOk && s.ack()) {
            // With SACK, what counts toward recovery is what the peer SACKed (sacked_out in
            // tcp_dupack_heuristics), not whether the ACK is a pure duplicate: FLAG_DATA_SACKED
            // makes an ACK dubious (FLAG_CA_ALERT, tcp_ack_is_dubious) even when it carries data
            // or a window update. Counting only pure duplicates left a connection with data
            // both ways (an echo) without fast recovery: every loss waited for the RTO.
            boolean sackedNew = tcpSacktag(ctx, tp, s, ack);
            if (sackedNew) flag |= FLAG_DATA_SACKED;
            isDupack = sackedNew && !advanced && priorPackets > 0;
        }
        int numDupack = (flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP | FLAG_DSACKING_ACK)) == 0 ? 1 : 0;
        int rexmit = REXMIT_NONE;
        if (priorPackets > 0 ? tcpAckIsDubious(tp, flag) : (flag & FLAG_DSACKING_ACK) != 0) {
            rexmit = tcpFastretransAlert(ctx, tp, s, priorSndUna, flag, isDupack, numDupack);
        }
        if (advanced && tp.caState == TcpCong.TCP_CA_OPEN) tp.dupAcks = 0;
        // tcp_cong_control: slow start after an RTO (CA_Loss) and for F-RTO's new data; no
        // growth in Recovery (cwnd stays at ssthresh: no PRR); in Open not on the ACK that
        // ended a recovery (cwnd was set there); always only when cwnd-limited
        // (tcp_is_cwnd_limited: in slow start, more than half of cwnd was in flight).
        boolean cwndLimited = tp.cwnd < tp.ssthresh ? priorInFlight * 2 > tp.cwnd : priorInFlight >= tp.cwnd;
        if ((rexmit & REXMIT_NEW) != 0 || tp.caState == TcpCong.TCP_CA_LOSS) {
            if (ackedPkts > 0 && cwndLimited) TcpCong.tcpCongAvoid(ctx, tp, ack, ackedPkts);
        } else if (tp.caState == TcpCong.TCP_CA_OPEN && advanced && (rexmit & ALERT_CWND_SET) == 0) {
            if (ackedPkts > 0 && cwndLimited) TcpCong.tcpCongAvoid(ctx, tp, ack, ackedPkts);
        }
        if (priorPackets > 0) tcpXmitRecovery(ctx, tp, s.skb, rexmit);
        // 6. tcp_ack_probe (the no_queue case: nothing was in flight): if the head of the send
        //    queue now fits the window, the probe timer stops and the backoff is forgotten; else
        //    it is re-armed from now by tcp_probe0_when.
        if (priorPackets == 0 && TcpSock.before(tp.sndNxt, tp.writeSeq)) {
            int headEnd = tp.sndNxt + Math.min(tp.mssCache, tp.writeSeq - tp.sndNxt);
            if (!TcpSock.after(headEnd, tp.sndUna + tp.sndWnd)) {
                tp.backoff = 0;
                tp.probeDeadline = 0;
            } else {
                tp.probeDeadline = ctx.nowNanos() + TcpTimer.tcpProbe0When(tp);
            }
        } else if (tp.sndWnd > 0) {
            tp.probeDeadline = 0;
        }
        // 7. tcp_check_space: what was acknowledged left the send buffer.
        if ((flag & FLAG_DATA_ACKED) != 0) tcp.tcpNewSpace(ctx, tp, s.skb);
        return SkbDropReason.NOT_DROPPED_YET;
    }

    /** tcp_ack's answer is a reason to drop the segment (the kernel's negative return). */
    static boolean tcpAckRejected(SkbDropReason r) {
        return r == SkbDropReason.TCP_TOO_OLD_ACK || r == SkbDropReason.TCP_ACK_UNSENT_DATA;
    }

    /**
     * tcp_ack_is_dubious, net/ipv4/tcp_input.c: a duplicate (nothing of FLAG_NOT_DUP), an ACK
     * that SACKs new data (FLAG_CA_ALERT; no ECN here), or any ACK out of the Open state goes
     * to tcp_fastretrans_alert.
     */
    static boolean tcpAckIsDubious(TcpSock tp, int flag) {
        return (flag & FLAG_NOT_DUP) == 0 || (flag & FLAG_CA_ALERT) != 0 || tp.caState != TcpCong.TCP_CA_OPEN;
    }

    /**
     * tcp_fastretrans_alert, net/ipv4/tcp_input.c: the loss recovery state machine and its undo,
     * in the kernel's order. Returns the rexmit (REXMIT_*, with ALERT_CWND_SET when it ended a
     * recovery and set cwnd). No Disorder or CWR state here: where the kernel would pick
     * Disorder, Open.
     * <ol>
     * <li>D: in Open, retrans_stamp is forgotten. Recovery ends when high_seq is acknowledged:
     *     tcp_try_undo_recovery (TCPFullUndo when the retransmissions were needless), else
     *     tcp_end_cwnd_reduction.</li>
     * <li>E, Recovery: a partial ACK may prove the hole was merely delayed
     *     (tcp_try_undo_partial, TCPPartialUndo), else the next hole is lost (NewReno); D-SACKs
     *     for every retransmission undo (tcp_try_undo_dsack, TCPDSACKUndo).</li>
     * <li>E, Loss: tcp_process_loss (Eifel, F-RTO, the end of the loss episode); if that
     *     reopened the window, on as in Open.</li>
     * <li>E, Open: tcp_try_undo_dsack, then three duplicate ACKs (sacked_out with SACK) enter
     *     Recovery (tcp_enter_recovery: TCPSackRecovery or TCPRenoRecovery), else
     *     tcp_try_to_open.</li>
     * </ol>
     */
    int tcpFastretransAlert(LayerContext ctx, TcpSock tp, Seg s, int priorSndUna, int flag, boolean isDupack,
                            int numDupack) {
        boolean advanced = (flag & FLAG_SND_UNA_ADVANCED) != 0;
        int result = REXMIT_NONE;
        // 1. D: state exit conditions.
        if (tp.caState == TcpCong.TCP_CA_OPEN) {
            tp.retransStampTs = 0;
        } else if (!TcpSock.before(tp.sndUna, tp.highSeq) && tp.caState == TcpCong.TCP_CA_RECOVERY) {
            tp.dupAcks = 0;
            if (tcpTryUndoRecovery(ctx, tp, s)) return REXMIT_NONE;
            if (tcpEndCwndReduction(tp)) result |= ALERT_CWND_SET;
        }
        // 2. E: process the state.
        switch (tp.caState) {
            case TcpCong.TCP_CA_RECOVERY:
                if (advanced) {
                    if (tcpTryUndoPartial(ctx, tp, s, priorSndUna)) return REXMIT_NONE;
                    // NewReno partial ACK (tcp_newreno_mark_lost): the next hole is lost too.
                    if (!tp.rtxQueue.isEmpty()) tcpMarkHeadLost(tp);
                }
                if (tcpTryUndoDsack(ctx, tp)) {
                    tcpTryKeepOpen(ctx, tp);
                    return REXMIT_NONE;
                }
                return REXMIT_LOST;
            case TcpCong.TCP_CA_LOSS:
                result |= tcpProcessLoss(ctx, tp, s, flag, numDupack);
                if (tp.caState != TcpCong.TCP_CA_OPEN) return result;
                // The window was reopened (undone or recovered): on as in Open.
                // fall through
            default:
                tcpTryUndoDsack(ctx, tp);
                if (isDupack) {
                    tp.dupAcks++;
                    if (tp.dupAcks >= tcp.sysctl(SysctlRegistry.TCP_REORDERING) && !tp.rtxQueue.isEmpty()) {
                        ctx.count(tp.netns, tp.sackOk ? Snmp.TcpExtTCPSackRecovery : Snmp.TcpExtTCPRenoRecovery, 1);
                        TcpCong.tcpEnterRecovery(ctx, tp);
                        tcpMarkHeadLost(tp);
                        return result | REXMIT_LOST;
                    }
                }
                tcpTryToOpen(ctx, tp);
                return result;
        }
    }

    /** tcp_newreno_mark_lost's marking: the head is lost unless it already is (or its retransmission is in flight). */
    static void tcpMarkHeadLost(TcpSock tp) {
        TcpSock.TxSeg head = tp.rtxQueue.peekFirst();
        if (head.lost || head.retransInFlight) return;
        head.lost = true;
    }

    /**
     * tcp_process_loss, net/ipv4/tcp_input.c: an ACK in CA_Loss. Back to Open if the lost data
     * is recovered or the timeout was spurious; else more retransmissions (REXMIT_LOST).
     * <ol>
     * <li>An ACK that moves snd_una: tcp_try_undo_loss(sk, false): Eifel (the ACK echoes a
     *     timestamp from before the first retransmission) or D-SACKs for every retransmission
     *     (undo_retrans 0) show the RTO spurious: TCPLossUndo (not TCPSpuriousRTOs), back to
     *     Open with SACK (without, Loss is held until high_seq).</li>
     * <li>F-RTO (RFC 5682 3.1, the SACK-enhanced version of net.ipv4.tcp_frto=2). Step 3.b:
     *     never-retransmitted data was acknowledged: tcp_try_undo_loss(sk, true): TCPLossUndo
     *     and TCPSpuriousRTOs. Step 3.a: after new data went (snd_nxt past high_seq), a
     *     duplicate ACK or new SACK means the loss was real: F-RTO ends. Step 2.b: the first
     *     ACK that advances snd_una below high_seq: high_seq moves to snd_nxt and new data
     *     goes (REXMIT_NEW), if there is some and the window allows; else F-RTO ends. Over a
     *     path whose delay jumps (each segment crosses a handful of Kafka hops; a commit or a
     *     GC pause can hold it for longer than the RTO), most timeouts are spurious.</li>
     * <li>high_seq acknowledged: tcp_try_undo_recovery (TCPLossUndo if it may undo), Open.
     *     Not undone, cwnd grows by one segment toward ssthresh here (the emulation's rule,
     *     kept from before).</li>
     * </ol>
     */
    int tcpProcessLoss(LayerContext ctx, TcpSock tp, Seg s, int flag, int numDupack) {
        boolean recovered = !TcpSock.before(tp.sndUna, tp.highSeq);
        // 1. Eifel or D-SACK undo.
        if ((flag & FLAG_SND_UNA_ADVANCED) != 0 && tcpTryUndoLoss(ctx, tp, s, false)) return REXMIT_NONE;
        // 2. F-RTO.
        if (tp.frto) {
            if ((flag & FLAG_ORIG_SACK_ACKED) != 0 && tcpTryUndoLoss(ctx, tp, s, true)) return REXMIT_NONE;
            if (TcpSock.after(tp.sndNxt, tp.highSeq)) {
                if ((flag & FLAG_DATA_SACKED) != 0 || numDupack > 0) tp.frto = false;
            } else if ((flag & FLAG_SND_UNA_ADVANCED) != 0 && !recovered) {
                tp.highSeq = tp.sndNxt;
                if (TcpSock.before(tp.sndNxt, tp.writeSeq) && TcpSock.after(tp.sndUna + tp.sndWnd, tp.sndNxt)) return REXMIT_NEW;
                tp.frto = false;
            }
        }
        // 3. The end of the loss episode.
        if (recovered) {
            boolean marked = tp.undoMarker;
            boolean held = tcpTryUndoRecovery(ctx, tp, s);
            tp.dupAcks = 0;
            if (!held && !(marked && !tp.undoMarker)) {
                tp.cwnd = Math.max(tp.cwnd, Math.min(tp.ssthresh, tp.cwnd + 1));
                return ALERT_CWND_SET;
            }
            return REXMIT_NONE;
        }
        return REXMIT_LOST;
    }

    /**
     * tcp_tsopt_ecr_before, net/ipv4/tcp_input.c: the ACK echoes a timestamp (less our
     * ts_offset) older than {@code when}.
     */
    static boolean tcpTsoptEcrBefore(TcpSock tp, Seg s, int when) {
        return s.sawTstamp && s.tsecr != 0 && TcpSock.before(s.tsecr - tp.tsOff, when);
    }

    /**
     * tcp_packet_delayed, net/ipv4/tcp_input.c (6.18): with a retrans_stamp, Eifel: the ACK
     * echoes a timestamp from before the first retransmission. Without one nothing was
     * retransmitted, so the segment was merely delayed, except where the kernel clears it
     * after retransmitting: a non-SACK connection at high_seq (tcp_is_non_sack_preventing_reopen)
     * and SYN_SENT (FLAG_SYN_ACKED).
     */
    static boolean tcpPacketDelayed(TcpSock tp, Seg s) {
        if (tp.retransStampTs != 0) return tcpTsoptEcrBefore(tp, s, tp.retransStampTs);
        if (!tp.sackOk && !TcpSock.before(tp.sndUna, tp.highSeq)) return false;
        return tp.state() != TcpState.TCP_SYN_SENT;
    }

    /**
     * tcp_any_retrans_done, net/ipv4/tcp_input.c: a retransmission is in flight, or the head was
     * ever retransmitted (retrans_stamp must then stay: the write timeout counts from it).
     */
    static boolean tcpAnyRetransDone(TcpSock tp) {
        if (TcpCong.tcpRetransOut(tp) > 0) return true;
        TcpSock.TxSeg head = tp.rtxQueue.peekFirst();
        return head != null && head.retransmitted;
    }

    /** tcp_may_undo: a reduction to undo, and every retransmission D-SACKed or the original shown delayed. */
    static boolean tcpMayUndo(TcpSock tp, Seg s) {
        return tp.undoMarker && (tp.undoRetrans == 0 || tcpPacketDelayed(tp, s));
    }

    /**
     * tcp_try_undo_recovery, net/ipv4/tcp_input.c: high_seq is acknowledged. If the
     * retransmissions were needless (tcp_may_undo) the reduction is undone, lost marks kept:
     * TCPLossUndo from Loss, TCPFullUndo from Recovery. A non-SACK connection holds the state
     * until something above high_seq is acknowledged (RFC 6582: no false fast retransmit) and
     * returns true; else Open.
     */
    boolean tcpTryUndoRecovery(LayerContext ctx, TcpSock tp, Seg s) {
        if (tcpMayUndo(tp, s)) {
            TcpCong.tcpUndoCwndReduction(tp, false);
            ctx.count(tp.netns, tp.caState == TcpCong.TCP_CA_LOSS ? Snmp.TcpExtTCPLossUndo : Snmp.TcpExtTCPFullUndo, 1);
        }
        if (tcpIsNonSackPreventingReopen(tp)) return true;
        TcpCong.tcpSetCaState(ctx, tp, TcpCong.TCP_CA_OPEN);
        return false;
    }

    /** tcp_is_non_sack_preventing_reopen: without SACK, hold the state at snd_una == high_seq (retrans_stamp forgotten if nothing was retransmitted). */
    static boolean tcpIsNonSackPreventingReopen(TcpSock tp) {
        if (tp.sndUna == tp.highSeq && !tp.sackOk) {
            if (!tcpAnyRetransDone(tp)) tp.retransStampTs = 0;
            return true;
        }
        return false;
    }

    /** tcp_try_undo_dsack: D-SACKs came back for every retransmission (undo_retrans 0): TCPDSACKUndo, lost marks kept. */
    boolean tcpTryUndoDsack(LayerContext ctx, TcpSock tp) {
        if (tp.undoMarker && tp.undoRetrans == 0) {
            TcpCong.tcpUndoCwndReduction(tp, false);
            ctx.count(tp.netns, Snmp.TcpExtTCPDSACKUndo, 1);
            return true;
        }
        return false;
    }

    /**
     * tcp_try_undo_loss: in Loss, after a partial ACK (tcp_may_undo) or by F-RTO
     * ({@code frtoUndo}): the reduction is undone and the lost marks cleared, TCPLossUndo
     * (and TCPSpuriousRTOs for F-RTO), icsk_retransmits 0; Open for F-RTO or with SACK.
     */
    boolean tcpTryUndoLoss(LayerContext ctx, TcpSock tp, Seg s, boolean frtoUndo) {
        if (!frtoUndo && !tcpMayUndo(tp, s)) return false;
        TcpCong.tcpUndoCwndReduction(tp, true);
        ctx.count(tp.netns, Snmp.TcpExtTCPLossUndo, 1);
        if (frtoUndo) ctx.count(tp.netns, Snmp.TcpExtTCPSpuriousRTOs, 1);
        tp.retransmits = 0;
        tp.dupAcks = 0;
        if (frtoUndo || tp.sackOk) TcpCong.tcpSetCaState(ctx, tp, TcpCong.TCP_CA_OPEN);
        return true;
    }

    /**
     * tcp_try_undo_partial: a partial ACK in Recovery whose timestamp shows the hole was filled
     * by the delayed original, not by the retransmission (tcp_packet_delayed): reordering
     * (TCPTSReorder). With retransmissions still in flight nothing more is marked or sent;
     * else the reduction is undone, lost marks cleared: TCPPartialUndo, Open.
     */
    boolean tcpTryUndoPartial(LayerContext ctx, TcpSock tp, Seg s, int priorSndUna) {
        if (!tp.undoMarker || !tcpPacketDelayed(tp, s)) return false;
        tcpCheckSackReordering(ctx, tp, priorSndUna, true);
        if (TcpCong.tcpRetransOut(tp) > 0) return true;
        if (!tcpAnyRetransDone(tp)) tp.retransStampTs = 0;
        TcpCong.tcpUndoCwndReduction(tp, true);
        ctx.count(tp.netns, Snmp.TcpExtTCPPartialUndo, 1);
        tcpTryKeepOpen(ctx, tp);
        return true;
    }

    /**
     * The counting of tcp_check_sack_reordering: data above {@code lowSeq} was delivered first
     * (TCPTSReorder when a timestamp showed it, else TCPSACKReorder). The reordering degree
     * itself (tp->reordering) is not kept: net.ipv4.tcp_reordering is used.
     */
    static void tcpCheckSackReordering(LayerContext ctx, TcpSock tp, int lowSeq, boolean ts) {
        int fack = tp.sackOk && TcpSock.after(tp.highSacked, tp.sndUna) && !TcpSock.after(tp.highSacked, tp.sndNxt)
                ? tp.highSacked : tp.sndUna;
        if (!TcpSock.before(lowSeq, fack)) return;
        ctx.count(tp.netns, ts ? Snmp.TcpExtTCPTSReorder : Snmp.TcpExtTCPSACKReorder, 1);
    }

    /** tcp_try_keep_open: back to Open (the kernel's Disorder is Open here), high_seq at snd_nxt if the state changes. */
    static void tcpTryKeepOpen(LayerContext ctx, TcpSock tp) {
        if (tp.caState != TcpCong.TCP_CA_OPEN) {
            TcpCong.tcpSetCaState(ctx, tp, TcpCong.TCP_CA_OPEN);
            tp.highSeq = tp.sndNxt;
        }
    }

    /** tcp_try_to_open: retrans_stamp forgotten once nothing retransmitted is outstanding; tcp_try_keep_open. */
    static void tcpTryToOpen(LayerContext ctx, TcpSock tp) {
        if (!tcpAnyRetransDone(tp)) tp.retransStampTs = 0;
        tcpTryKeepOpen(ctx, tp);
    }

    /**
     * tcp_end_cwnd_reduction: at the end of Recovery cwnd is ssthresh unless the reduction was
     * undone (undo_marker cleared). True when it set cwnd.
     */
    static boolean tcpEndCwndReduction(TcpSock tp) {
        if (tp.ssthresh < TcpCong.TCP_INFINITE_SSTHRESH && tp.undoMarker) {
            tp.cwnd = tp.ssthresh;
            return true;
        }
        return false;
    }

    /**
     * tcp_xmit_recovery: after the congestion window is updated, REXMIT_NEW sends new data first
     * (F-RTO, Nagle off), and if none could go F-RTO ends and the lost segments go again, as
     * they do for REXMIT_LOST (tcp_xmit_retransmit_queue).
     */
    void tcpXmitRecovery(LayerContext ctx, TcpSock tp, SkBuff parent, int rexmit) {
        if ((rexmit & (REXMIT_LOST | REXMIT_NEW)) == 0 || tp.state() == TcpState.TCP_SYN_SENT) return;
        if ((rexmit & REXMIT_NEW) != 0) {
            boolean nodelay = tp.nodelay;
            tp.nodelay = true;
            out.tcpWriteXmit(ctx, tp, parent);
            tp.nodelay = nodelay;
            if (TcpSock.after(tp.sndNxt, tp.highSeq)) return;
            tp.frto = false;
        }
        tcpXmitRetransmitQueue(ctx, tp, parent);
    }

    /**
     * tcp_check_dsack, net/ipv4/tcp_input.c (RFC 2883): the first SACK block is a D-SACK when
     * it lies below the cumulative ACK (TCPDSACKRecv) or inside the second block
     * (TCPDSACKOfoRecv). tcp_dsack_seen rejects a dubious one (longer than the largest window,
     * or more duplicates reported than segments ever retransmitted: TCPDSACKIgnoredDubious);
     * else TCPDSACKRecvSegs, and a D-SACK of data below the ACK before this one, above
     * undo_marker, counts that many retransmissions needless ("dumb counting": undo_retrans).
     * The block then goes through tcp_sacktag_write_queue ({@link #tcpSacktagDsack}). Returns
     * FLAG_DSACKING_ACK or 0.
     */
    int tcpCheckDsack(LayerContext ctx, TcpSock tp, Seg s, int priorSndUna) {
        int start0 = s.sacks[0];
        int end0 = s.sacks[1];
        if (TcpSock.before(start0, s.ackSeq)) {
            ctx.count(tp.netns, Snmp.TcpExtTCPDSACKRecv, 1);
        } else if (s.numSacks > 1) {
            if (TcpSock.after(end0, s.sacks[3]) || TcpSock.before(start0, s.sacks[2])) return 0;
            ctx.count(tp.netns, Snmp.TcpExtTCPDSACKOfoRecv, 1);
        } else {
            return 0;
        }
        int dupSegs = tcpDsackSeen(tp, start0, end0);
        if (dupSegs == 0) {
            ctx.count(tp.netns, Snmp.TcpExtTCPDSACKIgnoredDubious, 1);
            return 0;
        }
        ctx.count(tp.netns, Snmp.TcpExtTCPDSACKRecvSegs, dupSegs);
        if (tp.undoMarker && tp.undoRetrans > 0 && !TcpSock.after(end0, priorSndUna)
                && TcpSock.after(end0, tp.undoMarkerSeq)) {
            tp.undoRetrans = Math.max(0, tp.undoRetrans - dupSegs);
        }
        tcpSacktagDsack(ctx, tp, start0, end0, priorSndUna);
        return FLAG_DSACKING_ACK;
    }

    /**
     * tcp_dsack_seen: how many segments the D-SACK reports (its length in MSS, rounded up), 0
     * for a dubious one: reversed, longer than max_window, or past total_retrans in all.
     */
    static int tcpDsackSeen(TcpSock tp, int start, int end) {
        if (!TcpSock.before(start, end)) return 0;
        int seqLen = end - start;
        if (Integer.compareUnsigned(seqLen, tp.maxWindow) > 0) return 0;
        int dupSegs = 1;
        if (tp.mssCache > 0 && seqLen > tp.mssCache) dupSegs = (seqLen + tp.mssCache - 1) / tp.mssCache;
        tp.dsackDups += dupSegs;
        if (Integer.compareUnsigned(tp.dsackDups, tp.totalRetrans) > 0) return 0;
        return dupSegs;
    }

    /**
     * The D-SACK block in tcp_sacktag_write_queue: tcp_is_sackblock_valid (one below snd_una
     * needs an undo_marker, TCPDSACKIgnoredNoUndo, and must not lie below it,
     * TCPDSACKIgnoredOld); one wholly below the previous snd_una was counted by
     * tcp_check_dsack; else tcp_sacktag_one for each segment it covers: a retransmitted one
     * above undo_marker lowers undo_retrans, and its retransmission is no longer in flight.
     */
    static void tcpSacktagDsack(LayerContext ctx, TcpSock tp, int start, int end, int priorSndUna) {
        if (!tcpIsSackblockValid(tp, true, start, end)) {
            ctx.count(tp.netns, tp.undoMarker ? Snmp.TcpExtTCPDSACKIgnoredOld : Snmp.TcpExtTCPDSACKIgnoredNoUndo, 1);
            return;
        }
        if (!TcpSock.after(end, priorSndUna)) return;
        for (TcpSock.TxSeg seg : tp.rtxQueue) {
            if (!TcpSock.before(seg.seq, end)) break;
            if (TcpSock.before(seg.seq, start) || TcpSock.after(seg.endSeq, end)) continue;
            if (seg.retransmitted && tp.undoMarker && tp.undoRetrans > 0 && TcpSock.after(seg.endSeq, tp.undoMarkerSeq)) {
                tp.undoRetrans--;
            }
            if (TcpSock.after(seg.endSeq, tp.sndUna)) seg.retransInFlight = false;
        }
    }

    /**
     * tcp_is_sackblock_valid, net/ipv4/tcp_input.c: inside (snd_una, snd_nxt); a D-SACK may lie
     * below snd_una, down to undo_marker (crossing it by at most max_window).
     */
    static boolean tcpIsSackblockValid(TcpSock tp, boolean isDsack, int start, int end) {
        if (TcpSock.after(end, tp.sndNxt) || !TcpSock.before(start, end)) return false;
        if (!TcpSock.before(start, tp.sndNxt)) return false;
        if (TcpSock.after(start, tp.sndUna)) return true;
        if (!isDsack || !tp.undoMarker) return false;
        if (TcpSock.after(end, tp.sndUna)) return false;
        if (!TcpSock.before(start, tp.undoMarkerSeq)) return true;
        if (!TcpSock.after(end, tp.undoMarkerSeq)) return false;
        return !TcpSock.before(start, end - tp.maxWindow);
    }

    /**
     * The part of tcp_sacktag_write_queue that decides loss recovery here: with SACK, Linux
     * enters recovery from what the peer SACKed (sacked_out), not from counting duplicate ACKs,
     * so a duplicate ACK that SACKs nothing new does not count. That is what the peer sends for
     * every segment it already had (a D-SACK, RFC 2883: tcp_check_dsack, TCPDSACKRecv): over
     * the live wire each spurious retransmission came back as a duplicate ACK, three of them
     * started a spurious fast retransmit, which came back as more duplicate ACKs. Returns
     * whether the ACK SACKed data above snd_una not SACKed before (the reach is remembered in
     * highSacked). The scoreboard itself is not kept: the recovery retransmits from the head.
     */
    boolean tcpSacktag(LayerContext ctx, TcpSock tp, Seg s, int ack) {
        if (s.numSacks == 0) return false;
        // tcp_check_dsack: the first block below the cumulative ACK, or inside the second.
        int start0 = s.sacks[0];
        int end0 = s.sacks[1];
        boolean dsack = TcpSock.before(start0, ack)
                || (s.numSacks > 1 && !TcpSock.before(start0, s.sacks[2]) && !TcpSock.after(end0, s.sacks[3]));
        boolean news = false;
        for (int i = dsack ? 1 : 0; i < s.numSacks; i++) {
            int end = s.sacks[2 * i + 1];
            // The reach counts only inside (snd_una, snd_nxt]: highSacked starts at 0, not at
            // a sequence number, and for a connection whose ISN put 0 "after" snd_una (half of
            // them) no SACK block was ever new, so SACK recovery never started.
            int reach = TcpSock.after(tp.highSacked, ack) && !TcpSock.after(tp.highSacked, tp.sndNxt) ? tp.highSacked : ack;
            if (TcpSock.after(end, reach) && !TcpSock.after(end, tp.sndNxt)) {
                tp.highSacked = end;
                news = true;
            }
        }
        return news;
    }

    /**
     * tcp_ack_update_window / tcp_may_update_window (RFC 793 SND.WL1/WL2); a zero window from the
     * same segment sequence is taken too (6.x: "|| !nwin"), so a receiver can close its window.
     */
    static int tcpAckUpdateWindow(TcpSock tp, Seg s, int ack) {
        int nwin = s.th.window();
        if (!s.syn()) nwin <<= tp.sndWscale;
        if (TcpSock.after(ack, tp.sndUna) || TcpSock.after(s.seq, tp.sndWl1)
                || (s.seq == tp.sndWl1 && (nwin > tp.sndWnd || nwin == 0))) {
            tp.sndWl1 = s.seq;
            if (tp.sndWnd != nwin) {
                tp.sndWnd = nwin;
                tp.maxWindow = Math.max(tp.maxWindow, nwin);
                return FLAG_WIN_UPDATE;
            }
        }
        return 0;
    }

    /**
     * tcp_xmit_retransmit_queue: the segments marked lost go again as the congestion window
     * allows (TCPFastRetrans in recovery, TCPSlowStartRetrans after an RTO).
     */
    void tcpXmitRetransmitQueue(LayerContext ctx, TcpSock tp, SkBuff parent) {
        for (TcpSock.TxSeg seg : tp.rtxQueue) {
            if (!seg.lost) continue;
            if (tp.packetsInFlight() >= tp.cwnd) break;
            seg.lost = false;
            out.tcpRetransmitSkb(ctx, tp, seg, parent);
            ctx.count(tp.netns, tp.caState == TcpCong.TCP_CA_LOSS ? Snmp.TcpExtTCPSlowStartRetrans : Snmp.TcpExtTCPFastRetrans, 1);
        }
    }

    /**
     * tcp_data_queue: in-order data goes to the socket (and the out-of-order queue is drained
     * behind it), a FIN runs tcp_fin; a retransmission of what we have forces an ACK
     * (DelayedACKLost); data past the window is dropped; a hole queues it out of order.
     */
    void tcpDataQueue(LayerContext ctx, TcpSock tp, Seg s) {
        ctx.trace(s.skb, "tcp_data_queue");
        if (s.seq == s.endSeq) {
            ctx.consume(s.skb);
            return;
        }
        boolean fin = s.fin();
        int dataSeq = s.seq;
        int len = s.len;
        // 1. The next segment expected (or an overlap that brings new bytes).
        if (!TcpSock.after(dataSeq, tp.rcvNxt) && TcpSock.after(s.endSeq, tp.rcvNxt)) {
            if (TcpOutput.tcpReceiveWindow(tp) == 0 && len > 0 && dataSeq == tp.rcvNxt) {
                ctx.count(tp.netns, Snmp.TcpExtTCPZeroWindowDrop, 1);
                tcpEnterQuickackMode(tp, TcpOutput.TCP_MAX_QUICKACKS);
                tp.ackPending = true;
                tp.ackNow = true;
                ctx.drop(s.skb, SkbDropReason.TCP_ZEROWINDOW);
                return;
            }
            // tcp_try_rmem_schedule: no room left under sk_rcvbuf (what the socket holds unread)
            // drops the segment before it is acknowledged, unless the receive queue is empty.
            if (len > 0 && tp.rmemAlloc > 0 && tp.rmemAlloc + len > tp.rcvbuf) {
                tp.ackPending = true;
                tp.ackNow = true;
                ctx.count(tp.netns, Snmp.TcpExtTCPRcvQDrop, 1);
                ctx.drop(s.skb, SkbDropReason.PROTO_MEM);
                return;
            }
            int skip = tp.rcvNxt - dataSeq;
            int newBytes = Math.max(0, len - skip);
            tp.rcvNxt = s.endSeq;
            if (len > 0) tcpEventDataRecv(ctx, tp, len);
            if (newBytes > 0) {
                s.skb.pull(s.dataOff + skip);
                deliver(ctx, tp, s.skb);
            }
            if (fin) tcpFin(ctx, tp, s.skb);
            if (!tp.ofo.isEmpty()) {
                tcpOfoQueue(ctx, tp, s.skb);
                // RFC 5681 4.2: ACK at once when a hole is filled.
                if (tp.ofo.isEmpty()) tp.ackNow = true;
            }
            if (newBytes == 0) ctx.consume(s.skb);
            return;
        }
        // 2. Entirely old: our ACK must have been lost.
        if (!TcpSock.after(s.endSeq, tp.rcvNxt)) {
            ctx.count(tp.netns, Snmp.TcpExtDelayedACKLost, 1);
            tcpEnterQuickackMode(tp, TcpOutput.TCP_MAX_QUICKACKS);
            tp.ackPending = true;
            tp.ackNow = true;
            ctx.drop(s.skb, SkbDropReason.TCP_OLD_DATA);
            return;
        }
        // 3. Beyond the window.
        if (!TcpSock.before(dataSeq, tp.rcvNxt + TcpOutput.tcpReceiveWindow(tp))) {
            tcpEnterQuickackMode(tp, TcpOutput.TCP_MAX_QUICKACKS);
            tp.ackPending = true;
            tp.ackNow = true;
            ctx.drop(s.skb, SkbDropReason.TCP_OVERWINDOW);
            return;
        }
        // 4. tcp_data_queue_ofo.
        tcpDataQueueOfo(ctx, tp, s);
    }

    /**
     * tcp_data_queue_ofo: the segment waits in the out-of-order queue (TCPOFOQueue); a copy of
     * what is already there is dropped (TCPOFODrop... here TCPOFOMerge); an ACK goes at once.
     * Either way the receive buffer is provisioned for what the queue spans (tcp_rcvbuf_grow),
     * unless no application holds the socket yet or any more ("if (sk->sk_socket)").
     */
    void tcpDataQueueOfo(LayerContext ctx, TcpSock tp, Seg s) {
        ctx.trace(s.skb, "tcp_data_queue_ofo");
        ctx.count(tp.netns, Snmp.TcpExtTCPOFOQueue, 1);
        byte[] data = s.skb.bytes(s.skb.data() + s.dataOff, s.skb.tail());
        int seq = s.seq;
        tp.ackPending = true;
        tp.ackNow = true;
        boolean merged = false;
        for (TcpSock.OfoSeg o : tp.ofo) {
            if (!TcpSock.before(seq, o.seq) && !TcpSock.after(seq + data.length, o.seq + o.data.length)
                    && (!s.fin() || o.fin)) {
                merged = true;
                break;
            }
        }
        if (!merged) {
            int i = 0;
            while (i < tp.ofo.size() && TcpSock.before(tp.ofo.get(i).seq, seq)) i++;
            tp.ofo.add(i, new TcpSock.OfoSeg(seq, data, s.fin()));
            tp.lastOfoSeq = seq;
        }
        if (!tp.unaccepted && !tp.dead) tcpRcvbufGrow(ctx, tp, s.skb);
        if (merged) {
            ctx.count(tp.netns, Snmp.TcpExtTCPOFOMerge, 1);
            ctx.drop(s.skb, SkbDropReason.TCP_OFOMERGE);
        } else {
            ctx.consume(s.skb);
        }
    }

    /** tcp_ofo_queue: what became in order moves to the socket; duplicates are dropped. */
    void tcpOfoQueue(LayerContext ctx, TcpSock tp, SkBuff parent) {
        while (!tp.ofo.isEmpty()) {
            TcpSock.OfoSeg o = tp.ofo.get(0);
            if (TcpSock.after(o.seq, tp.rcvNxt)) break;
            tp.ofo.remove(0);
            if (!TcpSock.after(o.endSeq(), tp.rcvNxt)) continue;
            int skip = tp.rcvNxt - o.seq;
            byte[] data = Arrays.copyOfRange(o.data, Math.min(skip, o.data.length), o.data.length);
            tp.rcvNxt = o.endSeq();
            if (data.length > 0) {
                SkBuff skb = ctx.allocSkb(tp.netns, parent, 0, data.length);
                skb.putData(data);
                ctx.trace(skb, "tcp_ofo_queue");
                deliver(ctx, tp, skb);
            }
            if (o.fin) {
                tcpFin(ctx, tp, parent);
                break;
            }
        }
    }

    /** tcp_queue_rcv: the bytes go to the socket layer's receive queue (data at the payload). */
    void deliver(LayerContext ctx, TcpSock tp, SkBuff skb) {
        ctx.trace(skb, "tcp_queue_rcv");
        tp.rmemAlloc += skb.len();
        ControlBlock cb = skb.cb();
        cb.socket = tp.key;
        cb.saddr = tp.raddr;
        cb.sport = tp.rport;
        cb.daddr = tp.laddr;
        cb.dport = tp.lport;
        cb.ipProtocol = TcpHeader.IPPROTO_TCP;
        cb.sockOp = ControlBlock.SOCK_OP_DATA;
        if (tp.dead) {
            ctx.drop(skb, SkbDropReason.TCP_CLOSE);
            return;
        }
        ctx.enqueue(KernelQueue.SK_RECEIVE_QUEUE, skb);
    }

    /**
     * tcp_event_data_recv: the peer's segment size (tcp_measure_rcv_mss), the receiver's RTT
     * (tcp_rcv_rtt_measure), quick ACK mode on the first data, the delayed-ACK estimator ato,
     * and tcp_grow_window.
     */
    void tcpEventDataRecv(LayerContext ctx, TcpSock tp, int len) {
        // inet_csk_schedule_ack: data wants an ACK, now or delayed.
        tp.ackPending = true;
        if (len >= tp.rcvMss) tp.rcvMss = Math.min(len, tp.advmss);
        tcpRcvRttMeasure(ctx, tp);
        long now = ctx.nowNanos();
        if (tp.atoNanos == 0) {
            tcpEnterQuickackMode(tp, TcpOutput.TCP_MAX_QUICKACKS);
            tp.atoNanos = TcpOutput.TCP_ATO_MIN;
        } else {
            long m = now - tp.lastDataNanos;
            if (m <= TcpOutput.TCP_ATO_MIN / 2) {
                tp.atoNanos = (tp.atoNanos >> 1) + TcpOutput.TCP_ATO_MIN / 2;
            } else if (m < tp.atoNanos) {
                tp.atoNanos = Math.min((tp.atoNanos >> 1) + m, tp.rtoNanos);
            } else if (m > tp.rtoNanos) {
                tcpIncrQuickack(tp, TcpOutput.TCP_MAX_QUICKACKS);
            }
        }
        tp.lastDataNanos = now;
        // tcp_grow_window: rcv_ssthresh climbs two segments at a time toward the clamp.
        if (len >= 128 && tp.rcvSsthresh < tp.windowClamp
                && tp.rcvSsthresh < TcpIpv4.tcpWinFromSpace(tp.rcvbuf - tp.rmemAlloc)) {
            tp.rcvSsthresh = Math.min(tp.rcvSsthresh + 2 * tp.advmss, tp.windowClamp);
        }
    }

    /** tcp_incr_quickack */
    static void tcpIncrQuickack(TcpSock tp, int max) {
        int q = tp.rcvWnd / (2 * Math.max(tp.rcvMss, 1));
        if (q == 0) q = 2;
        q = Math.min(q, max);
        if (q > tp.quick) tp.quick = q;
    }

    /** tcp_enter_quickack_mode: quick ACKs, pingpong off, ato back to the minimum. */
    static void tcpEnterQuickackMode(TcpSock tp, int max) {
        tcpIncrQuickack(tp, max);
        tp.pingpong = false;
        tp.atoNanos = TcpOutput.TCP_ATO_MIN;
    }

    // --- receive-buffer autotuning ("receiver autotuning", tcp_input.c) --------------------

    /** tcp_mstamp: the time of the event in microseconds (tcp_mstamp_refresh). */
    static long tcpMstampUs(LayerContext ctx) { return ctx.nowNanos() / 1000; }

    /**
     * tp->advmss once the connection is established: the MSS we announced less the timestamp
     * option when timestamps were agreed (tcp_rcv_synsent_state_process, tcp_rcv_state_process
     * before tcp_init_transfer); {@link TcpSock#advmss} keeps what the SYN announced.
     */
    static int tcpEstablishedAdvmss(TcpSock tp) {
        return tp.advmss - (tp.tstampOk ? TcpHeader.TCPOLEN_TSTAMP_ALIGNED : 0);
    }

    /**
     * tcp_init_buffer_space, net/ipv4/tcp_input.c (the end of tcp_init_transfer): the DRS
     * measurement starts now at copied_seq; window_clamp is at most the full space
     * (tcp_full_space), less 1/2^tcp_app_win of it when that leaves four segments, and one
     * segment is always kept back ("force reservation of one segment"); rcv_ssthresh follows;
     * rcvq_space.space starts at what the initial window lets in, at most TCP_INIT_CWND segments.
     * (sk_sndbuf's tcp_sndbuf_expand is TcpIpv4.sndbufPayload's, when the socket layer is told.)
     */
    void tcpInitBufferSpace(LayerContext ctx, TcpSock tp) {
        // tcp_app_win is a u8 sysctl limited to 31 (tcp_app_win_max).
        int appWin = Math.max(0, Math.min(31, tcp.sysctl(SysctlRegistry.TCP_APP_WIN)));
        int advmss = tcpEstablishedAdvmss(tp);
        tp.rcvqSpaceTimeUs = tcpMstampUs(ctx);
        tp.rcvqSpaceSeq = tp.copiedSeq();
        int maxwin = (int) TcpIpv4.tcpWinFromSpace(tp.rcvbuf);
        if (tp.windowClamp >= maxwin) {
            tp.windowClamp = maxwin;
            if (appWin != 0 && maxwin > 4 * advmss) tp.windowClamp = Math.max(maxwin - (maxwin >> appWin), 4 * advmss);
        }
        if (appWin != 0 && tp.windowClamp > 2 * advmss && tp.windowClamp + advmss > maxwin) {
            tp.windowClamp = Math.max(2 * advmss, maxwin - advmss);
        }
        tp.rcvSsthresh = Math.min(tp.rcvSsthresh, tp.windowClamp);
        tp.rcvqSpace = Math.min(Math.min(tp.rcvSsthresh, tp.rcvWnd), TcpTimer.TCP_INIT_CWND * advmss);
    }

    /**
     * tcp_rcv_rtt_update (6.18): a sample (us) below the estimate is taken at once (the estimate
     * seeks the minimum); a larger one only from timestamps (win_dep false), smoothed by 1/8, and
     * only while the receive queue is empty, so a slow reader does not inflate it.
     */
    static void tcpRcvRttUpdate(TcpSock tp, long sampleUs, boolean winDep) {
        long old = tp.rcvRttEstUs8;
        long m = sampleUs << 3;
        if (old == 0 || m < old) {
            tp.rcvRttEstUs8 = m;
            return;
        }
        if (winDep) return;
        if (tp.rcvNxt != tp.copiedSeq()) return;
        tp.rcvRttEstUs8 = old - (old >> 3) + sampleUs;
    }

    /**
     * tcp_rcv_rtt_measure: without timestamps, one sample per window: the time rcv_nxt took to
     * pass the right edge of the window offered when the sample began (Dynamic Right-Sizing).
     */
    static void tcpRcvRttMeasure(LayerContext ctx, TcpSock tp) {
        long now = tcpMstampUs(ctx);
        if (tp.rcvRttEstTimeUs != 0) {
            if (TcpSock.before(tp.rcvNxt, tp.rcvRttEstSeq)) return;
            long delta = Math.max(0, now - tp.rcvRttEstTimeUs);
            tcpRcvRttUpdate(tp, delta == 0 ? 1 : delta, true);
        }
        tp.rcvRttEstSeq = tp.rcvNxt + tp.rcvWnd;
        tp.rcvRttEstTimeUs = now;
    }

    /**
     * tcp_rcv_rtt_measure_ts: a segment of at least rcv_mss whose TSecr is new echoes one of our
     * TSvals: now less it is an RTT sample (tcp_rtt_tsopt_us with min_delta 0: a sample under
     * the TS clock's millisecond is no sample).
     */
    void tcpRcvRttMeasureTs(LayerContext ctx, TcpSock tp, Seg s) {
        if (tp.rcvTsecr == tp.rcvRttLastTsecr) return;
        tp.rcvRttLastTsecr = tp.rcvTsecr;
        if (s.endSeq - s.seq >= tp.rcvMss) {
            // tcp_time_stamp_ts (without ts_offset) - rcv_tsecr, u32.
            int delta = TcpOutput.tsval(ctx, tp) - tp.tsOff - tp.rcvTsecr;
            if (delta > 0 && delta < Integer.MAX_VALUE / 1000) tcpRcvRttUpdate(tp, delta * 1000L, false);
        }
    }

    /**
     * tcp_rcv_space_adjust (6.18), from tcp_recvmsg when the application read: once an RTT
     * (rcv_rtt_est) has passed since the measurement began, what it read in that time less what
     * is still queued is the new rcvq_space.space if larger, and tcp_rcvbuf_grow sizes the
     * buffer for it; either way the next measurement starts. The kernel calls it for each skb a
     * read copies; a read here is one call for all it copied (the socket layer reports bytes).
     */
    void tcpRcvSpaceAdjust(LayerContext ctx, TcpSock tp, SkBuff parent) {
        long now = tcpMstampUs(ctx);
        if (tp.rcvqSpace == 0) {
            // Not from the kernel: a socket restored from a snapshot that predates autotuning
            // starts its measurement here (tcp_init_buffer_space's rcvq_space part).
            tp.rcvqSpace = Math.min(Math.min(tp.rcvSsthresh, tp.rcvWnd), TcpTimer.TCP_INIT_CWND * tcpEstablishedAdvmss(tp));
            tp.rcvqSpaceSeq = tp.copiedSeq();
            tp.rcvqSpaceTimeUs = now;
            return;
        }
        long time = Math.max(0, now - tp.rcvqSpaceTimeUs);
        if (time < (tp.rcvRttEstUs8 >> 3) || tp.rcvRttEstUs8 == 0) return;
        int copied = tp.copiedSeq() - tp.rcvqSpaceSeq;
        int inq = tp.rcvNxt - tp.copiedSeq();
        copied -= inq;
        if (copied > tp.rcvqSpace) {
            tp.rcvqSpace = copied;
            tcpRcvbufGrow(ctx, tp, parent);
        }
        tp.rcvqSpaceSeq = tp.copiedSeq();
        tp.rcvqSpaceTimeUs = now;
    }

    /**
     * tcp_rcvbuf_grow (6.18): room for twice rcvq_space.space (the sender may double its rate in
     * slow start) plus what the out-of-order queue spans, as buffer (tcp_space_from_win), at most
     * tcp_rmem[2]; sk_rcvbuf only grows, and window_clamp follows it. Not with
     * tcp_moderate_rcvbuf 0, nor when the application set SO_RCVBUF (SOCK_RCVBUF_LOCK). The
     * socket layer is told, for getsockopt(SO_RCVBUF).
     */
    void tcpRcvbufGrow(LayerContext ctx, TcpSock tp, SkBuff parent) {
        if (tcp.sysctl(SysctlRegistry.TCP_MODERATE_RCVBUF) == 0 || tp.rcvbufLock) return;
        long rcvwin = (long) tp.rcvqSpace << 1;
        if (!tp.ofo.isEmpty()) {
            int last = tp.ofo.get(0).endSeq();
            for (TcpSock.OfoSeg o : tp.ofo) if (TcpSock.after(o.endSeq(), last)) last = o.endSeq();
            rcvwin += last - tp.rcvNxt;
        }
        long rcvbuf = Math.min(TcpIpv4.tcpSpaceFromWin(rcvwin), tcp.rmemMax());
        if (rcvbuf > tp.rcvbuf) {
            tp.rcvbuf = (int) rcvbuf;
            tp.windowClamp = (int) TcpIpv4.tcpWinFromSpace(rcvbuf);
            tcp.tcpRcvbufChanged(ctx, tp, parent);
        }
    }

    /**
     * tcp_fin: the peer closed its side. ESTABLISHED (or SYN_RECV) to CLOSE_WAIT with delayed
     * ACKs (pingpong); FIN_WAIT1 to CLOSING; FIN_WAIT2 to TIME_WAIT. The out-of-order queue is
     * purged; the application sees EOF.
     */
    void tcpFin(LayerContext ctx, TcpSock tp, SkBuff skb) {
        ctx.trace(skb, "tcp_fin");
        tp.ackPending = true;
        tp.shutdown |= TcpSock.RCV_SHUTDOWN;
        switch (tp.state()) {
            case TCP_SYN_RECV:
            case TCP_ESTABLISHED:
                tp.setState(ctx, TcpState.TCP_CLOSE_WAIT);
                tp.pingpong = true;
                break;
            case TCP_FIN_WAIT1:
                // Simultaneous close: ACK their FIN, wait for the ACK of ours.
                out.tcpSendAck(ctx, tp, skb);
                tp.setState(ctx, TcpState.TCP_CLOSING);
                break;
            case TCP_FIN_WAIT2:
                out.tcpSendAck(ctx, tp, skb);
                TcpMinisocks.tcpTimeWait(ctx, tcp, tp, TcpState.TCP_TIME_WAIT, TcpTimer.TCP_TIMEWAIT_LEN);
                break;
            default:
                break;
        }
        tp.ofo.clear();
        if (!tp.dead) tcp.sockEvent(ctx, tp.key, ControlBlock.SOCK_OP_EOF, 0, null, tp, skb);
    }

    /**
     * tcp_ack_snd_check / __tcp_ack_snd_check: ACK at once when more than one full segment
     * arrived since the last ACK and the window would not shrink, in quick ACK mode, with
     * out-of-order data, or when asked to (ICSK_ACK_NOW); else a delayed ACK.
     */
    void tcpAckSndCheck(LayerContext ctx, TcpSock tp, SkBuff skb) {
        if (!tp.ackPending) return;
        boolean quickMode = tp.quick > 0 && !tp.pingpong;
        if (tp.ackNow || ((tp.rcvNxt - tp.rcvWup) > tp.rcvMss && out.tcpSelectWindowRaw(tp) >= tp.rcvWnd)
                || quickMode || !tp.ofo.isEmpty()) {
            tp.ackNow = false;
            out.tcpSendAck(ctx, tp, skb);
            return;
        }
        out.tcpSendDelayedAck(ctx, tp, skb);
    }
}
