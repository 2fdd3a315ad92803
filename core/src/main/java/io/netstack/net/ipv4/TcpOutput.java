package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.skb.SkBuff;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Bytes;
import io.netstack.wire.TcpHeader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * net/ipv4/tcp_output.c for established connections: building and sending segments
 * (__tcp_transmit_skb), the send loop with Nagle and the windows (tcp_write_xmit), the
 * receive window we advertise (tcp_select_window), ACKs, delayed ACKs, FIN, RST, the active
 * open (tcp_connect) and the probes (tcp_xmit_probe_skb).
 *
 * <p>No TSO/GSO: every segment is at most one MSS. No autocorking, no TSQ, no pacing.
 */
final class TcpOutput implements java.io.Serializable {

    private final TcpIpv4 tcp;

    TcpOutput(TcpIpv4 tcp) { this.tcp = tcp; }

    /** TCP_ATO_MIN (HZ/25) and TCP_DELACK_MAX (HZ/5). */
    static final long TCP_ATO_MIN = 40_000_000L;
    static final long TCP_DELACK_MAX = 200_000_000L;
    /** TCP_MAX_QUICKACKS */
    static final int TCP_MAX_QUICKACKS = 16;

    /**
     * __tcp_transmit_skb, net/ipv4/tcp_output.c: the header (ACK of rcv_nxt on everything but
     * the first SYN, the window from tcp_select_window, timestamps and SACK blocks from
     * tcp_established_options), the checksum, and the segment to IP (ip_queue_xmit). TcpOutSegs
     * counts what is not a retransmission of data (after(end_seq, snd_nxt) or no sequence
     * space); tcp_event_ack_sent when it carries an ACK.
     */
    void tcpTransmitSkb(LayerContext ctx, TcpSock tp, SkBuff parent, int seq, int flags, byte[] data,
                        byte[] synOptions, String fn) {
        byte[] opts = synOptions != null ? synOptions : tcpEstablishedOptions(ctx, tp);
        int hlen = TcpHeader.LEN + opts.length;
        int len = hlen + data.length;
        SkBuff out = ctx.allocSkb(tp.netns, parent, SkBuff.DEFAULT_HEADROOM, len);
        int at = out.put(len);
        out.setTransportHeader(at);
        TcpHeader th = new TcpHeader(out.head(), at);
        th.setSource(tp.lport);
        th.setDest(tp.rport);
        th.setSeq(seq);
        boolean syn = (flags & TcpHeader.SYN) != 0;
        if ((flags & TcpHeader.ACK) != 0) th.setAckSeq(tp.rcvNxt);
        th.setDoff(hlen / 4);
        th.setFlags(flags);
        // RFC 7323 2.2: the window of a SYN is never scaled.
        th.setWindow(syn ? Math.min(tp.rcvWnd, 65535) : tcpSelectWindow(ctx, tp, parent));
        System.arraycopy(opts, 0, out.head(), at + TcpHeader.LEN, opts.length);
        System.arraycopy(data, 0, out.head(), at + hlen, data.length);
        th.fillChecksum(tp.laddr, tp.raddr, len);
        out.cb().saddr = tp.laddr;
        out.cb().daddr = tp.raddr;
        out.cb().sport = tp.lport;
        out.cb().dport = tp.rport;
        out.cb().ipProtocol = TcpHeader.IPPROTO_TCP;
        out.cb().df = true;
        out.cb().socket = tp.key;
        ctx.trace(out, fn);
        ctx.trace(out, "__tcp_transmit_skb");
        int endSeq = seq + data.length + (syn ? 1 : 0) + ((flags & TcpHeader.FIN) != 0 ? 1 : 0);
        if (TcpSock.after(endSeq, tp.sndNxt) || seq == endSeq) ctx.count(tp.netns, Snmp.TcpOutSegs, 1);
        if ((flags & TcpHeader.RST) != 0) ctx.count(tp.netns, Snmp.TcpOutRsts, 1);
        if ((flags & TcpHeader.ACK) != 0) tcpEventAckSent(tp);
        if (data.length > 0) TcpCong.tcpEventDataSent(ctx, tp);
        ctx.enqueue(KernelQueue.IP_LOCAL_OUT, out);
    }

    /** tcp_event_ack_sent / inet_csk_clear_xmit_timer(ICSK_TIME_DACK): the ACK went out. */
    private static void tcpEventAckSent(TcpSock tp) {
        if (tp.quick > 0) tp.quick--;
        tp.ackPending = false;
        tp.delackDeadline = 0;
    }

