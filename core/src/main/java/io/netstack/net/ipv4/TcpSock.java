package io.netstack.net.ipv4;

import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Inet;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * struct tcp_sock (include/linux/tcp.h) with the inet_connection_sock and sock parts TCP uses,
 * reduced: one connection's control block as l4 keeps it. The application's receive queue is
 * not here (the socket layer keeps it); {@link #rmemAlloc} counts what was handed to the
 * socket layer and not yet read, which is what the receive window is computed from.
 *
 * <p>States are numbered as include/net/tcp_states.h; {@link #setState} is tcp_set_state.
 */
public final class TcpSock implements java.io.Serializable {

    /**
     * Pinned to what the class had before congestion control became pluggable, so snapshots
     * taken then still restore; fields added since read as 0/null/false there.
     */
    private static final long serialVersionUID = -6458879715796683118L;

    // sk->sk_shutdown bits
    static final int RCV_SHUTDOWN = 1;
    static final int SEND_SHUTDOWN = 2;

    /** One sent, not yet acknowledged segment of the retransmit queue (tcp_rtx_queue). */
    static final class TxSeg implements java.io.Serializable {
        /** Pinned to what the class had before {@link #retransInFlight}, so earlier snapshots restore. */
        private static final long serialVersionUID = 2490084713480537320L;
        final int seq;
        final int endSeq;
        final boolean syn;
        final boolean fin;
        long sentNanos;
        boolean retransmitted;
        /** TCPCB_LOST: marked lost by an RTO or fast retransmit, not yet sent again. */
        boolean lost;
        /**
         * TCPCB_SACKED_RETRANS: a retransmission of it is in flight (counted in retrans_out);
         * cleared when it is marked lost again or D-SACKed. {@link #retransmitted} is
         * TCPCB_EVER_RETRANS.
         */
        boolean retransInFlight;

        TxSeg(int seq, int endSeq, boolean syn, boolean fin, long sentNanos) {
            this.seq = seq;
            this.endSeq = endSeq;
            this.syn = syn;
            this.fin = fin;
            this.sentNanos = sentNanos;
        }
    }

    /** One out-of-order segment (out_of_order_queue): [seq, seq + data.length), plus FIN. */
    static final class OfoSeg implements java.io.Serializable {
        int seq;
        byte[] data;
        boolean fin;

        OfoSeg(int seq, byte[] data, boolean fin) {
            this.seq = seq;
            this.data = data;
            this.fin = fin;
        }

        int endSeq() { return seq + data.length + (fin ? 1 : 0); }
    }

    final String netns;
    /** The socket layer's key: "tcp 192.0.2.2:80 192.0.2.1:40000". */
    final String key;
    /** The listener it came from (passive open), or null. */
    final String listener;
    final int laddr;
    final int lport;
    final int raddr;
    final int rport;

    /** sk->sk_state as the kernel's number ({@link TcpState#number}): snapshots store the number. */
    private int state = TcpState.TCP_CLOSE.number();
    /** SOCK_DEAD: the application closed it (orphan). */
    boolean dead;
    /** A passive child still in the listener's accept queue. */
    boolean unaccepted;
    int shutdown;

    // Send sequence space
    int iss;
    int sndUna;
    int sndNxt;
    /** write_seq: the end of what the application wrote (plus SYN and FIN). */
    int writeSeq;
    int sndWnd;
    int sndWl1;
    int maxWindow;
    /** snd_sml: the end of the last small segment sent (Minshall's Nagle). */
    int sndSml;
    boolean finQueued;
    int finSeq;
    /**
     * The unacknowledged and unsent data: bytes from sequence {@link #bufSeq}. Not part of the
     * snapshot: the bytes are kept as objects of their own ({@link #sndChunks}).
     */
    transient byte[] sndBuf = new byte[4096];
    /** Where sequence {@link #bufSeq} sits in {@link #sndBuf}: acknowledged bytes are skipped, not moved. */
    int sndBufOff;
    int sndBufLen;
    int bufSeq;
    /**
     * What the application wrote, as it wrote it: each write an object of its own from sequence
     * {@link #chunkSeq} on, removed once fully acknowledged (the snapshot keeps only the
     * positions, so writing it costs what changed, not the bytes in flight); null before the first write.
     */
    io.netstack.state.ObjectQueue<byte[]> sndChunks;
    int chunkSeq;
    final Deque<TxSeg> rtxQueue = new ArrayDeque<>();
    /** sk_sndbuf, as tcp_sndbuf_expand grows it; 0 until the connection is established. */
    int sndbuf;
    /** Payload acknowledged since the connection began, and what the socket layer was last told of it and of sndbuf. */
    long dataAcked;
    long dataAckedReported;
    int sndbufReported;

    // Receive sequence space
    int irs;
    int rcvNxt;
    int rcvWnd;
    int rcvWup;
    int rcvSsthresh;
    int windowClamp;
    /** sk_rcvbuf: tcp_rmem[1] or what SO_RCVBUF set; receive-buffer autotuning grows it (tcp_rcvbuf_grow). */
    int rcvbuf;
    /** SOCK_RCVBUF_LOCK in sk_userlocks: the application set SO_RCVBUF, so sk_rcvbuf is never autotuned. */
    boolean rcvbufLock;
    /** Bytes queued to the socket layer and not yet read. */
    long rmemAlloc;
    final List<OfoSeg> ofo = new ArrayList<>();
    /** The newest out-of-order range, listed first in SACK blocks (tcp_sack_new_ofo_skb). */
    int lastOfoSeq;

    // Options (struct tcp_options_received)
    int mssClamp;
    int advmss;
    int mssCache;
    boolean tstampOk;
    boolean sackOk;
    boolean wscaleOk;
    int sndWscale;
    int rcvWscale;
    int tsRecent;
    long tsRecentStampNanos;
    int tsOff;
    /**
     * rx_opt.rcv_tsecr: the TSecr of the last segment that carried a timestamp, less ts_offset
     * (tcp_parse_aligned_timestamp), 0 for a zero TSecr; what tcp_rcv_rtt_measure_ts measures from.
     */
    int rcvTsecr;
    boolean sawTstamp;

    // Receive-buffer autotuning (tcp_input.c's "receiver autotuning", DRS): tcp_mstamp is in
    // microseconds of the stack's clock. A socket restored from a snapshot taken before these
    // fields existed reads 0 in all of them: rcvqSpace 0 makes tcp_rcv_space_adjust start afresh.
    /** rcv_rtt_est.rtt_us: the receiver's RTT estimate, eight times microseconds; 0 until the first sample. */
    long rcvRttEstUs8;
    /** rcv_rtt_est.seq: a window-based sample (tcp_rcv_rtt_measure) ends when rcv_nxt reaches it. */
    int rcvRttEstSeq;
    /** rcv_rtt_est.time: when that sample began (tcp_mstamp, us); 0 when none has. */
    long rcvRttEstTimeUs;
    /** rcv_rtt_last_tsecr: the TSecr tcp_rcv_rtt_measure_ts last looked at (one sample per echoed TSval). */
    int rcvRttLastTsecr;
    /** rcvq_space.space: what the application read in the last RTT (the DRS estimate of the BDP), bytes. */
    int rcvqSpace;
    /** rcvq_space.seq: copied_seq when that measurement began. */
    int rcvqSpaceSeq;
    /** rcvq_space.time: when that measurement began (tcp_mstamp, us). */
    long rcvqSpaceTimeUs;

    // RTT and RTO (tcp_rtt_estimator), microseconds
    long srttUs8;
    long mdevUs4;
    long mdevMaxUs;
    long rttvarUs;
    int rttSeq;
    long rtoNanos = TcpTimer.TCP_TIMEOUT_INIT;
    int backoff;
    int retransmits;
    /** retrans_stamp: when the first of the current retransmissions' original went out. */
    long retransStampNanos;

    // Congestion control (TcpCong)
    int cwnd = 10;
    int cwndCnt;
    int ssthresh = Integer.MAX_VALUE;
    /** icsk_ca_state: 0 Open, 3 Recovery, 4 Loss. */
    int caState;
    int highSeq;
    int dupAcks;
    /** The highest end of a block the peer SACKed (what tcp_sacktag_write_queue's scoreboard would reach). */
    int highSacked;
    /** F-RTO (RFC 5682) in progress after an RTO: tp->frto. */
    boolean frto;
    /** tp->undo_marker set (a reduction that may be undone), prior_ssthresh and prior_cwnd to undo to. */
    boolean undoMarker;
    int priorSsthresh;
    int priorCwnd;
    /** tp->undo_marker's value: snd_una when the reduction began (tcp_init_undo); meaningful while {@link #undoMarker}. */
    int undoMarkerSeq;
    /**
     * tp->undo_retrans: retransmissions of this episode not yet shown needless by a D-SACK;
     * -1 when none was in flight at tcp_init_undo. 0 with {@link #undoMarker} set: undo.
     */
    int undoRetrans;
    /**
     * tp->retrans_stamp as tcp_packet_delayed reads it: the TS clock (milliseconds, without
     * ts_offset) of the first retransmission of the episode, 0 when none since it was cleared.
     * {@link #retransStampNanos} stays what the write timeout measures from.
     */
    int retransStampTs;
    /** tp->total_retrans: segments retransmitted over the connection's life. */
    int totalRetrans;
    /** tp->dsack_dups: segments the peer reported as duplicates (tcp_dsack_seen). */
    int dsackDups;
    /**
     * icsk_ca_ops: the congestion control (tcp_assign_congestion_control). Null in a socket
     * restored from a snapshot taken before there was a choice: it ran Reno and goes on so.
     */
    TcpCong.TcpCongestionOps caOps;
    /** icsk_ca_priv: the algorithm's own state (CUBIC's struct bictcp), null until it has some. */
    java.io.Serializable caPriv;
    /** icsk_ca_initialized: tcp_init_congestion_control ran. */
    boolean caInitialized;
    /** lsndtime: when data was last sent (tcp_event_data_sent), nanoseconds. */
    long lsndtimeNanos;

    /** The socket's congestion control (Reno for a socket restored from before the choice). */
    TcpCong.TcpCongestionOps caOps() { return caOps != null ? caOps : TcpCong.RENO; }

    /** The name of the socket's congestion control, as TCP_CONGESTION reads it. */
    public String congestionControl() { return caOps().caName(); }

    // Delayed ACK (icsk_ack)
    boolean ackPending;
    int quick;
    boolean pingpong;
    long atoNanos;
    int rcvMss = 536;

    // Timers: absolute deadlines in nanoseconds, 0 when not armed
    long rtoDeadline;
    long delackDeadline;
    long keepaliveDeadline;
    long probeDeadline;
    /** TIME_WAIT, or the orphaned FIN_WAIT2 timeout. */
    long twDeadline;
    int probesOut;

    // Options the application set
    boolean keepalive;
    boolean nodelay;
    long lastRcvNanos;
    /** icsk_ack.lrcvtime: when data last arrived. */
    long lastDataNanos;
    long lastOowAckNanos = Long.MIN_VALUE / 2;

    TcpSock(String netns, String key, String listener, int laddr, int lport, int raddr, int rport) {
        this.netns = netns;
        this.key = key;
        this.listener = listener;
        this.laddr = laddr;
        this.lport = lport;
        this.raddr = raddr;
        this.rport = rport;
    }

    /** The socket key of a connection: "tcp 192.0.2.2:80 192.0.2.1:40000". */
    public static String socketKey(int laddr, int lport, int raddr, int rport) {
        return io.netstack.skb.SockProto.TCP.key(Inet.format(laddr) + ":" + lport + " " + Inet.format(raddr) + ":" + rport);
    }

    /** The 4-tuple key of the established hash (the same shape as the request socks'). */
    String ehashKey() { return TcpIpv4.RequestSock.key(laddr, lport, raddr, rport); }

    public String key() { return key; }
    public TcpState state() { return TcpState.of(state); }

    /** inet_sk_state_store, include/net/inet_sock.h: a new state without tcp_set_state's MIB moves. */
    void inetSkStateStore(TcpState newState) { state = newState.number(); }
    public int sndUna() { return sndUna; }
    public int sndNxt() { return sndNxt; }
    public int rcvNxt() { return rcvNxt; }
    public int sndWnd() { return sndWnd; }
    public int rcvWnd() { return rcvWnd; }
    /** sk_rcvbuf, as receive-buffer autotuning leaves it. */
    public int rcvbuf() { return rcvbuf; }
    /** window_clamp: the largest window we may advertise. */
    public int windowClamp() { return windowClamp; }
    /** rcv_rtt_est in microseconds, as ss -ti shows it (rcv_rtt); 0 before the first sample. */
    public long rcvRttUs() { return rcvRttEstUs8 >> 3; }
    public int mss() { return mssCache; }
    public int cwnd() { return cwnd; }
    public int ssthresh() { return ssthresh; }
    public long rtoNanos() { return rtoNanos; }
    public long srttUs() { return srttUs8 >> 3; }
    public int ofoSegments() { return ofo.size(); }
    public int packetsOut() { return rtxQueue.size(); }

    /** tcp_packets_in_flight: sent and neither acknowledged nor marked lost. */
    int packetsInFlight() {
        int n = 0;
        for (TxSeg s : rtxQueue) if (!s.lost) n++;
        return n;
    }

    /**
     * copied_seq: the next byte the application reads. The socket layer holds what was queued
     * and not read ({@link #rmemAlloc}); a received FIN is in rcv_nxt but never in the queue.
     */
    int copiedSeq() {
        return rcvNxt - (int) rmemAlloc - ((shutdown & RCV_SHUTDOWN) != 0 && !dead ? 1 : 0);
    }

    /** inet_timewait_sock: the connection is a time-wait minisock (substate in {@link #state}). */
    boolean tw;
    /** ICSK_ACK_NOW: the next ACK check sends at once. */
    boolean ackNow;
    /** The errno the connection died with, for the socket layer. */
    int skErr;

    /**
     * tcp_set_state, net/ipv4/tcp.c: the one place a state changes, with the MIB moves it makes
     * (TcpCurrEstab up on entering ESTABLISHED, down on leaving ESTABLISHED or CLOSE_WAIT;
     * TcpEstabResets on ESTABLISHED or CLOSE_WAIT to CLOSE), traced "LISTEN => SYN_RECV".
     */
    void setState(LayerContext ctx, TcpState newState) {
        TcpState old = state();
        if (old == newState) return;
        switch (newState) {
            case TCP_ESTABLISHED:
                ctx.count(netns, Snmp.TcpCurrEstab, 1);
                break;
            case TCP_CLOSE_WAIT:
                if (old == TcpState.TCP_SYN_RECV) ctx.count(netns, Snmp.TcpCurrEstab, 1);
                break;
            case TCP_CLOSE:
                if (old == TcpState.TCP_CLOSE_WAIT || old == TcpState.TCP_ESTABLISHED) ctx.count(netns, Snmp.TcpEstabResets, 1);
                if (old == TcpState.TCP_ESTABLISHED || old == TcpState.TCP_CLOSE_WAIT) ctx.count(netns, Snmp.TcpCurrEstab, -1);
                break;
            default:
                if (old == TcpState.TCP_ESTABLISHED || old == TcpState.TCP_CLOSE_WAIT) ctx.count(netns, Snmp.TcpCurrEstab, -1);
        }
        state = newState.number();
        if (traceSkb != null) ctx.trace(traceSkb, "tcp_set_state " + old.shortName() + " => " + newState.shortName());
    }

    /** The skb the current visit is about, so a state change is traced on its event; may be null (timers). */
    io.netstack.skb.SkBuff traceSkb;

    // --- the send buffer ---------------------------------------------------------------

    /** Appends application bytes at write_seq (before any FIN); the write is recorded in {@code journal} (null: none kept). */
    void appendSend(byte[] data, int off, int len, io.netstack.state.ObjectJournal journal) {
        if (sndChunks == null) {
            // One queue per connection incarnation: a 4-tuple reused later starts a queue of its own.
            sndChunks = new io.netstack.state.ObjectQueue<>("sndq " + key + " " + Integer.toUnsignedString(iss),
                    io.netstack.state.BytesObject.CODEC, journal);
            chunkSeq = bufSeq;
        }
        sndChunks.add(Arrays.copyOfRange(data, off, off + len));
        if (sndBufOff + sndBufLen + len > sndBuf.length) {
            // Compact (the acknowledged head goes), growing only when that is not room enough.
            byte[] to = sndBufLen + len > sndBuf.length
                    ? new byte[Math.max(sndBuf.length * 2, sndBufLen + len)] : sndBuf;
            System.arraycopy(sndBuf, sndBufOff, to, 0, sndBufLen);
            sndBuf = to;
            sndBufOff = 0;
        }
        System.arraycopy(data, off, sndBuf, sndBufOff + sndBufLen, len);
        sndBufLen += len;
        writeSeq += len;
    }

    /** The end of the data (the FIN's sequence number if one is queued, else write_seq). */
    int dataEnd() { return bufSeq + sndBufLen; }

    /** Copies len bytes of the send buffer starting at sequence seq. */
    byte[] sendBytes(int seq, int len) {
        int from = sndBufOff + (seq - bufSeq);
        return Arrays.copyOfRange(sndBuf, from, from + len);
    }

    /**
     * Drops acknowledged data from the send buffer (tcp_clean_rtx_queue's freeing). The bytes are
     * skipped, not moved: moving the rest of a megabytes-long buffer on every ACK made a bulk
     * transfer quadratic.
     */
    void ackData(int una) {
        int n = una - bufSeq;
        if (n <= 0) return;
        n = Math.min(n, sndBufLen);
        sndBufOff += n;
        sndBufLen -= n;
        if (sndBufLen == 0) sndBufOff = 0;
        bufSeq += n;
        dataAcked += n;
        while (sndChunks != null && !sndChunks.isEmpty() && !after(chunkSeq + sndChunks.peek().length, bufSeq)) {
            chunkSeq += sndChunks.poll().length;
        }
    }

    /** The connection is gone: its send buffer's objects go with it. */
    void dropSendBuffer() {
        if (sndChunks != null) sndChunks.clear();
    }

    /** The send buffer's objects, as a full copy of the state holds them. */
    void sendBufferObjects(java.util.Map<String, byte[]> into) {
        if (sndChunks != null) sndChunks.objects(into);
    }

    /**
     * After the snapshot was read back: the send buffer from its objects (claimed from
     * {@code objects}), recording changes in {@code journal} from now on.
     */
    void restoreSendBuffer(java.util.Map<String, byte[]> objects, io.netstack.state.ObjectJournal journal) {
        if (sndChunks == null) {
            sndBuf = new byte[4096];
            return;
        }
        sndChunks.restore(objects, journal);
        int total = 0;
        for (byte[] c : sndChunks) total += c.length;
        if (total != (bufSeq - chunkSeq) + sndBufLen) {
            throw new IllegalStateException(key + ": send buffer objects hold " + total + " bytes, the snapshot expects "
                    + ((bufSeq - chunkSeq) + sndBufLen));
        }
        byte[] b = new byte[Math.max(4096, total)];
        int at = 0;
        for (byte[] c : sndChunks) {
            System.arraycopy(c, 0, b, at, c.length);
            at += c.length;
        }
        sndBuf = b;
        sndBufOff = bufSeq - chunkSeq;
    }

    static boolean before(int a, int b) { return a - b < 0; }
    static boolean after(int a, int b) { return b - a < 0; }

    @Override
    public String toString() {
        return key + " " + state().shortName() + " una=" + Integer.toUnsignedString(sndUna) + " nxt="
                + Integer.toUnsignedString(sndNxt) + " rcv_nxt=" + Integer.toUnsignedString(rcvNxt);
    }
}
