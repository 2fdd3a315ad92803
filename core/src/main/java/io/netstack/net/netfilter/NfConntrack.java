package io.netstack.net.netfilter;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.Sysctls;
import io.netstack.skb.SkBuff;
import io.netstack.wire.Inet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Connection tracking of one host: nf_conntrack_core.c (nf_conntrack_in, resolve_normal_ct,
 * __nf_conntrack_confirm), nf_conntrack_proto_tcp.c, _udp.c, _icmp.c and the generic tracker.
 *
 * <p>An skb carries its entry as skb->_nfct does: {@code cb.nfCtId} (0 = none, i.e. INVALID or
 * not yet seen) and {@code cb.nfCtinfo} (enum ip_conntrack_info). Entries live in a table per
 * host keyed by both tuples once confirmed; an unconfirmed entry (the first packet of a flow
 * that has not yet left POST_ROUTING / LOCAL_IN) is known only by id. Timeouts run on the
 * driven clock ({@code ctx.nowNanos()}); an expired entry is removed when a lookup meets it
 * (____nf_conntrack_find and nf_ct_gc_expired) or by {@link #gc}.
 */
public final class NfConntrack implements java.io.Serializable {

    // enum ip_conntrack_info, include/uapi/linux/netfilter/nf_conntrack_common.h
    public static final int IP_CT_ESTABLISHED = 0;
    public static final int IP_CT_RELATED = 1;
    public static final int IP_CT_NEW = 2;
    public static final int IP_CT_IS_REPLY = 3;
    public static final int IP_CT_ESTABLISHED_REPLY = 3;
    public static final int IP_CT_RELATED_REPLY = 4;
    public static final int IP_CT_UNTRACKED = 7;

    public static final int DIR_ORIGINAL = 0;
    public static final int DIR_REPLY = 1;

    // enum tcp_conntrack, include/uapi/linux/netfilter/nf_conntrack_tcp.h
    public static final int TCP_NONE = 0, TCP_SYN_SENT = 1, TCP_SYN_RECV = 2, TCP_ESTABLISHED = 3, TCP_FIN_WAIT = 4,
            TCP_CLOSE_WAIT = 5, TCP_LAST_ACK = 6, TCP_TIME_WAIT = 7, TCP_CLOSE = 8, TCP_SYN_SENT2 = 9,
            TCP_MAX = 10, TCP_IGNORE = 11, TCP_RETRANS = 12, TCP_UNACK = 13;
    public static final String[] TCP_STATE_NAMES = {"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
            "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"};

    private static final long SEC = 1_000_000_000L;
    /** tcp_timeouts[], nf_conntrack_proto_tcp.c, indexed by state (then RETRANS, UNACK). */
    private static final long[] TCP_TIMEOUTS = {0, 120 * SEC, 60 * SEC, 432000 * SEC, 120 * SEC, 60 * SEC, 30 * SEC,
            120 * SEC, 10 * SEC, 120 * SEC, 0, 0, 300 * SEC, 300 * SEC};
    /** nf_conntrack_tcp_max_retrans */
    private static final int TCP_MAX_RETRANS = 3;
    /** udp_timeouts: UDP_CT_UNREPLIED, UDP_CT_REPLIED */
    private static final long UDP_UNREPLIED = 30 * SEC, UDP_REPLIED = 120 * SEC;
    /** nf_ct_icmp_timeout */
    private static final long ICMP_TIMEOUT = 30 * SEC;
    /** nf_ct_generic_timeout */
    private static final long GENERIC_TIMEOUT = 600 * SEC;

    private static final int sNO = TCP_NONE, sSS = TCP_SYN_SENT, sSR = TCP_SYN_RECV, sES = TCP_ESTABLISHED,
            sFW = TCP_FIN_WAIT, sCW = TCP_CLOSE_WAIT, sLA = TCP_LAST_ACK, sTW = TCP_TIME_WAIT, sCL = TCP_CLOSE,
            sS2 = TCP_SYN_SENT2, sIV = TCP_MAX, sIG = TCP_IGNORE;

    // enum tcp_bit_set
    private static final int TCP_SYN_SET = 0, TCP_SYNACK_SET = 1, TCP_FIN_SET = 2, TCP_ACK_SET = 3, TCP_RST_SET = 4, TCP_NONE_SET = 5;

    /** tcp_conntracks[dir][index][old state], nf_conntrack_proto_tcp.c (Linux 6.x). */
    private static final int[][][] TCP_CONNTRACKS = {
            { // ORIGINAL: sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2
                    /*syn*/    {sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2},
                    /*synack*/ {sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR},
                    /*fin*/    {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
                    /*ack*/    {sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV},
                    /*rst*/    {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
                    /*none*/   {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV}},
            { // REPLY
                    /*syn*/    {sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2},
                    /*synack*/ {sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR},
                    /*fin*/    {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
                    /*ack*/    {sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG},
                    /*rst*/    {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
                    /*none*/   {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV}}};

    // IP_CT_TCP_FLAG_*
    private static final int F_WINDOW_SCALE = 0x01, F_SACK_PERM = 0x02, F_CLOSE_INIT = 0x04, F_BE_LIBERAL = 0x08,
            F_DATA_UNACKNOWLEDGED = 0x10, F_MAXACK_SET = 0x20, F_EXP_CHALLENGE_ACK = 0x40, F_SIMULTANEOUS_OPEN = 0x80;

    /**
     * struct nf_conntrack_tuple, reduced: addresses, protocol and the two 16-bit protocol
     * fields. TCP/UDP: the ports. ICMP: sport = the echo id, dport = type &lt;&lt; 8 | code.
     */
    public record Tuple(int src, int dst, int proto, int sport, int dport) implements java.io.Serializable {
        @Override
        public String toString() {
            String p = proto == NfHeaders.IPPROTO_ICMP
                    ? " type=" + (dport >>> 8) + " code=" + (dport & 0xff) + " id=" + sport
                    : " sport=" + sport + " dport=" + dport;
            return "src=" + Inet.format(src) + " dst=" + Inet.format(dst) + p;
        }
    }

    /** ip_ct_tcp_state: one direction's window tracking. */
    static final class TcpSeen implements java.io.Serializable {
        int tdEnd, tdMaxend, tdMaxwin, tdMaxack, tdScale, flags;
    }

    /** struct nf_conn, reduced. */
    public static final class Conn implements java.io.Serializable {
        final long id;
        final Tuple[] tuple = new Tuple[2];
        boolean confirmed, seenReply, assured, dying;
        /** IPS_SRC_NAT / IPS_DST_NAT: the binding changed the tuple; *_DONE: the manip was set up. */
        boolean srcNat, dstNat, srcNatDone, dstNatDone;
        long timeout;
        // TCP (struct ip_ct_tcp)
        int tcpState;
        final TcpSeen[] seen = {new TcpSeen(), new TcpSeen()};
        int lastIndex = TCP_NONE_SET, lastDir, lastSeq, lastAck, lastEnd, lastWin, lastWscale, lastFlags, retrans;
        // UDP
        long udpStreamTs;

        Conn(long id, Tuple orig, Tuple reply) {
            this.id = id;
            tuple[DIR_ORIGINAL] = orig;
            tuple[DIR_REPLY] = reply;
        }

        public long id() { return id; }
        public Tuple original() { return tuple[DIR_ORIGINAL]; }
        public Tuple reply() { return tuple[DIR_REPLY]; }
        public int proto() { return tuple[0].proto(); }
        /** TCP_CONNTRACK_* for TCP entries. */
        public int tcpState() { return tcpState; }
        public boolean seenReply() { return seenReply; }
        public boolean assured() { return assured; }
        public boolean srcNat() { return srcNat; }
        public boolean dstNat() { return dstNat; }
        public long timeoutNanos() { return timeout; }

        @Override
        public String toString() {
            String p = proto() == 6 ? "tcp" : proto() == 17 ? "udp" : proto() == 1 ? "icmp" : "unknown";
            return p + " " + proto() + (proto() == 6 ? " " + TCP_STATE_NAMES[tcpState] : "") + " " + tuple[0]
                    + (seenReply ? "" : " [UNREPLIED]") + " " + tuple[1] + (assured ? " [ASSURED]" : "");
        }
    }

    /** Where a tuple hashes: an entry and the direction the tuple is of. */
    private record Hash(Conn ct, int dir) implements java.io.Serializable {}

    private final Map<Tuple, Hash> hash = new HashMap<>();
    private final Map<Long, Conn> byId = new LinkedHashMap<>();
    private long nextId = 1;
    private int sinceGc;
    private volatile Sysctls sysctl;

    public NfConntrack(Sysctls sysctl) {
        this.sysctl = sysctl;
    }

    void setSysctl(Sysctls sysctl) { this.sysctl = sysctl; }

    /** The entry an skb is attached to, or null. */
    public Conn get(SkBuff skb) {
        long id = skb.cb().nfCtId;
        return id == 0 ? null : byId.get(id);
    }

    /** The confirmed entries, for `conntrack -L`. */
    public List<Conn> entries() {
        List<Conn> out = new ArrayList<>();
        for (Conn c : byId.values()) if (c.confirmed && !c.dying) out.add(c);
        return out;
    }

    /** nf_conntrack_find_get: the confirmed entry holding {@code t}, dropping it if expired. */
    Hash find(Tuple t, long now) {
        Hash h = hash.get(t);
        if (h != null && now - h.ct.timeout >= 0) {
            kill(h.ct);
            return null;
        }
        return h;
    }

    /**
     * nf_ct_kill / nf_ct_delete: out of the table. An skb holding it keeps using it (it stays
     * known by id until the next {@link #gc}), as the skb's reference keeps the kernel's alive.
     */
    void kill(Conn ct) {
        ct.dying = true;
        if (ct.confirmed) {
            hash.remove(ct.tuple[0], new Hash(ct, 0));
            hash.remove(ct.tuple[1], new Hash(ct, 1));
        }
    }

    /** Drops every expired or killed entry (the gc worker, gc_worker in nf_conntrack_core.c). */
    public void gc(long now) {
        List<Conn> dead = new ArrayList<>();
        for (Conn c : byId.values()) if (c.dying || now - c.timeout >= 0) dead.add(c);
        for (Conn c : dead) {
            kill(c);
            byId.remove(c.id);
        }
    }

    private static void attach(SkBuff skb, Conn ct, int ctinfo) {
        skb.cb().nfCtId = ct == null ? 0 : ct.id;
        skb.cb().nfCtinfo = ct == null ? 0 : ctinfo;
    }

    /** nf_ct_attach / nf_conntrack_attach: a reply built for {@code orig} (REJECT) is RELATED to its entry. */
    void attachRelated(SkBuff reply, SkBuff orig) {
        Conn ct = get(orig);
        if (ct == null) return;
        int ctinfo = orig.cb().nfCtinfo >= IP_CT_IS_REPLY ? IP_CT_RELATED : IP_CT_RELATED_REPLY;
        attach(reply, ct, ctinfo);
    }

    // --- nf_conntrack_in ----------------------------------------------------------------------

    /**
     * nf_conntrack_in, nf_conntrack_core.c: finds or creates the entry of the packet at
     * {@code ip} and runs its protocol's tracker. Conntrack itself never drops here: an
     * invalid packet leaves with no entry (ctstate INVALID), as -NF_ACCEPT does.
     */
    void conntrackIn(SkBuff skb, NfHook hook, long now) {
        // 1. An skb that already has an entry (a REJECT reply attached by nf_ct_attach) keeps it.
        if (skb.cb().nfCtId != 0 && byId.containsKey(skb.cb().nfCtId)) return;
        attach(skb, null, 0);
        if (++sinceGc >= 1024) {
            sinceGc = 0;
            gc(now);
        }
        byte[] b = skb.head();
        int ip = skb.data();
        int end = ip + Math.min(skb.len(), NfHeaders.totLen(b, ip));
        int proto = NfHeaders.protocol(b, ip);
        // 2. ipv4_get_l4proto: a non-first fragment is not tracked (nf_defrag_ipv4 reassembles first).
        if (NfHeaders.fragOff(b, ip) != 0) return;
        int th = ip + NfHeaders.ihlBytes(b, ip);
        // 3. nf_conntrack_handle_icmp: an ICMP error finds the entry of the packet it quotes.
        if (proto == NfHeaders.IPPROTO_ICMP) {
            if (end - th < 8) return;                                      // "short packet"
            if (checksumOn(hook) && NfHeaders.badChecksum(b, ip, th, end, proto)) return;   // "bad hw icmp checksum"
            int type = NfHeaders.icmpType(b, th);
            if (type > 18) return;                                          // NR_ICMP_TYPES
            if (isIcmpError(type)) {
                icmpErrorMessage(skb, b, ip, th, end, now);
                return;
            }
        }
        Tuple t = pktToTuple(b, ip, th, end, proto);
        if (t == null) return;
        // 4. resolve_normal_ct: look up, or create an unconfirmed entry.
        Hash h = find(t, now);
        for (int attempt = 0; attempt < 2; attempt++) {
            Conn ct;
            int ctinfo;
            if (h == null) {
                Tuple reply = invert(t);
                if (reply == null) return;
                ct = new Conn(nextId++, t, reply);
                ct.timeout = now;
                ctinfo = IP_CT_NEW;
            } else {
                ct = h.ct;
                if (h.dir == DIR_REPLY) ctinfo = IP_CT_ESTABLISHED_REPLY;
                else ctinfo = ct.seenReply ? IP_CT_ESTABLISHED : IP_CT_NEW;
            }
            // 5. The protocol tracker: accept, invalid (-NF_ACCEPT), or repeat after killing a closed entry.
            int r = switch (proto) {
                case NfHeaders.IPPROTO_TCP -> tcpPacket(ct, b, ip, th, end, ctinfo, hook, now);
                case NfHeaders.IPPROTO_UDP -> udpPacket(ct, b, ip, th, end, ctinfo, hook, now);
                case NfHeaders.IPPROTO_ICMP -> icmpPacket(ct, ctinfo, now);
                default -> {
                    ct.timeout = now + GENERIC_TIMEOUT;
                    yield ACCEPT;
                }
            };
            if (r == REPEAT) {
                h = find(t, now);
                continue;
            }
            if (r == INVALID) return;
            byId.putIfAbsent(ct.id, ct);
            // 6. The first reply marks the entry IPS_SEEN_REPLY.
            if (ctinfo == IP_CT_ESTABLISHED_REPLY) ct.seenReply = true;
            attach(skb, ct, ctinfo);
            return;
        }
    }

    private static final int ACCEPT = 1, INVALID = 0, REPEAT = 2;

    private boolean checksumOn(NfHook hook) {
        return hook == NfHook.PRE_ROUTING && sysctl.get(SysctlRegistry.NF_CONNTRACK_CHECKSUM) != 0;
    }

    static boolean isIcmpError(int type) {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    /** nf_ct_get_tuple: the tuple of a TCP/UDP/ICMP/other packet, null when the header is short. */
    static Tuple pktToTuple(byte[] b, int ip, int th, int end, int proto) {
        int s = NfHeaders.saddr(b, ip), d = NfHeaders.daddr(b, ip);
        switch (proto) {
            case NfHeaders.IPPROTO_TCP, NfHeaders.IPPROTO_UDP:
                if (end - th < 8) return null;          // tcp_pkt_to_tuple reads 8 bytes, udp its header
                return new Tuple(s, d, proto, NfHeaders.sport(b, th), NfHeaders.dport(b, th));
            case NfHeaders.IPPROTO_ICMP:
                if (end - th < 8) return null;
                return new Tuple(s, d, proto, NfHeaders.icmpId(b, th), (NfHeaders.icmpType(b, th) << 8) | NfHeaders.icmpCode(b, th));
            default:
                return new Tuple(s, d, proto, 0, 0);
        }
    }

    /** nf_ct_invert_tuple (icmp_invert_tuple's invmap for ICMP); null when ICMP has no inverse. */
    static Tuple invert(Tuple t) {
        if (t.proto() == NfHeaders.IPPROTO_ICMP) {
            int type = t.dport() >>> 8;
            int inv = switch (type) {
                case 8 -> 0; case 0 -> 8; case 13 -> 14; case 14 -> 13;
                case 15 -> 16; case 16 -> 15; case 17 -> 18; case 18 -> 17;
                default -> -1;
            };
            if (inv < 0) return null;
            return new Tuple(t.dst(), t.src(), t.proto(), t.sport(), (inv << 8) | (t.dport() & 0xff));
        }
        return new Tuple(t.dst(), t.src(), t.proto(), t.dport(), t.sport());
    }

    /**
     * nf_conntrack_inet_error (icmp_error_message): the entry of the quoted packet, RELATED
     * (or RELATED_REPLY), when the outer destination is where that flow's packets go.
     */
    private void icmpErrorMessage(SkBuff skb, byte[] b, int ip, int th, int end, long now) {
        int inner = th + 8;
        if (end - inner < 20) return;
        int innerIhl = NfHeaders.ihlBytes(b, inner);
        if (innerIhl < 20 || end - inner < innerIhl) return;
        if (NfHeaders.fragOff(b, inner) != 0) return;
        Tuple orig = pktToTuple(b, inner, inner + innerIhl, end, NfHeaders.protocol(b, inner));
        if (orig == null) return;
        Tuple innertuple = invert(orig);
        if (innertuple == null) return;
        Hash h = find(innertuple, now);
        if (h == null) return;
        // "outer daddr mismatch": the error must go where the flow's packets in that direction go.
        if (h.ct.tuple[h.dir].dst() != NfHeaders.daddr(b, ip)) return;
        attach(skb, h.ct, h.dir == DIR_REPLY ? IP_CT_RELATED_REPLY : IP_CT_RELATED);
    }

    /** nf_conntrack_icmp_packet: only a request may start an entry; 30 s timeout. */
    private int icmpPacket(Conn ct, int ctinfo, long now) {
        if (!ct.confirmed) {
            int type = ct.tuple[0].dport() >>> 8;
            if (type != 8 && type != 13 && type != 15 && type != 17) return INVALID;
        }
        ct.timeout = now + ICMP_TIMEOUT;
        return ACCEPT;
    }

    /** udp_error + nf_conntrack_udp_packet, nf_conntrack_proto_udp.c. */
    private int udpPacket(Conn ct, byte[] b, int ip, int th, int end, int ctinfo, NfHook hook, long now) {
        // udp_error: 1. the length field, 2. the checksum (only at PRE_ROUTING, only when set).
        int ulen = io.netstack.wire.Bytes.u16(b, th + 4);
        if (ulen > end - th || ulen < 8) return INVALID;
        if (io.netstack.wire.Bytes.u16(b, th + NfHeaders.UDP_CHECK) != 0 && checksumOn(hook)
                && NfHeaders.badChecksum(b, ip, th, end, NfHeaders.IPPROTO_UDP)) return INVALID;
        if (!ct.confirmed && ct.udpStreamTs == 0) ct.udpStreamTs = now + 2 * SEC;
        // A flow still active two seconds after its start, having seen a reply, becomes a stream.
        if (ct.seenReply) {
            long extra = UDP_UNREPLIED;
            if (now - ct.udpStreamTs > 0) {
                extra = UDP_REPLIED;
                ct.assured = true;
            }
            ct.timeout = now + extra;
        } else {
            ct.timeout = now + UDP_UNREPLIED;
        }
        return ACCEPT;
    }

    // --- TCP ------------------------------------------------------------------------------------

    /** tcp_valid_flags[] over FIN|SYN|RST|ACK|URG (PSH, ECE, CWR always valid). */
    private static boolean tcpValidFlags(int f) {
        f &= ~(NfHeaders.TCP_ECE | NfHeaders.TCP_CWR | NfHeaders.TCP_PSH);
        int syn = NfHeaders.TCP_SYN, rst = NfHeaders.TCP_RST, ack = NfHeaders.TCP_ACK, fin = NfHeaders.TCP_FIN, urg = NfHeaders.TCP_URG;
        return f == syn || f == (syn | urg) || f == (syn | ack) || f == rst || f == (rst | ack) || f == (fin | ack)
                || f == (fin | ack | urg) || f == ack || f == (ack | urg);
    }

    /** get_conntrack_index */
    private static int conntrackIndex(int flags) {
        if ((flags & NfHeaders.TCP_RST) != 0) return TCP_RST_SET;
        if ((flags & NfHeaders.TCP_SYN) != 0) return (flags & NfHeaders.TCP_ACK) != 0 ? TCP_SYNACK_SET : TCP_SYN_SET;
        if ((flags & NfHeaders.TCP_FIN) != 0) return TCP_FIN_SET;
        if ((flags & NfHeaders.TCP_ACK) != 0) return TCP_ACK_SET;
        return TCP_NONE_SET;
    }

    private static boolean before(int a, int b) { return a - b < 0; }
    private static boolean after(int a, int b) { return b - a < 0; }

    /** segment_seq_plus_len */
    private static int segEnd(byte[] b, int th, int end) {
        int f = NfHeaders.tcpFlags(b, th);
        return NfHeaders.tcpSeq(b, th) + (end - th - NfHeaders.tcpDoffBytes(b, th))
                + ((f & NfHeaders.TCP_SYN) != 0 ? 1 : 0) + ((f & NfHeaders.TCP_FIN) != 0 ? 1 : 0);
    }

    /** tcp_options: window scale and SACK-permitted of a SYN. */
    private static void tcpOptions(byte[] b, int th, TcpSeen state) {
        int len = NfHeaders.tcpDoffBytes(b, th) - 20;
        if (len <= 0) return;
        state.tdScale = 0;
        state.flags = 0;
        int p = th + 20;
        while (len > 0) {
            int op = b[p++] & 0xff;
            if (op == 0) return;
            if (op == 1) {
                len--;
                continue;
            }
            if (len < 2) return;
            int sz = b[p++] & 0xff;
            if (sz < 2 || sz > len) return;
            if (op == 4 && sz == 2) state.flags |= F_SACK_PERM;
            else if (op == 3 && sz == 3) {
                state.tdScale = Math.min(b[p] & 0xff, 14);
                state.flags |= F_WINDOW_SCALE;
            }
            p += sz - 2;
            len -= sz;
        }
    }

    /** tcp_sack: the highest right edge of the SACK blocks, if any is above {@code sack}. */
    private static int tcpSack(byte[] b, int th, int sack) {
        int len = NfHeaders.tcpDoffBytes(b, th) - 20;
        int p = th + 20;
        while (len > 0) {
            int op = b[p++] & 0xff;
            if (op == 0) return sack;
            if (op == 1) {
                len--;
                continue;
            }
            if (len < 2) return sack;
            int sz = b[p++] & 0xff;
            if (sz < 2 || sz > len) return sack;
            if (op == 5 && sz >= 10 && (sz - 2) % 8 == 0) {
                for (int i = 0; i < sz - 2; i += 8) {
                    int right = io.netstack.wire.Bytes.u32(b, p + i + 4);
                    if (after(right, sack)) sack = right;
                }
                return sack;
            }
            p += sz - 2;
            len -= sz;
        }
        return sack;
    }

    /** tcp_new: the first packet of an entry: a SYN, or (nf_conntrack_tcp_loose) a mid-stream pickup. */
    private boolean tcpNew(Conn ct, byte[] b, int th, int end) {
        int newState = TCP_CONNTRACK_NEW_STATE(NfHeaders.tcpFlags(b, th));
        if (newState >= TCP_MAX) return false;                 // "invalid new deleting"
        ct.seen[0] = new TcpSeen();
        ct.seen[1] = new TcpSeen();
        TcpSeen s0 = ct.seen[0];
        s0.tdEnd = segEnd(b, th, end);
        s0.tdMaxwin = Math.max(NfHeaders.tcpWindow(b, th), 1);
        if (newState == TCP_SYN_SENT) {
            s0.tdMaxend = s0.tdEnd;
            tcpOptions(b, th, s0);
        } else {
            if (sysctl.get(SysctlRegistry.NF_CONNTRACK_TCP_LOOSE) == 0) return false;
            s0.tdMaxend = s0.tdEnd + s0.tdMaxwin;
            // "We assume SACK and liberal window checking to handle window scaling"
            ct.seen[0].flags = ct.seen[1].flags = F_SACK_PERM | F_BE_LIBERAL;
        }
        ct.lastIndex = TCP_NONE_SET;
        return true;
    }

    private static int TCP_CONNTRACK_NEW_STATE(int flags) {
        return TCP_CONNTRACKS[0][conntrackIndex(flags)][TCP_NONE];
    }

    /** nf_conntrack_tcp_packet, nf_conntrack_proto_tcp.c. */
    private int tcpPacket(Conn ct, byte[] b, int ip, int th, int end, int ctinfo, NfHook hook, long now) {
        // tcp_error: 1. a whole header, 2. the checksum at PRE_ROUTING, 3. a valid flag combination.
        if (end - th < 20) return INVALID;
        int doff = NfHeaders.tcpDoffBytes(b, th);
        if (doff < 20 || end - th < doff) return INVALID;
        if (checksumOn(hook) && NfHeaders.badChecksum(b, ip, th, end, NfHeaders.IPPROTO_TCP)) return INVALID;
        int flags = NfHeaders.tcpFlags(b, th);
        if (!tcpValidFlags(flags)) return INVALID;
        if (!ct.confirmed && ct.tcpState == TCP_NONE && !tcpNew(ct, b, th, end)) return INVALID;

        int oldState = ct.tcpState;
        int dir = ctinfo >= IP_CT_IS_REPLY ? DIR_REPLY : DIR_ORIGINAL;
        int index = conntrackIndex(flags);
        int newState = TCP_CONNTRACKS[dir][index][oldState];
        int seq = NfHeaders.tcpSeq(b, th);
        int ackSeq = NfHeaders.tcpAck(b, th);
        boolean skipWindow = false;

        switch (newState) {
            case TCP_SYN_SENT:
                if (oldState >= TCP_TIME_WAIT
                        && (((ct.seen[dir].flags | ct.seen[1 - dir].flags) & F_CLOSE_INIT) != 0
                        || (ct.lastDir == dir && ct.lastIndex == TCP_RST_SET))) {
                    // Reopening a closed or aborted connection: delete it and look up again.
                    kill(ct);
                    return REPEAT;
                }
                if (oldState < TCP_TIME_WAIT) break;
                // fall through to IGNORE
            case TCP_IGNORE:
                if (newState == TCP_IGNORE || oldState >= TCP_TIME_WAIT) {
                    if (index == TCP_SYNACK_SET && ct.lastIndex == TCP_SYN_SET && ct.lastDir != dir && ackSeq == ct.lastEnd) {
                        // The SYN/ACK answers a SYN we ignored: get in sync from it.
                        oldState = TCP_SYN_SENT;
                        newState = TCP_SYN_RECV;
                        TcpSeen l = ct.seen[ct.lastDir];
                        l.tdEnd = ct.lastEnd;
                        l.tdMaxend = ct.lastEnd;
                        l.tdMaxwin = ct.lastWin == 0 ? 1 : ct.lastWin;
                        l.tdScale = ct.lastWscale;
                        ct.lastFlags &= ~F_EXP_CHALLENGE_ACK;
                        l.flags = ct.lastFlags;
                        ct.seen[dir] = new TcpSeen();
                        break;
                    }
                    ct.lastIndex = index;
                    ct.lastDir = dir;
                    ct.lastSeq = seq;
                    ct.lastEnd = segEnd(b, th, end);
                    ct.lastWin = NfHeaders.tcpWindow(b, th);
                    if (index == TCP_SYN_SET && dir == DIR_ORIGINAL) {
                        TcpSeen s = new TcpSeen();
                        ct.lastFlags = 0;
                        ct.lastWscale = 0;
                        tcpOptions(b, th, s);
                        if ((s.flags & F_WINDOW_SCALE) != 0) {
                            ct.lastFlags |= F_WINDOW_SCALE;
                            ct.lastWscale = s.tdScale;
                        }
                        if ((s.flags & F_SACK_PERM) != 0) ct.lastFlags |= F_SACK_PERM;
                        if (oldState == TCP_LAST_ACK) ct.lastFlags |= F_EXP_CHALLENGE_ACK;
                    }
                    return ACCEPT;                                  // "packet ... ignored"
                }
                break;
            case TCP_MAX:
                return INVALID;                                     // "invalid state"
            case TCP_TIME_WAIT:
                if (oldState == TCP_LAST_ACK && index == TCP_ACK_SET && ct.lastDir != dir
                        && ct.lastIndex == TCP_SYN_SET && (ct.lastFlags & F_EXP_CHALLENGE_ACK) != 0) {
                    ct.lastFlags &= ~F_EXP_CHALLENGE_ACK;           // RFC 5961 challenge ACK: no change
                    return ACCEPT;
                }
                break;
            case TCP_SYN_SENT2:
                ct.lastFlags |= F_SIMULTANEOUS_OPEN;
                break;
            case TCP_SYN_RECV:
                if (dir == DIR_REPLY && index == TCP_ACK_SET && (ct.lastFlags & F_SIMULTANEOUS_OPEN) != 0) newState = TCP_ESTABLISHED;
                break;
            case TCP_CLOSE:
                if (index != TCP_RST_SET) break;
                if ((ct.seen[1 - dir].flags & F_MAXACK_SET) != 0) {
                    if (before(seq, ct.seen[1 - dir].tdMaxack)) return INVALID;    // "invalid rst"
                    boolean established = oldState == TCP_ESTABLISHED;
                    if (established && seq != ct.seen[1 - dir].tdMaxack
                            && !(ct.lastIndex == TCP_ACK_SET && ct.lastDir == dir && seq == ct.lastEnd)) {
                        newState = oldState;        // keep the state to allow a challenge ACK
                    }
                }
                if (((ct.seenReply && ct.lastIndex == TCP_SYN_SET) || (!ct.assured && ct.lastIndex == TCP_ACK_SET))
                        && ackSeq == ct.lastEnd) {
                    skipWindow = true;              // RST to a SYN or ACK we let through
                }
                break;
            default:
                break;
        }

        if (!skipWindow && !tcpInWindow(ct, dir, index, b, th, end)) return INVALID;

        ct.lastIndex = index;
        ct.lastDir = dir;
        ct.tcpState = newState;
        if (oldState != newState && newState == TCP_FIN_WAIT) ct.seen[dir].flags |= F_CLOSE_INIT;

        long timeout;
        long tNew = TCP_TIMEOUTS[newState];
        if (ct.retrans >= TCP_MAX_RETRANS && tNew > TCP_TIMEOUTS[TCP_RETRANS]) timeout = TCP_TIMEOUTS[TCP_RETRANS];
        else if (index == TCP_RST_SET) timeout = TCP_TIMEOUTS[TCP_CLOSE];
        else if (((ct.seen[0].flags | ct.seen[1].flags) & F_DATA_UNACKNOWLEDGED) != 0 && tNew > TCP_TIMEOUTS[TCP_UNACK])
            timeout = TCP_TIMEOUTS[TCP_UNACK];
        else if (ct.lastWin == 0 && tNew > TCP_TIMEOUTS[TCP_RETRANS]) timeout = TCP_TIMEOUTS[TCP_RETRANS];
        else timeout = tNew;

        if (!ct.seenReply) {
            // "If only reply is a RST, we can consider ourselves not to have an established connection"
            if ((flags & NfHeaders.TCP_RST) != 0) {
                kill(ct);
                return ACCEPT;
            }
            if (newState == TCP_ESTABLISHED && timeout > TCP_TIMEOUTS[TCP_UNACK]) timeout = TCP_TIMEOUTS[TCP_UNACK];
        } else if (!ct.assured && (oldState == TCP_SYN_RECV || oldState == TCP_ESTABLISHED) && newState == TCP_ESTABLISHED) {
            ct.assured = true;
        }
        ct.timeout = now + timeout;
        return ACCEPT;
    }

    private static final int MAXACKWINCONST = 66000;

    /** tcp_in_window, with nf_conntrack_tcp_be_liberal and the per-direction BE_LIBERAL flag. */
    private boolean tcpInWindow(Conn ct, int dir, int index, byte[] b, int th, int end) {
        TcpSeen sender = ct.seen[dir];
        TcpSeen receiver = ct.seen[1 - dir];
        int flags = NfHeaders.tcpFlags(b, th);
        boolean syn = (flags & NfHeaders.TCP_SYN) != 0, ackf = (flags & NfHeaders.TCP_ACK) != 0, rst = (flags & NfHeaders.TCP_RST) != 0;
        int seq = NfHeaders.tcpSeq(b, th);
        int ack = NfHeaders.tcpAck(b, th);
        int sack = ack;
        int winRaw = NfHeaders.tcpWindow(b, th);
        int win = winRaw;
        int segEnd = segEnd(b, th, end);
        if ((receiver.flags & F_SACK_PERM) != 0) sack = tcpSack(b, th, sack);

        if (sender.tdMaxwin == 0) {
            if (syn) {
                // SYN-ACK in reply to a SYN, or a SYN from the reply direction in simultaneous open.
                sender.tdEnd = sender.tdMaxend = segEnd;
                sender.tdMaxwin = win == 0 ? 1 : win;
                tcpOptions(b, th, sender);
                if (!((sender.flags & F_WINDOW_SCALE) != 0 && (receiver.flags & F_WINDOW_SCALE) != 0)) {
                    sender.tdScale = receiver.tdScale = 0;
                }
                if (!ackf) return true;
            } else {
                sender.tdEnd = segEnd;
                int swin = win << sender.tdScale;
                sender.tdMaxwin = swin == 0 ? 1 : swin;
                sender.tdMaxend = segEnd + sender.tdMaxwin;
                if (receiver.tdMaxwin == 0) {
                    receiver.tdEnd = receiver.tdMaxend = sack;
                } else if (sack == receiver.tdEnd + 1) {
                    receiver.tdEnd++;
                }
            }
        } else if (((ct.tcpState == TCP_SYN_SENT && dir == DIR_ORIGINAL) || (ct.tcpState == TCP_SYN_RECV && dir == DIR_REPLY))
                && after(segEnd, sender.tdEnd)) {
            // RFC 793: a reinitialized TCP uses larger sequence numbers.
            sender.tdEnd = sender.tdMaxend = segEnd;
            sender.tdMaxwin = win == 0 ? 1 : win;
            tcpOptions(b, th, sender);
        }

        if (!ackf) {
            ack = sack = receiver.tdEnd;
        } else if (rst && ack == 0) {
            ack = sack = receiver.tdEnd;                 // broken stacks: RST+ACK with ack 0
        }
        if (rst && seq == 0 && ct.tcpState == TCP_SYN_SENT) seq = segEnd = sender.tdEnd;

        boolean inRecvWin = receiver.tdMaxwin == 0 || after(segEnd, sender.tdEnd - receiver.tdMaxwin - 1);
        int maxAckWindow = Math.max(sender.tdMaxwin, MAXACKWINCONST);
        if (before(seq, sender.tdMaxend + 1) && inRecvWin && before(sack, receiver.tdEnd + 1)
                && after(sack, receiver.tdEnd - maxAckWindow - 1)) {
            if (!syn) win <<= sender.tdScale;
            int swin = win + (sack - ack);
            if (Integer.compareUnsigned(sender.tdMaxwin, swin) < 0) sender.tdMaxwin = swin;
            if (after(segEnd, sender.tdEnd)) {
                sender.tdEnd = segEnd;
                sender.flags |= F_DATA_UNACKNOWLEDGED;
            }
            if (ackf) {
                if ((sender.flags & F_MAXACK_SET) == 0) {
                    sender.tdMaxack = ack;
                    sender.flags |= F_MAXACK_SET;
                } else if (after(ack, sender.tdMaxack)) {
                    sender.tdMaxack = ack;
                }
            }
            if (receiver.tdMaxwin != 0 && after(segEnd, sender.tdMaxend)) receiver.tdMaxwin += segEnd - sender.tdMaxend;
            if (after(sack + win, receiver.tdMaxend - 1)) {
                receiver.tdMaxend = sack + win;
                if (win == 0) receiver.tdMaxend++;
            }
            if (ack == receiver.tdEnd) receiver.flags &= ~F_DATA_UNACKNOWLEDGED;
            if (index == TCP_ACK_SET) {
                if (ct.lastDir == dir && ct.lastSeq == seq && ct.lastAck == ack && ct.lastEnd == segEnd && ct.lastWin == winRaw) {
                    ct.retrans++;
                } else {
                    ct.lastDir = dir;
                    ct.lastSeq = seq;
                    ct.lastAck = ack;
                    ct.lastEnd = segEnd;
                    ct.lastWin = winRaw;
                    ct.retrans = 0;
                }
            }
            return true;
        }
        return (sender.flags & F_BE_LIBERAL) != 0 || sysctl.get(SysctlRegistry.NF_CONNTRACK_TCP_BE_LIBERAL) != 0;
    }

    // --- confirmation -----------------------------------------------------------------------

    /**
     * __nf_conntrack_confirm (ipv4_confirm at POST_ROUTING and LOCAL_IN, last priority): the
     * first packet of a flow has passed every hook, so its entry enters the table.
     */
    void confirm(SkBuff skb, long now) {
        Conn ct = get(skb);
        if (ct == null || ct.confirmed) return;
        // Only the original direction confirms (a reply cannot be the first packet).
        if (skb.cb().nfCtinfo >= IP_CT_IS_REPLY) return;
        if (ct.dying) {
            byId.remove(ct.id);
            return;
        }
        Hash clash0 = find(ct.tuple[0], now);
        Hash clash1 = find(ct.tuple[1], now);
        if (clash0 != null || clash1 != null) {
            // nf_ct_resolve_clash: another packet of the same flow won the race; use its entry.
            Hash other = clash0 != null ? clash0 : clash1;
            byId.remove(ct.id);
            attach(skb, other.ct, skb.cb().nfCtinfo);
            return;
        }
        ct.confirmed = true;
        // The timeout was set relative to the first packet's time (ct->timeout += nfct_time_stamp).
        hash.put(ct.tuple[0], new Hash(ct, DIR_ORIGINAL));
        hash.put(ct.tuple[1], new Hash(ct, DIR_REPLY));
    }

    /** nf_conntrack_alter_reply: NAT changed where replies come from (before confirmation). */
    void alterReply(Conn ct, Tuple reply) {
        ct.tuple[DIR_REPLY] = reply;
    }

    /** nf_conntrack_tuple_taken: is {@code t} the tuple of a confirmed entry other than {@code ignored}? */
    boolean tupleTaken(Tuple t, Conn ignored, long now) {
        Hash h = find(t, now);
        return h != null && h.ct != ignored;
    }
}