    /**
     * tcp_established_options + tcp_options_write: NOP NOP TS when timestamps were agreed, then
     * NOP NOP SACK with the out-of-order ranges (newest first), as many as fit in 40 bytes.
     */
    byte[] tcpEstablishedOptions(LayerContext ctx, TcpSock tp) {
        byte[] b = new byte[TcpHeader.MAX_TCP_OPTION_SPACE];
        int p = 0;
        if (tp.tstampOk) {
            Bytes.put32(b, p, (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_NOP << 16)
                    | (TcpHeader.TCPOPT_TIMESTAMP << 8) | TcpHeader.TCPOLEN_TIMESTAMP);
            Bytes.put32(b, p + 4, tsval(ctx, tp));
            Bytes.put32(b, p + 8, tp.tsRecent);
            p += 12;
        }
        if (tp.sackOk && !tp.ofo.isEmpty()) {
            List<int[]> blocks = sackBlocks(tp);
            int room = (TcpHeader.MAX_TCP_OPTION_SPACE - p - 4) / 8;
            int n = Math.min(room, blocks.size());
            Bytes.put32(b, p, (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_NOP << 16)
                    | (TcpHeader.TCPOPT_SACK << 8) | (2 + 8 * n));
            p += 4;
            for (int i = 0; i < n; i++) {
                Bytes.put32(b, p, blocks.get(i)[0]);
                Bytes.put32(b, p + 4, blocks.get(i)[1]);
                p += 8;
            }
        }
        return Arrays.copyOf(b, p);
    }

    /**
     * tcp_current_mss, net/ipv4/tcp_output.c: the payload a segment may carry NOW. mss_cache
     * assumes the options of every segment (the timestamp); SACK blocks, sent while the
     * out-of-order queue holds data, take up to 4 + 3 * 8 more bytes, and the segment must shrink
     * by as much or it no longer fits the MTU. (Found over the live wire with 1% loss: full
     * segments with SACK blocks were 1528 bytes with DF, dropped by ip_fragment, and the echo
     * stalled until the connection timed out.)
     */
    int tcpCurrentMss(LayerContext ctx, TcpSock tp) {
        int optlen = tcpEstablishedOptions(ctx, tp).length;
        int aligned = tp.tstampOk ? TcpHeader.TCPOLEN_TSTAMP_ALIGNED : 0;
        return Math.max(tp.mssCache - (optlen - aligned), 1);
    }

    /** tcp_time_stamp_ts + ts_offset: the millisecond clock of TSval. */
    static int tsval(LayerContext ctx, TcpSock tp) {
        return (int) Math.floorDiv(ctx.nowNanos(), 1_000_000L) + tp.tsOff;
    }

    /** selective_acks: the out-of-order queue as merged ranges, the one holding the newest segment first. */
    static List<int[]> sackBlocks(TcpSock tp) {
        List<int[]> ranges = new ArrayList<>();
        for (TcpSock.OfoSeg s : tp.ofo) {
            int end = s.seq + s.data.length;
            if (!ranges.isEmpty() && !TcpSock.after(s.seq, ranges.get(ranges.size() - 1)[1])) {
                int[] last = ranges.get(ranges.size() - 1);
                if (TcpSock.after(end, last[1])) last[1] = end;
            } else {
                ranges.add(new int[]{s.seq, end});
            }
        }
        for (int i = 0; i < ranges.size(); i++) {
            int[] r = ranges.get(i);
            if (!TcpSock.before(tp.lastOfoSeq, r[0]) && TcpSock.before(tp.lastOfoSeq, r[1])) {
                ranges.remove(i);
                ranges.add(0, r);
                break;
            }
        }
        return ranges;
    }

