package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.skb.ControlBlock;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.TcpHeader;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * net/ipv4/tcp_ipv4.c for one host, with the listener's part of tcp_input.c (tcp_conn_request,
 * tcp_parse_options, the LISTEN case of tcp_rcv_state_process) and of tcp_output.c
 * (tcp_make_synack, tcp_synack_options, tcp_options_write, tcp_select_initial_window):
 * TCP's answers to single segments.
 *
 * <p>Request socks (TCP_NEW_SYN_RECV) are kept per host in {@link #requests()} so the
 * handshake can be completed later; SYN cookies are sent when the SYN queue is full and
 * verified on the returning ACK (cookie_v4_check). Not emulated: MD5/AO, TFO, AccECN,
 * timestamp cookies (cookie_init_timestamp: window scaling and SACK are lost with a cookie).
 */
public final class TcpIpv4 implements java.io.Serializable {

    /** TCP_MAX_WSCALE */
    static final int TCP_MAX_WSCALE = 14;
    /** TCP_MSS_DEFAULT: the peer's MSS when its SYN has none (RFC 1122). */
    static final int TCP_MSS_DEFAULT = 536;
    /** TCP_RMEM_TO_WIN_SCALE and TCP_DEFAULT_SCALING_RATIO (50%). */
    static final int TCP_RMEM_TO_WIN_SCALE = 8;
    static final int TCP_DEFAULT_SCALING_RATIO = 1 << (TCP_RMEM_TO_WIN_SCALE - 1);
    static final int MAX_TCP_WINDOW = 32767;

    /** struct tcp_request_sock, reduced: the SYN_RECV state of one connection attempt. */
    public record RequestSock(String listener, int locAddr, int locPort, int rmtAddr, int rmtPort,
                              int rcvIsn, int sntIsn, int mss, int tsRecent, boolean tstampOk,
                              boolean sackOk, boolean wscaleOk, int sndWscale, int rcvWscale,
                              int rcvWnd, int tsOff, boolean ecnOk, int synTos, long createdNanos,
                              long lastOowAckJiffies) implements java.io.Serializable {
        public String key() { return key(locAddr, locPort, rmtAddr, rmtPort); }
        static String key(int la, int lp, int ra, int rp) {
            return Inet.format(la) + ":" + lp + "-" + Inet.format(ra) + ":" + rp;
        }
    }

    /** struct tcp_options_received, the parts a SYN sets. */
    public record OptionsReceived(boolean sawTstamp, int rcvTsval, int rcvTsecr, boolean sackOk,
                                  boolean wscaleOk, int sndWscale, int mssClamp) implements java.io.Serializable {}

    /** errno values the connection reports to the socket layer (include/uapi/asm-generic/errno.h). */
    public static final int EPIPE = 32;
    public static final int ECONNRESET = 104;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;

    /**
     * A listening socket as l4 sees it: its address, the backlog (sk_max_ack_backlog), the
     * accept queue length (sk_ack_backlog: completed connections not yet accepted) and the
     * options its children inherit.
     */
    public static final class ListenSock implements java.io.Serializable {
        /** Pinned to what the class had before {@link #rcvbufLock}, so earlier snapshots restore. */
        private static final long serialVersionUID = 2910850685735380379L;
        private final String netns;
        private final HostConfig.SocketSpec spec;
        int backlog;
        int acceptQueue;
        int rcvbuf;
        /** SOCK_RCVBUF_LOCK: SO_RCVBUF was set; children inherit it (sk_clone_lock copies sk_userlocks). */
        boolean rcvbufLock;
        boolean keepalive;
        boolean nodelay;
        private final int somaxconn;

        ListenSock(String netns, HostConfig.SocketSpec spec, int backlog, int rcvbuf, int somaxconn) {
            this.netns = netns;
            this.spec = spec;
            this.backlog = backlog;
            this.rcvbuf = rcvbuf;
            this.somaxconn = somaxconn;
        }

        public String netns() { return netns; }
        public HostConfig.SocketSpec spec() { return spec; }
        public int acceptQueue() { return acceptQueue; }
        /** sk_max_ack_backlog: listen()'s backlog capped by net.core.somaxconn. */
        public int maxAckBacklog() { return Math.min(backlog, somaxconn); }
    }

    private volatile HostConfig host;
    private final Map<String, RequestSock> requests = new LinkedHashMap<>();
    /** The SYN-ACK timer of each request sock: {num_timeout, deadline, num_retrans}. */
    private final Map<String, long[]> reqTimers = new LinkedHashMap<>();
    /** The established hash: full sockets and time-wait minisocks by 4-tuple. */
    private final Map<String, TcpSock> ehash = new LinkedHashMap<>();
    private final Map<String, ListenSock> listeners = new LinkedHashMap<>();
    /** TCP_SKB_CB(skb)->tcp_tw_isn: the ISN a SYN that reopens a TIME_WAIT 4-tuple must take, 0 if none. */
    private transient int twIsn;
    /** tcp_synq_overflow's stamp (rx_opt.ts_recent_stamp of the listener): when a SYN cookie was last sent, per listener. */
    private final Map<String, Long> lastSynqOverflow = new LinkedHashMap<>();
    private final long secret;
    private final TcpOutput output;
    private final TcpInput input;
    private final TcpTimer timer;

    public TcpIpv4(HostConfig host) {
        this.host = host;
        this.secret = host.netns().hashCode() * 0x9E3779B97F4A7C15L;
        this.output = new TcpOutput(this);
        this.input = new TcpInput(this, output);
        this.timer = new TcpTimer(this, output, input);
        int rmem1 = host.sysctl().get(SysctlRegistry.TCP_RMEM)[1];
        for (HostConfig.SocketSpec s : host.sockets()) {
            if ("tcp".equals(s.proto()) && s.listen()) {
                listeners.put(s.key(), new ListenSock(host.netns(), s, s.backlog(), rmem1, sysctl(SysctlRegistry.SOMAXCONN)));
            }
        }
    }

    /**
     * A configuration change of a running host: connections, request socks, time-wait socks and
     * their timers stay (a sysctl or a route change does not touch an established connection in
     * Linux); host.yaml's listeners are added or closed by the difference, listeners opened
     * through the socket API stay.
     */
    public void reconfigure(HostConfig next) {
        HostConfig prev = this.host;
        this.host = next;
        java.util.Set<String> keep = new java.util.HashSet<>();
        for (HostConfig.SocketSpec s : next.sockets()) if ("tcp".equals(s.proto()) && s.listen()) keep.add(s.key());
        for (HostConfig.SocketSpec s : prev.sockets()) {
            if ("tcp".equals(s.proto()) && s.listen() && !keep.contains(s.key())) {
                listeners.remove(s.key());
                requests.values().removeIf(r -> {
                    if (!r.listener().equals(s.key())) return false;
                    reqTimers.remove(r.key());
                    return true;
                });
            }
        }
        int rmem1 = rmemDefault();
        for (HostConfig.SocketSpec s : next.sockets()) {
            if ("tcp".equals(s.proto()) && s.listen() && !listeners.containsKey(s.key())) {
                listeners.put(s.key(), new ListenSock(next.netns(), s, s.backlog(), rmem1, sysctl(SysctlRegistry.SOMAXCONN)));
            }
        }
    }

    TcpInput input() { return input; }

    /** The connections of this host (full sockets and time-wait minisocks), by 4-tuple. */
    public Collection<TcpSock> connections() { return Collections.unmodifiableCollection(ehash.values()); }

    /** One connection by its socket key ("tcp 192.0.2.2:80 192.0.2.1:40000"), or null. */
    public TcpSock connection(String socketKey) {
        for (TcpSock t : ehash.values()) if (t.key.equals(socketKey)) return t;
        return null;
    }

    /** A listener by key ("tcp 0.0.0.0:80"), or null. */
    public ListenSock listener(String key) { return listeners.get(key); }

    void hash(TcpSock tp) {
        TcpSock replaced = ehash.put(tp.ehashKey(), tp);
        if (replaced != null && replaced != tp) replaced.dropSendBuffer();   // a time-wait minisock took its place
    }

    void unhash(TcpSock tp) {
        if (ehash.remove(tp.ehashKey(), tp)) tp.dropSendBuffer();
    }

    /** Where the send buffers' objects record their changes (null: none kept); set by the layer. */
    private transient io.netstack.state.ObjectJournal journal;

    public void journal(io.netstack.state.ObjectJournal journal) { this.journal = journal; }

    /** Every connection's send buffer as objects (a full copy of the state). */
    public void objects(Map<String, byte[]> into) {
        for (TcpSock tp : ehash.values()) tp.sendBufferObjects(into);
    }

    /** After a restore: each connection's send buffer from its objects (claimed from {@code objects}). */
    public void restoreObjects(Map<String, byte[]> objects, io.netstack.state.ObjectJournal journal) {
        this.journal = journal;
        for (TcpSock tp : ehash.values()) tp.restoreSendBuffer(objects, journal);
    }

    void dropRequest(RequestSock req) {
        requests.remove(req.key());
        reqTimers.remove(req.key());
    }

    /** req->num_retrans: SYN-ACKs sent again, by the timer or for a repeated SYN. */
    int synackRetransmits(RequestSock req) {
        long[] t = reqTimers.get(req.key());
        return t == null ? 0 : (int) (t.length > 2 ? t[2] : t[0]);
    }

    /** tcp_win_from_space with the default scaling ratio: half of the buffer is payload. */
    static long tcpWinFromSpace(long space) {
        return Math.max(0, (space * TCP_DEFAULT_SCALING_RATIO) >> TCP_RMEM_TO_WIN_SCALE);
    }

    /** tcp_space_from_win, include/net/tcp.h: the inverse of {@link #tcpWinFromSpace}, the buffer a window needs. */
    static long tcpSpaceFromWin(long win) {
        return Math.max(0, (win << TCP_RMEM_TO_WIN_SCALE) / TCP_DEFAULT_SCALING_RATIO);
    }

    int rmemMax() { return host.sysctl().get(SysctlRegistry.TCP_RMEM)[2]; }

    int rmemDefault() { return host.sysctl().get(SysctlRegistry.TCP_RMEM)[1]; }

    long keepaliveTime() { return sysctl(SysctlRegistry.TCP_KEEPALIVE_TIME) * 1000L * TcpTimer.MS; }

    /** tcp_fin_time: tcp_fin_timeout (60 s), at least 3.5 RTO. */
    long finTimeout() { return sysctl(SysctlRegistry.TCP_FIN_TIMEOUT) * 1000L * TcpTimer.MS; }

    /** secure_tcp_seq for an active open. */
    int tcpV4InitSeq(int saddr, int daddr, int sport, int dport, LayerContext ctx) {
        long h = mix(secret ^ ((long) saddr << 32 | (daddr & 0xffffffffL)) ^ ((long) sport << 16 | dport));
        return (int) (h + (ctx.nowNanos() >> 6));
    }

    /** MAX_TCP_HEADER, SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) and of struct sk_buff (x86_64). */
    static final int MAX_TCP_HEADER = 320;
    static final int SKB_SHINFO_SIZE = 320;
    static final int SKB_SIZE = 256;

    /** sk_sndbuf of a new socket: tcp_wmem[1]. */
    int wmemDefault() { return host.sysctl().get(SysctlRegistry.TCP_WMEM)[1]; }

    /**
     * tcp_sndbuf_expand, net/ipv4/tcp_input.c (from tcp_init_buffer_space and tcp_new_space):
     * room for two windows of the largest of cwnd, the initial window and reordering + 1, each
     * segment charged the kernel's truesize of a full one, at most tcp_wmem[2]; it never shrinks.
     */
    void tcpSndbufExpand(TcpSock tp) {
        int perMss = perMssTruesize(tp);
        int nrSegs = Math.max(Math.max(TcpTimer.TCP_INIT_CWND, tp.cwnd), sysctl(SysctlRegistry.TCP_REORDERING) + 1);
        long sndmem = 2L * nrSegs * perMss;
        int max = host.sysctl().get(SysctlRegistry.TCP_WMEM)[2];
        if (tp.sndbuf < sndmem) tp.sndbuf = (int) Math.min(sndmem, max);
    }

    /** The truesize of one full segment as tcp_sndbuf_expand charges it. */
    static int perMssTruesize(TcpSock tp) {
        int perMss = Math.max(tp.mssClamp, tp.mssCache) + MAX_TCP_HEADER + SKB_SHINFO_SIZE;
        int pow2 = Integer.highestOneBit(perMss);
        return (pow2 < perMss ? pow2 << 1 : pow2) + SKB_SIZE;
    }

    /**
     * sk_sndbuf in payload bytes, for the socket layer, which counts payload: the kernel charges
     * each queued segment its truesize, so a buffer of n full segments' truesize holds n MSS.
     */
    int sndbufPayload(TcpSock tp) {
        if (tp.sndbuf == 0) {
            tp.sndbuf = wmemDefault();
            if (tp.state() == TcpState.TCP_ESTABLISHED) tcpSndbufExpand(tp);   // tcp_init_buffer_space
        }
        int mss = Math.max(1, tp.mssCache);
        return (int) Math.max(mss, (long) tp.sndbuf * mss / perMssTruesize(tp));
    }

    /**
     * tcp_check_space / tcp_new_space: acknowledged data freed send buffer (and a growing window
     * grew sk_sndbuf): sk_write_space tells the socket layer, which bounds what an application
     * may queue by it. Told when a quarter of the buffer came free, when all was acknowledged,
     * or when the buffer grew by a quarter: often enough that a writer never waits long, seldom
     * enough that a bulk transfer does not double its records.
     */
    void tcpNewSpace(LayerContext ctx, TcpSock tp, SkBuff parent) {
        if (tp.dead || tp.key == null) return;
        if (tp.sndbuf == 0) tp.sndbuf = wmemDefault();
        if (tp.packetsInFlight() < tp.cwnd) tcpSndbufExpand(tp);
        long freed = tp.dataAcked - tp.dataAckedReported;
        boolean grew = tp.sndbuf >= tp.sndbufReported + tp.sndbufReported / 4 + 1;
        if (!(freed > 0 && (freed >= tp.sndbuf / 4 || tp.sndBufLen == 0)) && !grew) return;
        tp.dataAckedReported = tp.dataAcked;
        tp.sndbufReported = tp.sndbuf;
        sockEvent(ctx, tp.key, ControlBlock.SOCK_OP_WRITE_SPACE, tp.dataAcked, null, tp, parent);
    }

    /**
     * sk_rcvbuf grew (tcp_rcvbuf_grow): the socket layer, which answers getsockopt(SO_RCVBUF)
     * (sock_getsockopt reads sk_rcvbuf), learns the new size.
     */
    void tcpRcvbufChanged(LayerContext ctx, TcpSock tp, SkBuff parent) {
        if (tp.dead || tp.key == null || tp.key.isEmpty()) return;
        sockEvent(ctx, tp.key, ControlBlock.SOCK_OP_SETSOCKOPT, tp.rcvbuf, null, tp, parent);
    }

    /**
     * A socket event to the socket layer (sk_state_change, sk_data_ready, sk_error_report): an
     * skb without payload on SK_RECEIVE_QUEUE carrying the op. SOCK_OP_SETSOCKOPT this way is
     * SO_RCVBUF's new value (sockArg) after autotuning grew sk_rcvbuf.
     */
    void sockEvent(LayerContext ctx, String socketKey, int op, long arg, String child, TcpSock tp, SkBuff parent) {
        SkBuff ev = ctx.allocSkb(host.netns(), parent, 0, 0);
        ev.cb().socket = socketKey;
        ev.cb().sockOp = op;
        ev.cb().sockArg = arg;
        ev.cb().sockChild = child;
        ev.cb().ipProtocol = TcpHeader.IPPROTO_TCP;
        if (tp != null) {
            ev.cb().saddr = tp.raddr;
            ev.cb().sport = tp.rport;
            ev.cb().daddr = tp.laddr;
            ev.cb().dport = tp.lport;
        }
        if (tp != null && (op == ControlBlock.SOCK_OP_WRITE_SPACE || op == ControlBlock.SOCK_OP_CONNECTED
                || op == ControlBlock.SOCK_OP_ACCEPT_READY)) {
            ev.cb().sockOpt = sndbufPayload(tp);
        }
        if (op == ControlBlock.SOCK_OP_SETSOCKOPT) ev.cb().sockOpt = ControlBlock.SO_RCVBUF;
        ctx.trace(ev, op == ControlBlock.SOCK_OP_ACCEPT_READY ? "sk_data_ready"
                : op == ControlBlock.SOCK_OP_EOF ? "sk_data_ready"
                : op == ControlBlock.SOCK_OP_WRITE_SPACE ? "sk_stream_write_space"
                : op == ControlBlock.SOCK_OP_SETSOCKOPT ? "tcp_rcvbuf_grow" : "sk_state_change");
        ctx.enqueue(KernelQueue.SK_RECEIVE_QUEUE, ev);
    }

    /**
     * tcp_v4_rcv's do_time_wait: tcp_timewait_state_process decides; a new SYN goes to the
     * listener after the minisock is killed.
     */
    void tcpV4DoTimeWait(LayerContext ctx, SkBuff skb, TcpHeader th, TcpSock tw) {
        tw.traceSkb = skb;
        TcpInput.Seg s = input.parse(skb, th);
        TcpMinisocks.TwVerdict v = TcpMinisocks.tcpTimewaitStateProcess(ctx, this, tw, s);
        tw.traceSkb = null;
        switch (v) {
            case SYN: {
                HostConfig.SocketSpec lsk = inetLookupListener(Iph.daddr(skb), th.dest());
                if (lsk != null) {
                    // The new incarnation's ISN is above anything the old one sent
                    // (tcp_timewait_state_process: tw_snd_nxt + 65535 + 2, never 0), as RFC 1122 asks.
                    int isn = tw.sndNxt + 65535 + 2;
                    if (isn == 0) isn++;
                    unhash(tw);
                    twIsn = isn;
                    try {
                        tcpV4DoRcv(ctx, skb, th, lsk);
                    } finally {
                        twIsn = 0;
                    }
                    return;
                }
                output.tcpSendAck(ctx, tw, skb);
                ctx.consume(skb);
                return;
            }
            case ACK:
                output.tcpSendAck(ctx, tw, skb);
                ctx.consume(skb);
                return;
            case RST:
                tcpV4SendReset(ctx, skb, th, true);
                ctx.drop(skb, SkbDropReason.TCP_INVALID_SEQUENCE);
                return;
            default:
                ctx.consume(skb);
        }
    }

    /**
     * tcp_v4_reqsk_send_ack: the ACK a request sock sends to an out-of-window segment: our ISN
     * + 1, the peer's ISN + 1, the request's window (scaled), timestamps.
     */
    void reqsSendAck(LayerContext ctx, SkBuff skb, RequestSock req) {
        TcpSock t = new TcpSock(host.netns(), "", null, req.locAddr(), req.locPort(), req.rmtAddr(), req.rmtPort());
        t.tstampOk = req.tstampOk();
        t.tsOff = req.tsOff();
        t.tsRecent = req.tsRecent();
        byte[] opts = output.tcpEstablishedOptions(ctx, t);
        int len = TcpHeader.LEN + opts.length;
        SkBuff out = ctx.allocSkb(host.netns(), skb, SkBuff.DEFAULT_HEADROOM, len);
        int at = out.put(len);
        out.setTransportHeader(at);
        TcpHeader rep = new TcpHeader(out.head(), at);
        rep.setSource(req.locPort());
        rep.setDest(req.rmtPort());
        rep.setSeq(req.sntIsn() + 1);
        rep.setAckSeq(req.rcvIsn() + 1);
        rep.setDoff(len / 4);
        rep.setFlags(TcpHeader.ACK);
        rep.setWindow(req.rcvWnd() >> req.rcvWscale());
        System.arraycopy(opts, 0, out.head(), at + TcpHeader.LEN, opts.length);
        rep.fillChecksum(req.locAddr(), req.rmtAddr(), len);
        setOutput(out, req.locAddr(), req.rmtAddr(), 0);
        ctx.trace(out, "tcp_v4_reqsk_send_ack");
        ctx.count(skb, Snmp.TcpOutSegs);
        ctx.enqueue(KernelQueue.IP_LOCAL_OUT, out);
    }

    /**
     * What a socket asks of TCP (SK_SENDMSG): tcp_sendmsg, tcp_v4_connect, listen, accept,
     * shutdown, close, setsockopt, and the reads that may open the window (tcp_cleanup_rbuf).
     */
    public void tcpSendmsg(LayerContext ctx, SkBuff skb) {
        ControlBlock cb = skb.cb();
        ctx.trace(skb, "tcp_sendmsg");
        switch (cb.sockOp) {
            case ControlBlock.SOCK_OP_LISTEN: {
                int rcvbuf = rmemDefault();
                ListenSock old = listeners.get(cb.socket);
                HostConfig.SocketSpec spec = new HostConfig.SocketSpec("tcp", cb.saddr, cb.sport, true, (int) cb.sockArg);
                ListenSock ls = new ListenSock(host.netns(), spec, (int) cb.sockArg, old != null ? old.rcvbuf : rcvbuf,
                        sysctl(SysctlRegistry.SOMAXCONN));
                if (old != null) {
                    ls.acceptQueue = old.acceptQueue;
                    ls.rcvbufLock = old.rcvbufLock;
                    ls.keepalive = old.keepalive;
                    ls.nodelay = old.nodelay;
                }
                listeners.put(spec.key(), ls);
                ctx.consume(skb);
                return;
            }
            case ControlBlock.SOCK_OP_CLOSE_LISTENER: {
                listeners.remove(cb.socket);
                // inet_csk_listen_stop: pending requests go, and so do unaccepted children (reset).
                requests.values().removeIf(r -> r.listener().equals(cb.socket));
                for (TcpSock t : new java.util.ArrayList<>(ehash.values())) {
                    if (cb.socket.equals(t.listener) && !t.tw && t.unaccepted) {
                        t.traceSkb = skb;
                        tcpClose(ctx, t, skb, 0);
                        t.traceSkb = null;
                    }
                }
                ctx.consume(skb);
                return;
            }
            case ControlBlock.SOCK_OP_ACCEPTED: {
                ListenSock ls = listeners.get(cb.socket);
                if (ls != null && ls.acceptQueue > 0) ls.acceptQueue--;
                TcpSock child = cb.sockChild == null ? null : connection(cb.sockChild);
                if (child != null) child.unaccepted = false;
                ctx.consume(skb);
                return;
            }
            case ControlBlock.SOCK_OP_CONNECT: {
                String ekey = RequestSock.key(cb.saddr, cb.sport, cb.daddr, cb.dport);
                if (ehash.containsKey(ekey)) {
                    sockEvent(ctx, cb.socket, ControlBlock.SOCK_OP_ERROR, 99 /* EADDRNOTAVAIL */, null, null, skb);
                    ctx.consume(skb);
                    return;
                }
                TcpSock tp = new TcpSock(host.netns(), cb.socket, null, cb.saddr, cb.sport, cb.daddr, cb.dport);
                TcpCong.tcpAssignCongestionControl(tp, congestionControl());
                tp.rcvbuf = cb.sockArg > 0 ? (int) cb.sockArg : rmemDefault();
                tp.rcvbufLock = cb.sockArg > 0;
                tp.traceSkb = skb;
                ctx.trace(skb, "tcp_v4_connect");
                hash(tp);
                output.tcpConnect(ctx, tp, skb);
                tp.traceSkb = null;
                ctx.consume(skb);
                return;
            }
            default:
                break;
        }
        if (cb.sockOp == ControlBlock.SOCK_OP_SETSOCKOPT) {
            ListenSock ls = listeners.get(cb.socket);
            TcpSock tp = connection(cb.socket);
            boolean on = cb.sockArg != 0;
            if (ls != null) {
                if (cb.sockOpt == ControlBlock.SO_RCVBUF) {
                    ls.rcvbuf = (int) cb.sockArg;
                    ls.rcvbufLock = true;
                }
                if (cb.sockOpt == ControlBlock.SO_KEEPALIVE) ls.keepalive = on;
                if (cb.sockOpt == ControlBlock.TCP_NODELAY) ls.nodelay = on;
            }
            if (tp != null && !tp.tw) {
                if (cb.sockOpt == ControlBlock.SO_RCVBUF) {
                    // __sock_set_rcvbuf: the size, and SOCK_RCVBUF_LOCK (no autotuning from now on).
                    tp.rcvbuf = (int) cb.sockArg;
                    tp.rcvbufLock = true;
                }
                if (cb.sockOpt == ControlBlock.SO_KEEPALIVE) {
                    // tcp_set_keepalive: arm or stop the keepalive timer.
                    tp.keepalive = on;
                    tp.keepaliveDeadline = on && (tp.state() == TcpState.TCP_ESTABLISHED || tp.state() == TcpState.TCP_CLOSE_WAIT)
                            ? ctx.nowNanos() + keepaliveTime() : 0;
                }
                if (cb.sockOpt == ControlBlock.TCP_NODELAY) {
                    tp.nodelay = on;
                    if (on) output.tcpWriteXmit(ctx, tp, skb);
                }
            }
            ctx.consume(skb);
            return;
        }
        TcpSock tp = connection(cb.socket);
        if (tp == null || tp.tw) {
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return;
        }
        tp.traceSkb = skb;
        switch (cb.sockOp) {
            case ControlBlock.SOCK_OP_DATA:
                // tcp_sendmsg_locked: only in ESTABLISHED or CLOSE_WAIT (or queued while connecting).
                if ((tp.shutdown & TcpSock.SEND_SHUTDOWN) != 0 || tp.finQueued || tp.state() == TcpState.TCP_CLOSE) {
                    ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
                    break;
                }
                tp.appendSend(skb.head(), skb.data(), skb.len(), journal);
                output.tcpWriteXmit(ctx, tp, skb);
                ctx.consume(skb);
                break;
            case ControlBlock.SOCK_OP_READ:
                tcpCleanupRbuf(ctx, tp, skb, cb.sockArg);
                ctx.consume(skb);
                break;
            case ControlBlock.SOCK_OP_SHUTDOWN:
                tcpShutdown(ctx, tp, skb);
                ctx.consume(skb);
                break;
            case ControlBlock.SOCK_OP_CLOSE:
                tcpClose(ctx, tp, skb, cb.sockArg);
                ctx.consume(skb);
                break;
            default:
                ctx.drop(skb, SkbDropReason.NOT_EMULATED);
        }
        tp.traceSkb = null;
    }

    /**
     * tcp_recvmsg's part after the copy: the application read {@code n} bytes (copied_seq moves),
     * tcp_rcv_space_adjust (receive-buffer autotuning), then tcp_cleanup_rbuf: if the window we
     * could offer now is at least twice what is left of the one offered, a window update at once.
     */
    void tcpCleanupRbuf(LayerContext ctx, TcpSock tp, SkBuff skb, long n) {
        tp.rmemAlloc = Math.max(0, tp.rmemAlloc - n);
        if (n > 0) input.tcpRcvSpaceAdjust(ctx, tp, skb);
        if (tp.state() == TcpState.TCP_CLOSE || (tp.shutdown & TcpSock.RCV_SHUTDOWN) != 0) return;
        int rcvWindowNow = TcpOutput.tcpReceiveWindow(tp);
        if (2L * rcvWindowNow <= tp.windowClamp) {
            int newWindow = output.tcpSelectWindowRaw(tp);
            if (newWindow != 0 && newWindow >= 2L * rcvWindowNow) output.tcpSendAck(ctx, tp, skb);
        }
    }

    /** tcp_close_state: the next state on close and whether a FIN goes (TCP_ACTION_FIN). */
    boolean tcpCloseState(LayerContext ctx, TcpSock tp) {
        TcpState next;
        boolean fin;
        switch (tp.state()) {
            case TCP_ESTABLISHED: next = TcpState.TCP_FIN_WAIT1; fin = true; break;
            case TCP_SYN_RECV: next = TcpState.TCP_FIN_WAIT1; fin = true; break;
            case TCP_CLOSE_WAIT: next = TcpState.TCP_LAST_ACK; fin = true; break;
            case TCP_SYN_SENT: next = TcpState.TCP_CLOSE; fin = false; break;
            default: return false;
        }
        tp.setState(ctx, next);
        return fin;
    }

    /** tcp_shutdown(SHUT_WR): the FIN, in the states that may send one. */
    void tcpShutdown(LayerContext ctx, TcpSock tp, SkBuff skb) {
        ctx.trace(skb, "tcp_shutdown");
        tp.shutdown |= TcpSock.SEND_SHUTDOWN;
        if (tcpCloseState(ctx, tp)) output.tcpSendFin(ctx, tp, skb);
        if (tp.state() == TcpState.TCP_CLOSE) input.tcpDone(ctx, tp);
    }

    /**
     * tcp_close, net/ipv4/tcp.c: unread data means a RST (TCPAbortOnClose) and CLOSE; else the
     * FIN (tcp_close_state). The socket is an orphan from here; an orphan already in FIN_WAIT2
     * becomes a time-wait minisock for tcp_fin_timeout.
     */
    void tcpClose(LayerContext ctx, TcpSock tp, SkBuff skb, long unread) {
        ctx.trace(skb, "tcp_close");
        tp.shutdown = TcpSock.RCV_SHUTDOWN | TcpSock.SEND_SHUTDOWN;
        tp.dead = true;
        if (tp.state() == TcpState.TCP_CLOSE) {
            unhash(tp);
            return;
        }
        if (unread > 0 || tp.rmemAlloc > 0 && unread < 0) {
            // RFC 2525 2.17: closing with unread data resets the connection.
            ctx.count(tp.netns, Snmp.TcpExtTCPAbortOnClose, 1);
            TcpState old = tp.state();
            tp.setState(ctx, TcpState.TCP_CLOSE);
            if (old != TcpState.TCP_SYN_SENT) output.tcpSendActiveReset(ctx, tp, skb);
            input.tcpDone(ctx, tp);
            return;
        }
        if (tcpCloseState(ctx, tp)) output.tcpSendFin(ctx, tp, skb);
        if (tp.state() == TcpState.TCP_CLOSE) {
            input.tcpDone(ctx, tp);
            return;
        }
        if (tp.state() == TcpState.TCP_FIN_WAIT2) {
            TcpMinisocks.tcpTimeWait(ctx, this, tp, TcpState.TCP_FIN_WAIT2, finTimeout());
        }
    }

    /**
     * The TCP timers of this host that are due: every connection's (tcp_timer.c) and every
     * request sock's SYN-ACK timer (reqsk_timer_handler: tcp_synack_retries, 5, retransmissions
     * at 1, 2, 4, 8, 16 s; TCPTimeouts each time; the request dies after the last).
     */
    public void tick(LayerContext ctx) {
        long now = ctx.nowNanos();
        for (TcpSock tp : new java.util.ArrayList<>(ehash.values())) {
            if (TcpTimer.nextDeadline(tp) <= now) timer.tick(ctx, tp);
        }
        int maxRetries = sysctl(SysctlRegistry.TCP_SYNACK_RETRIES);
        for (RequestSock req : new java.util.ArrayList<>(requests.values())) {
            long[] t = reqTimers.get(req.key());
            if (t == null || t[1] > now) continue;
            ctx.count(host.netns(), Snmp.TcpExtTCPTimeouts, 1);
            if (t[0] >= maxRetries) {
                dropRequest(req);
                continue;
            }
            SkBuff synack = tcpMakeSynack(ctx, null, req, dstMetricAdvmss(routeMtu(req.rmtAddr(), null)));
            ctx.count(host.netns(), Snmp.TcpRetransSegs, 1);
            ctx.count(host.netns(), Snmp.TcpExtTCPSynRetrans, 1);
            ctx.enqueue(KernelQueue.IP_LOCAL_OUT, synack);
            if (t.length > 2) t[2]++;
            t[0]++;
            t[1] = now + Math.min(TcpTimer.TCP_TIMEOUT_INIT << t[0], TcpTimer.TCP_RTO_MAX);
        }
    }

    /** The earliest TCP deadline of this host, or Long.MAX_VALUE (for drivers that sleep). */
    public long nextDeadline() {
        long d = Long.MAX_VALUE;
        for (TcpSock tp : ehash.values()) d = Math.min(d, TcpTimer.nextDeadline(tp));
        for (long[] t : reqTimers.values()) d = Math.min(d, t[1]);
        return d;
    }

    /** The request socks (SYN_RECV) of this host, by 4-tuple. */
    public Collection<RequestSock> requests() { return Collections.unmodifiableCollection(requests.values()); }

    int sysctl(SysctlRegistry.Int k) { return host.sysctl().get(k); }

    /** net.ipv4.tcp_congestion_control: the namespace's default algorithm for new sockets. */
    String congestionControl() { return host.sysctl().get(SysctlRegistry.TCP_CONGESTION_CONTROL); }

    /**
     * tcp_v4_rcv, net/ipv4/tcp_ipv4.c. Data at the TCP header, network_header at the IPv4 header.
     */
    public void tcpV4Rcv(LayerContext ctx, SkBuff skb) {
        ctx.trace(skb, "tcp_v4_rcv");
        // 1. Not for this host's MAC (a link-layer broadcast or multicast): discarded uncounted.
        if (skb.pktType() != PktType.PACKET_HOST) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        // 2. Counted even if it is bad.
        ctx.count(skb, Snmp.TcpInSegs);
        if (!skb.mayPull(TcpHeader.LEN)) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        skb.setTransportHeader(skb.data());
        TcpHeader th = new TcpHeader(skb.head(), skb.data());
        // 3. A data offset below 5 words is a bad packet; one past the end, a discard.
        if (th.doff() < 5) {
            ctx.count(skb, Snmp.TcpInErrs);
            ctx.drop(skb, SkbDropReason.PKT_TOO_SMALL);
            return;
        }
        if (!skb.mayPull(th.doff() * 4)) {
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        int saddr = Iph.saddr(skb);
        int daddr = Iph.daddr(skb);
        // 4. The checksum (skb_checksum_init, completed by tcp_checksum_complete on every
        //    path a segment takes here): TcpInCsumErrors and TcpInErrs.
        if (Inetcsum.transportBad(skb, saddr, daddr)) {
            ctx.count(skb, Snmp.TcpInCsumErrors);
            ctx.count(skb, Snmp.TcpInErrs);
            ctx.drop(skb, SkbDropReason.TCP_CSUM);
            return;
        }
        // 5. __inet_lookup_skb: established (full sockets and time-wait minisocks), request
        //    socks (TCP_NEW_SYN_RECV), then listeners.
        String ekey = RequestSock.key(daddr, th.dest(), saddr, th.source());
        TcpSock tp = ehash.get(ekey);
        if (tp != null && tp.tw) {
            tcpV4DoTimeWait(ctx, skb, th, tp);
            return;
        }
        if (tp != null) {
            input.tcpV4DoRcv(ctx, tp, skb, th);
            return;
        }
        RequestSock req = requests.get(ekey);
        if (req != null) {
            TcpMinisocks.tcpCheckReq(ctx, this, skb, th, req, listeners.get(req.listener()));
            return;
        }
        HostConfig.SocketSpec lsk = inetLookupListener(daddr, th.dest());
        if (lsk == null) {
            // no_tcp_socket: answer with a reset (RFC 793: "CLOSED ... a reset is sent").
            tcpV4SendReset(ctx, skb, th, false);
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return;
        }
        tcpV4DoRcv(ctx, skb, th, lsk);
    }

    /**
     * __inet_lookup_listener / compute_score: a listener bound to this exact address scores
     * above one on INADDR_ANY.
     */
    public HostConfig.SocketSpec inetLookupListener(int daddr, int dport) {
        HostConfig.SocketSpec best = null;
        int bestScore = -1;
        for (ListenSock l : listeners.values()) {
            HostConfig.SocketSpec s = l.spec();
            if (!"tcp".equals(s.proto()) || !s.listen() || s.port() != dport) continue;
            int score = 1;
            if (s.addr() != 0) {
                if (s.addr() != daddr) continue;
                score += 4;
            }
            if (score > bestScore) {
                best = s;
                bestScore = score;
            }
        }
        return best;
    }

    /**
     * tcp_v4_do_rcv for a listener, and the TCP_LISTEN case of tcp_rcv_state_process
     * (net/ipv4/tcp_input.c): an ACK is answered with a reset, a RST is dropped, a SYN (without
     * FIN) opens a request, anything else is dropped.
     */
    void tcpV4DoRcv(LayerContext ctx, SkBuff skb, TcpHeader th, HostConfig.SocketSpec lsk) {
        ctx.trace(skb, "tcp_v4_do_rcv");
        ctx.trace(skb, "tcp_rcv_state_process");
        // 1. tcp_v4_cookie_check: a non-SYN may be the ACK of a SYN cookie.
        if (!th.syn() && cookieV4Check(ctx, skb, th, lsk)) return;
        // 2. ACK: "return SKB_DROP_REASON_TCP_FLAGS", and tcp_v4_do_rcv resets.
        if (th.ack()) {
            tcpV4SendReset(ctx, skb, th, true);
            ctx.drop(skb, SkbDropReason.TCP_FLAGS);
            return;
        }
        // 3. RST to a listener.
        if (th.rst()) {
            ctx.drop(skb, SkbDropReason.TCP_RESET);
            return;
        }
        if (th.syn()) {
            // 4. SYN+FIN is never a valid opening.
            if (th.fin()) {
                ctx.drop(skb, SkbDropReason.TCP_FLAGS);
                return;
            }
            tcpV4ConnRequest(ctx, skb, th, lsk);
            return;
        }
        // 5. No SYN, ACK or RST.
        ctx.drop(skb, SkbDropReason.TCP_FLAGS);
    }

    /**
     * tcp_v4_conn_request + tcp_conn_request: never for broadcast or multicast; a request sock
     * is added unless the SYN queue is full (then a syncookie SYN-ACK with tcp_syncookies, or a
     * drop) or the accept queue is; the SYN-ACK goes out. The SYN is consumed, its data ignored.
     */
    void tcpV4ConnRequest(LayerContext ctx, SkBuff skb, TcpHeader th, HostConfig.SocketSpec lsk) {
        ctx.trace(skb, "tcp_v4_conn_request");
        RouteResult rt = skb.cb().route;
        // 1. Never answer SYNs sent to broadcast or multicast.
        if (rt != null && (rt.rtType() == RouteResult.RTN_BROADCAST || rt.rtType() == RouteResult.RTN_MULTICAST)) {
            tcpListendrop(ctx, skb);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        ctx.trace(skb, "tcp_conn_request");
        int syncookies = sysctl(SysctlRegistry.TCP_SYNCOOKIES);
        int backlog = Math.min(lsk.backlog(), sysctl(SysctlRegistry.SOMAXCONN));
        long qlen = requests.values().stream().filter(r -> r.listener().equals(lsk.key())).count();
        boolean wantCookie = false;
        // 2. SYN queue full (inet_csk_reqsk_queue_is_full) or syncookies=2: tcp_syn_flood_action.
        if (syncookies == 2 || qlen > backlog) {
            if (syncookies != 0) {
                wantCookie = true;
                ctx.count(skb, Snmp.TcpExtTCPReqQFullDoCookies);
            } else {
                ctx.count(skb, Snmp.TcpExtTCPReqQFullDrop);
                tcpListendrop(ctx, skb);
                ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
                return;
            }
        }
        // 3. sk_acceptq_is_full: more completed connections waiting than the backlog allows.
        ListenSock ls = listeners.get(lsk.key());
        if (ls != null && ls.acceptQueue > ls.maxAckBacklog()) {
            ctx.count(skb, Snmp.TcpExtListenOverflows);
            tcpListendrop(ctx, skb);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        // 4. The SYN's options.
        OptionsReceived opt = tcpParseOptions(th);
        if (wantCookie && !opt.sawTstamp()) {
            opt = new OptionsReceived(false, 0, 0, false, false, 0, opt.mssClamp());
        }
        int saddr = Iph.saddr(skb);
        int daddr = Iph.daddr(skb);
        // 5. The route back (route_req): its MTU gives the MSS we advertise.
        int advmss = dstMetricAdvmss(routeMtu(saddr, skb.dev()));
        boolean tstampOk = opt.sawTstamp();
        int tsOff = tstampOk ? initTsOff(saddr, daddr) : 0;
        // 6. Without syncookies the last quarter of the SYN queue is kept for proven peers.
        int maxSynBacklog = sysctl(SysctlRegistry.TCP_MAX_SYN_BACKLOG);
        if (!wantCookie && syncookies == 0 && (maxSynBacklog - qlen < (maxSynBacklog >> 2))) {
            tcpListendrop(ctx, skb);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return;
        }
        int isn = wantCookie ? cookieInitSequence(lsk.key(), saddr, daddr, th, opt.mssClamp(), ctx)
                : twIsn != 0 ? twIsn : tcpV4InitSeq(saddr, daddr, th, ctx);
        boolean ecnOk = tcpEcnCreateRequest(th, Iph.tos(skb));
        if (wantCookie && !tstampOk) ecnOk = false;
        // 7. tcp_openreq_init_rwin: window and window scale.
        int[] win = tcpOpenreqInitRwin(advmss, tstampOk, opt.wscaleOk(), ls != null ? ls.rcvbuf : 0);
        RequestSock req = new RequestSock(lsk.key(), daddr, th.dest(), saddr, th.source(),
                th.seq(), isn, opt.mssClamp(), opt.sawTstamp() ? opt.rcvTsval() : 0, tstampOk,
                opt.sackOk(), opt.wscaleOk(), opt.sndWscale(), win[1], win[0], tsOff, ecnOk,
                Iph.tos(skb), ctx.nowNanos(), 0);
        if (!wantCookie) {
            requests.put(req.key(), req);
            reqTimers.put(req.key(), new long[]{0, ctx.nowNanos() + TcpTimer.TCP_TIMEOUT_INIT, 0});
        } else {
            ctx.count(skb, Snmp.TcpExtSyncookiesSent);
        }
        ctx.enqueue(KernelQueue.IP_LOCAL_OUT, tcpMakeSynack(ctx, skb, req, advmss));
        ctx.consume(skb);
    }

    /** tcp_listendrop: TcpExtListenDrops. */
    private static void tcpListendrop(LayerContext ctx, SkBuff skb) {
        ctx.count(skb, Snmp.TcpExtListenDrops);
    }

    /**
     * The first case of tcp_check_req: the peer's SYN again (same ISN, no ACK) gets the SYN-ACK
     * again (inet_rtx_syn_ack), at most once per tcp_invalid_ratelimit (tcp_oow_rate_limited).
     */
    void retransmitSynackForSyn(LayerContext ctx, SkBuff skb, RequestSock req) {
        long now = Math.floorDiv(ctx.nowNanos(), 1_000_000L);
        int limit = sysctl(SysctlRegistry.TCP_INVALID_RATELIMIT);
        if (req.lastOowAckJiffies() != 0 && now - req.lastOowAckJiffies() < limit) {
            ctx.count(skb, Snmp.TcpExtTCPACKSkippedSynRecv);
            ctx.consume(skb);
            return;
        }
        RequestSock upd = withOowAck(req, now == 0 ? 1 : now);
        requests.put(upd.key(), upd);
        int advmss = dstMetricAdvmss(routeMtu(req.rmtAddr(), skb.dev()));
        ctx.enqueue(KernelQueue.IP_LOCAL_OUT, tcpMakeSynack(ctx, skb, upd, advmss));
        ctx.count(skb, Snmp.TcpRetransSegs);
        ctx.count(skb, Snmp.TcpExtTCPSynRetrans);
        // inet_rtx_syn_ack counts num_retrans (not num_timeout, which the retries limit and the
        // backoff go by); the timer restarts from now (mod_timer_pending).
        long[] t = reqTimers.get(req.key());
        if (t != null && t.length > 2) {
            t[2]++;
            t[1] = ctx.nowNanos() + Math.min(TcpTimer.TCP_TIMEOUT_INIT << t[0], TcpTimer.TCP_RTO_MAX);
        }
        ctx.consume(skb);
    }

    private static RequestSock withOowAck(RequestSock req, long jiffies) {
        return new RequestSock(req.listener(), req.locAddr(), req.locPort(), req.rmtAddr(),
                req.rmtPort(), req.rcvIsn(), req.sntIsn(), req.mss(), req.tsRecent(), req.tstampOk(),
                req.sackOk(), req.wscaleOk(), req.sndWscale(), req.rcvWscale(), req.rcvWnd(), req.tsOff(),
                req.ecnOk(), req.synTos(), req.createdNanos(), jiffies);
    }

    /**
     * tcp_parse_options, net/ipv4/tcp_input.c, for a SYN: MSS, window scale (capped at 14),
     * SACK-permitted and timestamps, each only if its sysctl is on; a malformed option ends
     * the walk.
     */
    OptionsReceived tcpParseOptions(TcpHeader th) {
        boolean sawTstamp = false, sackOk = false, wscaleOk = false;
        int tsval = 0, tsecr = 0, sndWscale = 0, mssClamp = TCP_MSS_DEFAULT;
        boolean syn = th.syn();
        for (TcpHeader.Option o : th.options()) {
            byte[] d = o.data();
            int opsize = d.length + 2;
            switch (o.kind()) {
                case TcpHeader.TCPOPT_MSS:
                    if (opsize == TcpHeader.TCPOLEN_MSS && syn) {
                        int inMss = Bytes.u16(d, 0);
                        if (inMss != 0) mssClamp = inMss;
                    }
                    break;
                case TcpHeader.TCPOPT_WINDOW:
                    if (opsize == TcpHeader.TCPOLEN_WINDOW && syn && sysctl(SysctlRegistry.TCP_WINDOW_SCALING) != 0) {
                        wscaleOk = true;
                        sndWscale = Math.min(d[0] & 0xff, TCP_MAX_WSCALE);
                    }
                    break;
                case TcpHeader.TCPOPT_TIMESTAMP:
                    if (opsize == TcpHeader.TCPOLEN_TIMESTAMP && sysctl(SysctlRegistry.TCP_TIMESTAMPS) != 0) {
                        sawTstamp = true;
                        tsval = Bytes.u32(d, 0);
                        tsecr = Bytes.u32(d, 4);
                    }
                    break;
                case TcpHeader.TCPOPT_SACK_PERM:
                    if (opsize == TcpHeader.TCPOLEN_SACK_PERM && syn && sysctl(SysctlRegistry.TCP_SACK) != 0) {
                        sackOk = true;
                    }
                    break;
                default:
                    break;
            }
        }
        return new OptionsReceived(sawTstamp, tsval, tsecr, sackOk, wscaleOk, sndWscale, mssClamp);
    }

    /**
     * tcp_ecn_create_request: ECN is agreed when the SYN has ECE and CWR, came not-ECT (or with
     * a reserved bit) and tcp_ecn is on (2, the default, accepts it from peers).
     */
    boolean tcpEcnCreateRequest(TcpHeader th, int ipTos) {
        if (!(th.ece() && th.cwr())) return false;
        boolean ect = (ipTos & Iph.INET_ECN_MASK) != 0;
        boolean ecnOk = sysctl(SysctlRegistry.TCP_ECN) != 0;
        return (!ect || th.res1() != 0) && ecnOk;
    }

    /** ipv4_default_advmss, net/ipv4/route.c: MTU minus IP and TCP headers, at least ip_rt_min_advmss (256). */
    static int dstMetricAdvmss(int mtu) {
        return Math.min(Math.max(mtu - 40, 256), 65535 - 40);
    }

    /**
     * The MTU of the route back to {@code daddr}: the longest matching connected or configured
     * route's device; the input device if none matches.
     */
    int routeMtu(int daddr, String inDev) {
        return routeMtu(host, daddr, inDev);
    }

    /** The MTU of the device the route to {@code daddr} leaves by (connected prefixes, then routes with a dev). */
    static int routeMtu(HostConfig host, int daddr, String inDev) {
        String dev = null;
        int bestLen = -1;
        for (HostConfig.Interface i : host.interfaces()) {
            for (HostConfig.IfAddress a : i.addresses()) {
                if (a.prefixLen() > bestLen && Inet.inPrefix(daddr, a.address(), a.prefixLen())) {
                    bestLen = a.prefixLen();
                    dev = i.name();
                }
            }
        }
        for (HostConfig.Route r : host.routes()) {
            if (r.prefixLen() > bestLen && Inet.inPrefix(daddr, r.dst(), r.prefixLen()) && r.dev() != null) {
                bestLen = r.prefixLen();
                dev = r.dev();
            }
        }
        String d = dev != null ? dev : inDev;
        return host.iface(d).map(HostConfig.Interface::mtu).filter(m -> m > 0).orElse(1500);
    }

    /**
     * tcp_openreq_init_rwin, net/ipv4/tcp_minisocks.c: the listener's full space
     * (tcp_win_from_space of sk_rcvbuf = tcp_rmem[1]) into tcp_select_initial_window with the
     * MSS less the timestamp option. Returns {rcv_wnd, rcv_wscale}.
     */
    int[] tcpOpenreqInitRwin(int advmss, boolean tstampOk, boolean wscaleOk, int rcvbuf) {
        int[] rmem = host.sysctl().get(SysctlRegistry.TCP_RMEM);
        long fullSpace = tcpWinFromSpace(rcvbuf > 0 ? rcvbuf : rmem[1]);
        int mss = advmss - (tstampOk ? TcpHeader.TCPOLEN_TSTAMP_ALIGNED : 0);
        return tcpSelectInitialWindow(fullSpace, mss, wscaleOk, rmem[2]);
    }

    /**
     * tcp_select_initial_window, net/ipv4/tcp_output.c: space rounded down to whole MSS, at
     * most 65535 (32767 with tcp_workaround_signed_windows); the scale is what the largest
     * possible buffer (tcp_rmem[2], rmem_max) needs. Returns {rcv_wnd, rcv_wscale}.
     */
    int[] tcpSelectInitialWindow(long space, int mss, boolean wscaleOk, int rmemMax2) {
        long windowClamp = 65535L << TCP_MAX_WSCALE;
        space = Math.min(windowClamp, Math.max(space, 0));
        if (space > mss) space = (space / mss) * mss;
        long rcvWnd = sysctl(SysctlRegistry.TCP_WORKAROUND_SIGNED_WINDOWS) != 0
                ? Math.min(space, MAX_TCP_WINDOW) : Math.min(space, 65535);
        int wscale = 0;
        if (wscaleOk) {
            long s = Math.max(space, rmemMax2);
            s = Math.max(s, sysctl(SysctlRegistry.RMEM_MAX));
            s = Math.min(s, windowClamp);
            int ilog2 = 63 - Long.numberOfLeadingZeros(s);
            wscale = Math.max(0, Math.min(ilog2 - 15, TCP_MAX_WSCALE));
        }
        return new int[]{(int) rcvWnd, wscale};
    }

    /** secure_tcp_seq stand-in: a keyed hash of the 4-tuple plus a 64 ns clock (the ISN is volatile). */
    int tcpV4InitSeq(int saddr, int daddr, TcpHeader th, LayerContext ctx) {
        long h = mix(secret ^ ((long) saddr << 32 | (daddr & 0xffffffffL)) ^ ((long) th.source() << 16 | th.dest()));
        return (int) (h + (ctx.nowNanos() >> 6));
    }

    /** msstab, net/ipv4/syncookies.c: the MSS values a cookie can carry (2 bits). */
    static final int[] MSSTAB = {536, 1300, 1440, 1460};
    /** COOKIEBITS, COOKIEMASK, MAX_SYNCOOKIE_AGE (minutes), TCP_SYNCOOKIE_VALID (2 min). */
    static final int COOKIEBITS = 24;
    static final int COOKIEMASK = (1 << COOKIEBITS) - 1;
    static final int MAX_SYNCOOKIE_AGE = 2;
    static final long TCP_SYNCOOKIE_VALID = 120_000L * TcpTimer.MS;

    /** tcp_cookie_time: the minute counter the cookie encodes. */
    static int tcpCookieTime(LayerContext ctx) { return (int) Math.floorDiv(ctx.nowNanos(), 60_000L * TcpTimer.MS); }

    /** cookie_hash stand-in: a keyed hash of the 4-tuple and {@code count, c} (the kernel uses siphash with a boot secret). */
    private int cookieHash(int saddr, int daddr, int sport, int dport, int count, int c) {
        return (int) mix(secret ^ (((long) saddr << 32) | (daddr & 0xffffffffL)) ^ ((long) sport << 48 | (long) dport << 32
                | (count & 0xffffffffL)) ^ ((long) c * 0x632BE59BD9B4E019L));
    }

    /**
     * cookie_init_sequence (tcp_input.c) + __cookie_v4_init_sequence / secure_tcp_syn_cookie
     * (syncookies.c): the largest msstab entry not above the peer's MSS, encoded with the
     * minute counter into the ISN: hash(4-tuple) + peer ISN + (count << 24) +
     * ((hash(4-tuple, count) + mssind) & COOKIEMASK). tcp_synq_overflow stamps the listener;
     * TcpExtSyncookiesSent.
     */
    int cookieInitSequence(String listenerKey, int saddr, int daddr, TcpHeader th, int peerMss, LayerContext ctx) {
        int mssind = MSSTAB.length - 1;
        while (mssind > 0 && peerMss < MSSTAB[mssind]) mssind--;
        lastSynqOverflow.put(listenerKey, ctx.nowNanos());
        int count = tcpCookieTime(ctx);
        return cookieHash(saddr, daddr, th.source(), th.dest(), 0, 0) + th.seq() + (count << COOKIEBITS)
                + ((cookieHash(saddr, daddr, th.source(), th.dest(), count, 1) + mssind) & COOKIEMASK);
    }

    /**
     * __cookie_v4_check / check_tcp_syn_cookie: the MSS a returning ACK's cookie (ack - 1, for
     * the peer ISN seq - 1) encodes, or 0 if it is not ours or older than MAX_SYNCOOKIE_AGE minutes.
     */
    int cookieV4CheckMss(int saddr, int daddr, TcpHeader th, LayerContext ctx) {
        int cookie = th.ackSeq() - 1;
        int sseq = th.seq() - 1;
        int count = tcpCookieTime(ctx);
        cookie -= cookieHash(saddr, daddr, th.source(), th.dest(), 0, 0) + sseq;
        int diff = (count - (cookie >>> COOKIEBITS)) & (-1 >>> COOKIEBITS);
        if (diff >= MAX_SYNCOOKIE_AGE) return 0;
        int mssind = (cookie - cookieHash(saddr, daddr, th.source(), th.dest(), count - diff, 1)) & COOKIEMASK;
        return mssind < MSSTAB.length ? MSSTAB[mssind] : 0;
    }

    /**
     * cookie_v4_check + cookie_tcp_check (net/ipv4/syncookies.c), reached from tcp_v4_do_rcv's
     * tcp_v4_cookie_check for a listener's non-SYN segment. Returns false when the listener must
     * handle the segment itself (syncookies off, no ACK, RST, no SYN cookie sent in the last
     * TCP_SYNCOOKIE_VALID, or a bad cookie: TcpExtSyncookiesFailed); true when it is done with:
     * a good cookie (TcpExtSyncookiesRecv) rebuilds the request from the segment (MSS from the
     * cookie; no window scaling or SACK: timestamp cookies are not emulated), the child is made
     * (tcp_get_cookie_sock: ListenOverflows and a drop when the accept queue is full) and
     * processes the ACK (tcp_child_process).
     */
    boolean cookieV4Check(LayerContext ctx, SkBuff skb, TcpHeader th, HostConfig.SocketSpec lsk) {
        if (sysctl(SysctlRegistry.TCP_SYNCOOKIES) == 0 || !th.ack() || th.rst()) return false;
        // 1. tcp_synq_no_recent_overflow: no cookie was sent lately, so this cannot be one.
        Long last = lastSynqOverflow.get(lsk.key());
        if (last == null || ctx.nowNanos() - last > TCP_SYNCOOKIE_VALID) return false;
        int saddr = Iph.saddr(skb);
        int daddr = Iph.daddr(skb);
        // 2. __cookie_v4_check.
        int mss = cookieV4CheckMss(saddr, daddr, th, ctx);
        if (mss == 0) {
            ctx.count(skb, Snmp.TcpExtSyncookiesFailed);
            return false;
        }
        ctx.count(skb, Snmp.TcpExtSyncookiesRecv);
        ctx.trace(skb, "cookie_v4_check");
        // 3. cookie_tcp_reqsk_alloc: the request as the SYN would have made it (timestamps
        //    without the option encoding: off); snt_synack 0, so no RTT sample from the handshake.
        ListenSock ls = listeners.get(lsk.key());
        int[] win = tcpSelectInitialWindow(tcpWinFromSpace(ls != null && ls.rcvbuf > 0 ? ls.rcvbuf : rmemDefault()),
                mss, false, rmemMax());
        RequestSock req = new RequestSock(lsk.key(), daddr, th.dest(), saddr, th.source(),
                th.seq() - 1, th.ackSeq() - 1, mss, 0, false, false, false, 0, 0, win[0], 0, false,
                Iph.tos(skb), Long.MIN_VALUE, 0);
        // 4. tcp_get_cookie_sock -> tcp_v4_syn_recv_sock: the accept queue must have room.
        if (ls == null) {
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return true;
        }
        if (ls.acceptQueue > ls.maxAckBacklog()) {
            ctx.count(skb, Snmp.TcpExtListenOverflows);
            ctx.count(skb, Snmp.TcpExtListenDrops);
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return true;
        }
        TcpInput.Seg s = input.parse(skb, th);
        TcpSock child = TcpMinisocks.tcpCreateOpenreqChild(ctx, this, req, ls, s);
        ls.acceptQueue++;
        hash(child);
        // 5. tcp_child_process.
        input.tcpV4DoRcv(ctx, child, skb, th);
        return true;
    }

    /** secure_tcp_ts_off stand-in: a keyed hash of the address pair. */
    int initTsOff(int saddr, int daddr) {
        return (int) mix(secret * 31 + ((long) saddr << 32 | (daddr & 0xffffffffL)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * tcp_make_synack, net/ipv4/tcp_output.c, sent as tcp_v4_send_synack does
     * (ip_build_and_send_pkt: the listener's TOS, 0; DF, so id 0): SYN+ACK (ECE if ECN was
     * agreed), seq = our ISN, ack = the peer's ISN + 1, the unscaled window, our options.
     */
    SkBuff tcpMakeSynack(LayerContext ctx, SkBuff syn, RequestSock req, int mss) {
        byte[] opts = tcpSynackOptions(ctx, req, mss);
        int len = TcpHeader.LEN + opts.length;
        SkBuff out = ctx.allocSkb(host.netns(), syn, SkBuff.DEFAULT_HEADROOM, len);
        int at = out.put(len);
        out.setTransportHeader(at);
        TcpHeader th = new TcpHeader(out.head(), at);
        th.setSource(req.locPort());
        th.setDest(req.rmtPort());
        th.setSeq(req.sntIsn());
        th.setAckSeq(req.rcvIsn() + 1);
        th.setDoff(len / 4);
        th.setFlags(TcpHeader.SYN | TcpHeader.ACK | (req.ecnOk() ? TcpHeader.ECE : 0));
        // RFC 7323: the window in SYN and SYN-ACK segments is never scaled.
        th.setWindow(Math.min(req.rcvWnd(), 65535));
        System.arraycopy(opts, 0, out.head(), at + TcpHeader.LEN, opts.length);
        th.fillChecksum(req.locAddr(), req.rmtAddr(), len);
        setOutput(out, req.locAddr(), req.rmtAddr(), 0);
        ctx.trace(out, "tcp_v4_send_synack");
        ctx.count(host.netns(), Snmp.TcpOutSegs, 1);
        return out;
    }

    /**
     * tcp_synack_options + tcp_options_write: MSS always; then SACK_PERM+TS (or NOP NOP TS)
     * when timestamps are on, else NOP NOP SACK_PERM; then NOP WScale.
     */
    byte[] tcpSynackOptions(LayerContext ctx, RequestSock req, int mss) {
        byte[] b = new byte[TcpHeader.MAX_TCP_OPTION_SPACE];
        int p = 0;
        Bytes.put32(b, p, (TcpHeader.TCPOPT_MSS << 24) | (TcpHeader.TCPOLEN_MSS << 16) | mss);
        p += 4;
        if (req.tstampOk()) {
            int first = req.sackOk()
                    ? (TcpHeader.TCPOPT_SACK_PERM << 24) | (TcpHeader.TCPOLEN_SACK_PERM << 16)
                    : (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_NOP << 16);
            Bytes.put32(b, p, first | (TcpHeader.TCPOPT_TIMESTAMP << 8) | TcpHeader.TCPOLEN_TIMESTAMP);
            int tsval = (int) Math.floorDiv(ctx.nowNanos(), 1_000_000L) + req.tsOff();
            if (tsval == 0) tsval = ~0;
            Bytes.put32(b, p + 4, tsval);
            Bytes.put32(b, p + 8, req.tsRecent());
            p += 12;
        } else if (req.sackOk()) {
            Bytes.put32(b, p, (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_NOP << 16)
                    | (TcpHeader.TCPOPT_SACK_PERM << 8) | TcpHeader.TCPOLEN_SACK_PERM);
            p += 4;
        }
        if (req.wscaleOk()) {
            Bytes.put32(b, p, (TcpHeader.TCPOPT_NOP << 24) | (TcpHeader.TCPOPT_WINDOW << 16)
                    | (TcpHeader.TCPOLEN_WINDOW << 8) | req.rcvWscale());
            p += 4;
        }
        return java.util.Arrays.copyOf(b, p);
    }

    /**
     * tcp_v4_send_reset, net/ipv4/tcp_ipv4.c: never to a RST; without a socket only for a
     * packet routed locally. With ACK set the RST takes seq = the segment's ack (RFC 793
     * "Reset Generation"); else seq 0 and ACK of seq + SYN + FIN + data length. Sent by the
     * per-cpu control socket: TOS of the segment less ECN, DF (id 0), window 0.
     */
    void tcpV4SendReset(LayerContext ctx, SkBuff skb, TcpHeader th, boolean haveSk) {
        ctx.trace(skb, "tcp_v4_send_reset");
        if (th.rst()) return;
        RouteResult rt = skb.cb().route;
        if (!haveSk && (rt == null || rt.rtType() != RouteResult.RTN_LOCAL)) return;
        SkBuff out = ctx.allocSkb(skb.netns(), skb, SkBuff.DEFAULT_HEADROOM, TcpHeader.LEN);
        int at = out.put(TcpHeader.LEN);
        out.setTransportHeader(at);
        TcpHeader rep = new TcpHeader(out.head(), at);
        rep.setSource(th.dest());
        rep.setDest(th.source());
        rep.setDoff(5);
        if (th.ack()) {
            rep.setSeq(th.ackSeq());
            rep.setFlags(TcpHeader.RST);
        } else {
            int dataLen = skb.len() - th.doff() * 4;
            rep.setAckSeq(th.seq() + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0) + dataLen);
            rep.setFlags(TcpHeader.RST | TcpHeader.ACK);
        }
        int saddr = Iph.daddr(skb);
        int daddr = Iph.saddr(skb);
        rep.fillChecksum(saddr, daddr, TcpHeader.LEN);
        setOutput(out, saddr, daddr, Iph.tos(skb) & ~Iph.INET_ECN_MASK);
        ctx.count(skb, Snmp.TcpOutSegs);
        ctx.count(skb, Snmp.TcpOutRsts);
        ctx.enqueue(KernelQueue.IP_LOCAL_OUT, out);
    }

    private static void setOutput(SkBuff out, int saddr, int daddr, int tos) {
        out.cb().saddr = saddr;
        out.cb().daddr = daddr;
        out.cb().ipProtocol = TcpHeader.IPPROTO_TCP;
        out.cb().tos = tos;
        out.cb().ttl = 0;
        out.cb().df = true;
    }

    /** tcp_checksum_complete with the IPv4 pseudo header. */
    static final class Inetcsum implements java.io.Serializable {
        private Inetcsum() {}
        static boolean transportBad(SkBuff skb, int saddr, int daddr) {
            return io.netstack.wire.InetChecksum.transport(saddr, daddr, TcpHeader.IPPROTO_TCP,
                    skb.head(), skb.data(), skb.len()) != 0;
        }
    }
}
