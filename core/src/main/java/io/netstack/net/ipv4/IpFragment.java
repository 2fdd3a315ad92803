package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Ipv4Header;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * net/ipv4/ip_fragment.c and net/ipv4/inet_fragment.c for one host: reassembly queues keyed
 * by (saddr, daddr, id, protocol), fragments held as runs of contiguous pieces as
 * inet_frag_queue_insert keeps them. Any overlap discards the whole datagram (RFC 5722
 * behaviour, Linux since 4.19); a piece wholly inside a run is a duplicate and only it is
 * dropped. A queue lives ipfrag_time seconds from its first fragment.
 *
 * <p>Not emulated: ipfrag_max_dist (ip_frag_too_far), the ECN combination table, and the
 * low-threshold eviction worker (over ipfrag_high_thresh a new queue is refused).
 */
public final class IpFragment implements java.io.Serializable {

    public static final int ICMP_TIME_EXCEEDED = 11;
    public static final int ICMP_EXC_FRAGTIME = 1;

    private static final long SEC = 1_000_000_000L;

    record Key(int saddr, int daddr, int id, int protocol) implements java.io.Serializable {}

    /** One fragment: its skb (data at the payload) and [offset, end) in the datagram. */
    record Frag(SkBuff skb, int offset, int end) implements java.io.Serializable {}

    /** A run of contiguous fragments (FRAG_CB(skb)->frag_run_len). */
    static final class Run implements java.io.Serializable {
        int start;
        int end;
        final List<Frag> frags = new ArrayList<>();
    }

    /** struct ipq / inet_frag_queue. */
    static final class Ipq implements java.io.Serializable {
        final Key key;
        final List<Run> runs = new ArrayList<>();
        Frag tail;
        int len;
        int meat;
        boolean firstIn;
        boolean lastIn;
        long deadline;
        String iif = "";
        int maxSize;
        int maxDfSize;
        long mem;

        Ipq(Key key) { this.key = key; }
    }

    private final L3Host host;
    private final Map<Key, Ipq> queues = new LinkedHashMap<>();
    private long mem;

    IpFragment(L3Host host) {
        this.host = host;
    }

    public int queueCount() { return queues.size(); }

    public long memory() { return mem; }