    /**
     * tcp_syn_options + tcp_options_write for our SYN: MSS; SACK_PERM+TS (or NOP NOP TS) when
     * timestamps are on, else NOP NOP SACK_PERM; NOP WScale.
     */
    byte[] tcpSynOptions(LayerContext ctx, TcpSock tp) {
        byte[] b = new byte[TcpHeader.MAX_TCP_OPTION_SPACE];
        int p = 0;
        Bytes.put32(b, p, (TcpHeader.TCPOPT_MSS << 24) | (TcpHeader.TCPOLEN_MSS << 16) | tp.advmss);
        p += 4;
        if (tp.tstampOk) {
            int first = tp.sackOk
                    ? (TcpHeader.TCPOPT_SACK_PERM << 24) | (TcpHeader.TCPOLEN_SACK_PERM << 16)
                    : (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_NOP << 16);
            Bytes.put32(b, p, first | (TcpHeader.TCPOPT_TIMESTAMP << 8) | TcpHeader.TCPOLEN_TIMESTAMP);
            Bytes.put32(b, p + 4, tsval(ctx, tp));
            Bytes.put32(b, p + 8, tp.tsRecent);
            p += 12;
        } else if (tp.sackOk) {
            Bytes.put32(b, p, (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_NOP << 16)
                    | (TcpHeader.TCPOPT_SACK_PERM << 8) | TcpHeader.TCPOLEN_SACK_PERM);
            p += 4;
        }
        if (tp.wscaleOk) {
            Bytes.put32(b, p, (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_WINDOW << 16)
                    | (TcpHeader.TCPOLEN_WINDOW << 8) | tp.rcvWscale);
            p += 4;
        }
        return Arrays.copyOf(b, p);
    }

    /**
     * tcp_connect + tcp_connect_init, net/ipv4/tcp_output.c: MSS and the initial window from the
     * route and the receive buffer, the SYN with its options, TcpActiveOpens, the RTO timer at
     * TCP_TIMEOUT_INIT (1 s).
     */
    void tcpConnect(LayerContext ctx, TcpSock tp, SkBuff parent) {
        int advmss = TcpIpv4.dstMetricAdvmss(tcp.routeMtu(tp.raddr, null));
        tp.advmss = advmss;
        tp.tstampOk = tcp.sysctl(SysctlRegistry.TCP_TIMESTAMPS) != 0;
        tp.sackOk = tcp.sysctl(SysctlRegistry.TCP_SACK) != 0;
        tp.wscaleOk = tcp.sysctl(SysctlRegistry.TCP_WINDOW_SCALING) != 0;
        tp.tsOff = tp.tstampOk ? tcp.initTsOff(tp.laddr, tp.raddr) : 0;
        tp.mssClamp = advmss;
        long fullSpace = TcpIpv4.tcpWinFromSpace(tp.rcvbuf);
        int[] win = tcp.tcpSelectInitialWindow(fullSpace, advmss - (tp.tstampOk ? TcpHeader.TCPOLEN_TSTAMP_ALIGNED : 0),
                tp.wscaleOk, tcp.rmemMax());
        tp.rcvWnd = win[0];
        tp.rcvWscale = tp.wscaleOk ? win[1] : 0;
        tp.rcvSsthresh = tp.rcvWnd;
        tp.windowClamp = (int) Math.min(fullSpace, 65535L << 14);
        tp.rcvNxt = 0;
        tp.rcvWup = 0;
        tp.iss = tcp.tcpV4InitSeq(tp.laddr, tp.raddr, tp.lport, tp.rport, ctx);
        tp.sndUna = tp.iss;
        tp.sndNxt = tp.iss;
        tp.writeSeq = tp.iss + 1;
        tp.bufSeq = tp.iss + 1;
        tp.sndSml = tp.iss;
        tp.mssCache = Math.min(advmss, tp.mssClamp) - (tp.tstampOk ? TcpHeader.TCPOLEN_TSTAMP_ALIGNED : 0);
        tp.setState(ctx, TcpState.TCP_SYN_SENT);
        ctx.count(tp.netns, Snmp.TcpActiveOpens, 1);
        tp.retransStampNanos = ctx.nowNanos();
        tcpTransmitSkb(ctx, tp, parent, tp.iss, TcpHeader.SYN, new byte[0], tcpSynOptions(ctx, tp), "tcp_connect");
        tp.rtxQueue.add(new TcpSock.TxSeg(tp.iss, tp.iss + 1, true, false, ctx.nowNanos()));
        tp.sndNxt = tp.iss + 1;
        tp.rtoDeadline = ctx.nowNanos() + tp.rtoNanos;
    }

    /**
     * tcp_write_xmit, net/ipv4/tcp_output.c: while there is unsent data (or a FIN), send one MSS
     * at a time as long as the congestion window (tcp_cwnd_test), the peer's window
     * (tcp_snd_wnd_test) and Nagle (tcp_nagle_test) allow. Arms the RTO timer for new data
     * (tcp_event_new_data_sent), the zero-window probe timer when the peer's window stops it.
     */
    void tcpWriteXmit(LayerContext ctx, TcpSock tp, SkBuff parent) {
        if (tp.state() == TcpState.TCP_SYN_SENT || tp.state() == TcpState.TCP_SYN_RECV || tp.state() == TcpState.TCP_CLOSE
                || tp.state() == TcpState.TCP_TIME_WAIT) {
            return;
        }
        int mss = tcpCurrentMss(ctx, tp);
        while (TcpSock.before(tp.sndNxt, tp.writeSeq)) {
            int seq = tp.sndNxt;
            int dataEnd = tp.dataEnd();
            int len = Math.max(0, Math.min(mss, dataEnd - seq));
            boolean fin = tp.finQueued && seq + len == tp.finSeq;
            // 1. tcp_cwnd_test: packets in flight against the congestion window.
            if (tp.packetsInFlight() >= tp.cwnd) break;
            // 2. tcp_snd_wnd_test: the segment must fit the window the peer offered.
            if (len > 0 && TcpSock.after(seq + len, tp.sndUna + tp.sndWnd)) {
                int room = tp.sndUna + tp.sndWnd - seq;
                if (room <= 0 || room < len) {
                    if (tp.rtxQueue.isEmpty() && tp.probeDeadline == 0) {
                        // tcp_check_probe_timer: nothing in flight to clock the window open.
                        tp.probeDeadline = ctx.nowNanos() + tp.rtoNanos;
                    }
                    break;
                }
            }
            // 3. tcp_nagle_test: a partial segment waits while a small one is unacknowledged
            //    (Minshall's variant), unless TCP_NODELAY or it carries the FIN.
            if (len < mss && !fin && tcpNagleCheck(tp)) break;
            int flags = TcpHeader.ACK | (fin ? TcpHeader.FIN : 0);
            if (len > 0 && seq + len == dataEnd) flags |= TcpHeader.PSH;
            byte[] data = len > 0 ? tp.sendBytes(seq, len) : new byte[0];
            boolean wasIdle = tp.rtxQueue.isEmpty();
            tcpTransmitSkb(ctx, tp, parent, seq, flags, data, null, "tcp_write_xmit");
            tcpEventNewDataSent(ctx, tp, seq, len, fin, wasIdle, mss);
        }
    }

    /** tcp_nagle_check with tcp_minshall_check: true to hold a partial segment back. */
    boolean tcpNagleCheck(TcpSock tp) {
        if (tp.nodelay) return false;
        return !tp.rtxQueue.isEmpty() && TcpSock.after(tp.sndSml, tp.sndUna) && !TcpSock.after(tp.sndSml, tp.sndNxt);
    }

    /** tcp_event_new_data_sent: snd_nxt advances, the segment joins the retransmit queue, TCPOrigDataSent. */
    private void tcpEventNewDataSent(LayerContext ctx, TcpSock tp, int seq, int len, boolean fin, boolean wasIdle, int mss) {
        int end = seq + len + (fin ? 1 : 0);
        tp.sndNxt = end;
        tp.rtxQueue.add(new TcpSock.TxSeg(seq, end, false, fin, ctx.nowNanos()));
        ctx.count(tp.netns, Snmp.TcpExtTCPOrigDataSent, 1);
        if (len < mss) tp.sndSml = end;
        if (wasIdle || tp.rtoDeadline == 0) {
            tp.rtoDeadline = ctx.nowNanos() + tp.rtoNanos;
            tp.retransStampNanos = 0;
        }
        tp.probeDeadline = 0;
    }