    /**
     * ip_defrag, net/ipv4/ip_fragment.c: IpReasmReqds, then the fragment joins its queue.
     * Returns the reassembled datagram (the skb that completed it, data and network header at
     * its IPv4 header) or null when the fragment was queued or dropped.
     */
    public SkBuff ipDefrag(SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "ip_defrag");
        ctx.count(skb, Snmp.IpReasmReqds);
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        Ipq qp = ipFind(iph, ctx.nowNanos());
        if (qp == null) {
            ctx.count(skb, Snmp.IpReasmFails);
            ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
            return null;
        }
        return ipFragQueue(qp, skb, ctx);
    }

    /** ip_find / inet_frag_find: refused above ipfrag_high_thresh; a new queue's timer is ipfrag_time. */
    private Ipq ipFind(Ipv4Header iph, long now) {
        Key key = new Key(iph.saddr(), iph.daddr(), iph.id(), iph.protocol());
        Ipq qp = queues.get(key);
        if (qp != null) return qp;
        long high = host.sysctl().get(SysctlRegistry.IPFRAG_HIGH_THRESH);
        if (high == 0 || mem > high) return null;
        qp = new Ipq(key);
        qp.deadline = now + host.sysctl().get(SysctlRegistry.IPFRAG_TIME) * SEC;
        queues.put(key, qp);
        return qp;
    }

    /**
     * ip_frag_queue: places the piece, checks the last fragment's end against what is known,
     * and reassembles once the first and last are in and nothing is missing.
     */
    SkBuff ipFragQueue(Ipq qp, SkBuff skb, LayerContext ctx) {
        Ipv4Header iph = new Ipv4Header(skb.head(), skb.networkHeader());
        int offset = iph.fragmentOffset();
        boolean more = iph.mf();
        int ihl = iph.headerLength();
        int end = offset + skb.len() - ihl;
        // 1. Is this the final fragment? Its end must match what the others said.
        if (!more) {
            if (end < qp.len || (qp.lastIn && end != qp.len)) return discardQp(qp, skb, ctx);
            qp.lastIn = true;
            qp.len = end;
        } else {
            if ((end & 7) != 0) end &= ~7;
            if (end > qp.len) {
                if (qp.lastIn) return discardQp(qp, skb, ctx);
                qp.len = end;
            }
        }
        // 2. An empty piece is corrupt.
        if (end == offset) return discardQp(qp, skb, ctx);
        // 3. pskb_pull the header, trim to the piece.
        skb.pull(ihl);
        skb.trim(end - offset);
        // 4. inet_frag_queue_insert.
        int err = insert(qp, new Frag(skb, offset, end));
        if (err == IPFRAG_DUP) {
            ctx.drop(skb, SkbDropReason.DUP_FRAG);
            return null;
        }
        if (err == IPFRAG_OVERLAP) {
            ctx.count(skb, Snmp.IpExtReasmOverlaps);
            return discardQp(qp, skb, ctx);
        }
        if (!skb.dev().isEmpty()) qp.iif = skb.dev();
        qp.meat += skb.len();
        long truesize = skb.len() + 768L;
        qp.mem += truesize;
        mem += truesize;
        if (offset == 0) qp.firstIn = true;
        int fragsize = skb.len() + ihl;
        qp.maxSize = Math.max(qp.maxSize, fragsize);
        if (iph.df()) qp.maxDfSize = Math.max(qp.maxDfSize, fragsize);
        if (qp.firstIn && qp.lastIn && qp.meat == qp.len) return ipFragReasm(qp, skb, ctx);
        ctx.trace(skb, "inet_frag_queue_insert");
        return null;
    }

    static final int IPFRAG_OK = 0;
    static final int IPFRAG_DUP = 1;
    static final int IPFRAG_OVERLAP = 2;

    /** inet_frag_queue_insert, net/ipv4/inet_fragment.c. */
    static int insert(Ipq q, Frag f) {
        Frag last = q.tail;
        if (last == null || last.end() <= f.offset()) {
            if (last != null && last.end() == f.offset()) {
                Run r = q.runs.get(q.runs.size() - 1);
                r.frags.add(f);
                r.end = f.end();
            } else {
                Run r = new Run();
                r.start = f.offset();
                r.end = f.end();
                r.frags.add(f);
                q.runs.add(r);
            }
            q.tail = f;
            return IPFRAG_OK;
        }
        int pos = 0;
        for (Run r : q.runs) {
            if (f.end() <= r.start) break;
            if (f.offset() >= r.end) {
                pos++;
                continue;
            }
            if (f.offset() >= r.start && f.end() <= r.end) return IPFRAG_DUP;
            return IPFRAG_OVERLAP;
        }
        Run r = new Run();
        r.start = f.offset();
        r.end = f.end();
        r.frags.add(f);
        q.runs.add(pos, r);
        return IPFRAG_OK;
    }

    /** The discard_qp label: the queue dies (its fragments freed), IpReasmFails, the skb dropped. */
    private SkBuff discardQp(Ipq qp, SkBuff skb, LayerContext ctx) {
        kill(qp, ctx, SkbDropReason.FRAG_REASM_TIMEOUT);
        ctx.count(skb, Snmp.IpReasmFails);
        ctx.drop(skb, SkbDropReason.NOT_SPECIFIED);
        return null;
    }

    /** inet_frag_kill + inet_frag_destroy: unhash the queue, free what it held. */
    private void kill(Ipq qp, LayerContext ctx, SkbDropReason reason) {
        queues.remove(qp.key);
        mem -= qp.mem;
        for (Run r : qp.runs) {
            for (Frag f : r.frags) {
                ctx.trace(f.skb(), "inet_frag_rbtree_purge");
                ctx.drop(f.skb(), reason);
            }
        }
        qp.runs.clear();
    }

    /**
     * ip_frag_reasm: the datagram under the first fragment's header, tot_len set, frag_off 0
     * (DF if every piece had DF at the largest size), checksum; IpReasmOKs. Oversized (over
     * 65535) is IpReasmFails.
     */
    private SkBuff ipFragReasm(Ipq qp, SkBuff skb, LayerContext ctx) {
        Frag head = qp.runs.get(0).frags.get(0);
        SkBuff h = head.skb();
        int ihl = h.data() - h.networkHeader();
        int total = ihl + qp.len;
        if (total > 65535) {
            queues.remove(qp.key);
            mem -= qp.mem;
            for (Run r : qp.runs) for (Frag f : r.frags) if (f.skb() != skb) ctx.drop(f.skb(), SkbDropReason.NOT_SPECIFIED);
            ctx.count(skb, Snmp.IpReasmFails);
            ctx.drop(skb, SkbDropReason.PKT_TOO_BIG);
            return null;
        }
        byte[] dg = new byte[total];
        System.arraycopy(h.head(), h.networkHeader(), dg, 0, ihl);
        for (Run r : qp.runs) {
            for (Frag f : r.frags) {
                System.arraycopy(f.skb().head(), f.skb().data(), dg, ihl + f.offset(), f.end() - f.offset());
            }
        }
        Ipv4Header iph = new Ipv4Header(dg, 0);
        iph.setTotalLength(total);
        iph.setFragOff(qp.maxDfSize != 0 && qp.maxDfSize == qp.maxSize ? Ipv4Header.IP_DF : 0);
        iph.fillChecksum();
        queues.remove(qp.key);
        mem -= qp.mem;
        for (Run r : qp.runs) {
            for (Frag f : r.frags) {
                if (f.skb() == skb) continue;
                ctx.trace(f.skb(), "ip_frag_reasm");
                ctx.consume(f.skb());
            }
        }
        ctx.trace(skb, "ip_frag_reasm");
        skb.resetDataTo(skb.networkHeader());
        skb.trim(0);
        int at = skb.put(total);
        System.arraycopy(dg, 0, skb.head(), at, total);
        skb.setNetworkHeader(at);
        skb.setTransportHeader(at + ihl);
        // A forwarded datagram leaves in pieces no larger than it came in (ip_do_fragment).
        skb.cb().fragMaxSize = Math.max(qp.maxDfSize, qp.maxSize);
        ctx.count(skb, Snmp.IpReasmOKs);
        return skb;
    }

    /**
     * ip_expire, net/ipv4/ip_fragment.c, for every queue whose ipfrag_time ran out:
     * IpReasmFails and IpReasmTimeout; if the first fragment came, it is routed again and an
     * ICMP time exceeded (fragment reassembly time exceeded) goes to the sender.
     */
    public void tick(LayerContext ctx, IpOutput out) {
        long now = ctx.nowNanos();
        for (Iterator<Ipq> it = new ArrayList<>(queues.values()).iterator(); it.hasNext(); ) {
            Ipq qp = it.next();
            if (qp.deadline > now) continue;
            ipExpire(qp, ctx, out);
        }
    }

    private void ipExpire(Ipq qp, LayerContext ctx, IpOutput out) {
        queues.remove(qp.key);
        mem -= qp.mem;
        ctx.count(host.netns(), Snmp.IpReasmFails, 1);
        ctx.count(host.netns(), Snmp.IpReasmTimeout, 1);
        SkBuff head = null;
        if (qp.firstIn && !qp.runs.isEmpty()) {
            Run first = qp.runs.get(0);
            head = first.frags.remove(0).skb();
            if (first.frags.isEmpty()) qp.runs.remove(0);
        }
        if (head != null) {
            ctx.trace(head, "ip_expire");
            head.resetDataTo(head.networkHeader());
            head.setDev(qp.iif);
            Ipv4Header iph = new Ipv4Header(head.head(), head.networkHeader());
            Route.Input r = Route.ipRouteInputNoref(host, head, iph.daddr(), iph.saddr(), iph.tos(), qp.iif);
            // frag_expire_skip_icmp is false for IP_DEFRAG_LOCAL_DELIVER: any route will do.
            if (r.reason() == null && r.rt() != null) {
                head.cb().route = r.rt();
                out.icmpSend(host, head, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0, ctx);
            }
            ctx.drop(head, SkbDropReason.FRAG_REASM_TIMEOUT);
        }
        for (Run r : qp.runs) {
            for (Frag f : r.frags) {
                ctx.trace(f.skb(), "inet_frag_rbtree_purge");
                ctx.drop(f.skb(), SkbDropReason.FRAG_REASM_TIMEOUT);
            }
        }
    }
}