    /**
     * tcp_retransmit_skb / __tcp_retransmit_skb: the head of the retransmit queue again, with
     * TcpRetransSegs (and TCPSynRetrans for a SYN); retrans_stamp remembers the first.
     */
    void tcpRetransmitSkb(LayerContext ctx, TcpSock tp, TcpSock.TxSeg seg, SkBuff parent) {
        int dataStart = seg.syn ? seg.seq + 1 : seg.seq;
        int dataLen = Math.max(0, seg.endSeq - dataStart - (seg.fin ? 1 : 0));
        // The peer may have acknowledged part of it: only the rest goes again.
        int from = TcpSock.after(tp.sndUna, dataStart) ? tp.sndUna : dataStart;
        int len = Math.max(0, dataLen - (from - dataStart));
        byte[] data = len > 0 ? tp.sendBytes(from, len) : new byte[0];
        int flags;
        byte[] synOpts = null;
        if (seg.syn) {
            flags = TcpHeader.SYN | (tp.state() == TcpState.TCP_SYN_RECV ? TcpHeader.ACK : 0);
            synOpts = tcpSynOptions(ctx, tp);
            ctx.count(tp.netns, Snmp.TcpExtTCPSynRetrans, 1);
        } else {
            flags = TcpHeader.ACK | (seg.fin ? TcpHeader.FIN : 0) | (len > 0 && from + len == tp.dataEnd() ? TcpHeader.PSH : 0);
        }
        if (tp.retransStampNanos == 0) tp.retransStampNanos = seg.sentNanos;
        seg.retransmitted = true;
        int mss = seg.syn ? Integer.MAX_VALUE : tcpCurrentMss(ctx, tp);
        // tcp_retransmit_skb's undo bookkeeping (TcpInput's tcp_may_undo reads it): retrans_out,
        // total_retrans, retrans_stamp at the first retransmission's TS clock, undo_retrans.
        int segs = data.length > mss ? (data.length + mss - 1) / mss : 1;
        seg.retransInFlight = true;
        tp.totalRetrans += segs;
        if (tp.retransStampTs == 0) tp.retransStampTs = tsval(ctx, tp) - tp.tsOff;
        if (tp.undoRetrans < 0) tp.undoRetrans = 0;
        tp.undoRetrans += segs;
        if (data.length > mss) {
            // tcp_fragment: the options grew since it was sent (SACK blocks): it goes as
            // segments that fit, each a retransmission.
            for (int off = 0; off < data.length; off += mss) {
                int n = Math.min(mss, data.length - off);
                boolean last = off + n == data.length;
                int f = TcpHeader.ACK | (last ? flags & (TcpHeader.FIN | TcpHeader.PSH) : 0);
                ctx.count(tp.netns, Snmp.TcpRetransSegs, 1);
                tcpTransmitSkb(ctx, tp, parent, from + off, f, Arrays.copyOfRange(data, off, off + n), null, "tcp_retransmit_skb");
            }
            return;
        }
        ctx.count(tp.netns, Snmp.TcpRetransSegs, 1);
        tcpTransmitSkb(ctx, tp, parent, seg.syn ? seg.seq : from, flags, data, synOpts, "tcp_retransmit_skb");
    }

    /**
     * tcp_select_window / __tcp_select_window, net/ipv4/tcp_output.c: the free receive space
     * (tcp_space: half of what rcvbuf leaves unread), capped by rcv_ssthresh, rounded to the
     * window scale (or to whole MSS without scaling), zero below one MSS; never smaller than
     * what was already offered (no shrinking). rcv_wnd and rcv_wup move to what is advertised.
     */
    int tcpSelectWindow(LayerContext ctx, TcpSock tp, SkBuff parent) {
        int oldWin = tp.rcvWnd;
        int curWin = tcpReceiveWindow(tp);
        int newWin = tcpSelectWindowRaw(tp);
        if (newWin < curWin) {
            // Never shrink the offered window (RFC 7323 2.4).
            newWin = alignUp(curWin, 1 << tp.rcvWscale);
        }
        tp.rcvWnd = newWin;
        tp.rcvWup = tp.rcvNxt;
        int max = tp.wscaleOk ? 65535 << tp.rcvWscale : 65535;
        newWin = Math.min(newWin, max);
        newWin >>= tp.rcvWscale;
        if (newWin == 0) {
            if (oldWin != 0) ctx.count(tp.netns, Snmp.TcpExtTCPToZeroWindowAdv, 1);
        } else if (oldWin == 0) {
            ctx.count(tp.netns, Snmp.TcpExtTCPFromZeroWindowAdv, 1);
        }
        return newWin;
    }

    /** __tcp_select_window: what the receive buffer allows now, before the no-shrink rule. */
    int tcpSelectWindowRaw(TcpSock tp) {
        int mss = Math.min(tp.rcvMss, tp.advmss > 0 ? tp.advmss : tp.rcvMss);
        long fullSpace = Math.min(tp.windowClamp, TcpIpv4.tcpWinFromSpace(tp.rcvbuf));
        long freeSpace = TcpIpv4.tcpWinFromSpace(tp.rcvbuf - tp.rmemAlloc);
        if (mss > fullSpace) mss = (int) Math.max(fullSpace, 1);
        if (freeSpace < (fullSpace >> 1)) {
            // Memory pressure: quick ACKs until the application reads (tcp_enter_quickack_mode).
            tp.rcvSsthresh = (int) Math.min(tp.rcvSsthresh, 4L * tp.advmss);
            if (freeSpace < mss) return 0;
        }
        if (freeSpace > tp.rcvSsthresh) freeSpace = tp.rcvSsthresh;
        if (tp.rcvWscale != 0) {
            return (int) alignUp(freeSpace, 1 << tp.rcvWscale);
        }
        long window = tp.rcvWnd;
        if (window <= freeSpace - mss || window > freeSpace) {
            window = (freeSpace / mss) * mss;
        } else if (mss == fullSpace && freeSpace > window + (fullSpace >> 1)) {
            window = freeSpace;
        }
        return (int) window;
    }

    /** tcp_receive_window: what is left of the window last offered. */
    static int tcpReceiveWindow(TcpSock tp) {
        int win = tp.rcvWup + tp.rcvWnd - tp.rcvNxt;
        return Math.max(win, 0);
    }

    private static int alignUp(long v, int a) { return (int) ((v + a - 1) / a * a); }

    /** tcp_send_ack / __tcp_send_ack: a bare ACK of rcv_nxt at snd_nxt (tcp_acceptable_seq). */
    void tcpSendAck(LayerContext ctx, TcpSock tp, SkBuff parent) {
        if (tp.state() == TcpState.TCP_CLOSE) return;
        tcpTransmitSkb(ctx, tp, parent, tp.sndNxt, TcpHeader.ACK, new byte[0], null, "tcp_send_ack");
    }

    /**
     * tcp_send_delayed_ack: the ACK waits ato (at least TCP_ATO_MIN, 40 ms); an ACK already
     * scheduled keeps the earlier deadline, and one due within a quarter ato goes now.
     */
    void tcpSendDelayedAck(LayerContext ctx, TcpSock tp, SkBuff parent) {
        long ato = Math.max(tp.atoNanos, TCP_ATO_MIN);
        long timeout = ctx.nowNanos() + ato;
        if (tp.delackDeadline != 0) {
            if (tp.delackDeadline <= ctx.nowNanos() + (ato >> 2)) {
                tcpSendAck(ctx, tp, parent);
                return;
            }
            if (timeout > tp.delackDeadline) timeout = tp.delackDeadline;
        }
        tp.ackPending = true;
        tp.delackDeadline = timeout;
    }

    /** tcp_send_fin: the FIN takes the sequence number after the data and goes out when the queue lets it. */
    void tcpSendFin(LayerContext ctx, TcpSock tp, SkBuff parent) {
        if (tp.finQueued) return;
        tp.finQueued = true;
        tp.finSeq = tp.writeSeq;
        tp.writeSeq++;
        tcpWriteXmit(ctx, tp, parent);
    }

    /**
     * tcp_send_active_reset: RST|ACK at snd_nxt (tcp_acceptable_seq), TcpOutRsts; counted in
     * TcpOutSegs by __tcp_transmit_skb.
     */
    void tcpSendActiveReset(LayerContext ctx, TcpSock tp, SkBuff parent) {
        tcpTransmitSkb(ctx, tp, parent, tp.sndNxt, TcpHeader.RST | TcpHeader.ACK, new byte[0], null,
                "tcp_send_active_reset");
    }

    /**
     * tcp_xmit_probe_skb: an ACK with a sequence number the peer has already seen (snd_una - 1),
     * so it must answer with an ACK: the keepalive and the zero-window probe.
     */
    void tcpXmitProbeSkb(LayerContext ctx, TcpSock tp, String fn) {
        tcpTransmitSkb(ctx, tp, null, tp.sndUna - 1, TcpHeader.ACK, new byte[0], null, fn);
    }

    /**
     * tcp_write_wakeup: when the window opened, send what fits (tcp_write_xmit); else a probe.
     */
    void tcpWriteWakeup(LayerContext ctx, TcpSock tp, String fn) {
        if (TcpSock.before(tp.sndNxt, tp.writeSeq) && TcpSock.before(tp.sndNxt, tp.sndUna + tp.sndWnd)) {
            int before = tp.sndNxt;
            tcpWriteXmit(ctx, tp, null);
            if (tp.sndNxt != before) return;
        }
        tcpXmitProbeSkb(ctx, tp, fn);
    }
}
