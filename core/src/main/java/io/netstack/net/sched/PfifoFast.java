package io.netstack.net.sched;

import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;

import java.util.ArrayDeque;

/**
 * pfifo_fast, net/sched/sch_generic.c: the default qdisc of a device with a queue. Three
 * FIFO bands; an skb goes to the band {@link #PRIO2BAND}[skb-&gt;priority &amp; TC_PRIO_MAX];
 * dequeue serves band 0 first, then 1, then 2. Each band is a ring of txqueuelen slots
 * (pfifo_fast_init sizes every band's skb_array to dev-&gt;tx_queue_len), so the limit is per
 * band. A full band drops the skb: qdisc_drop, SKB_DROP_REASON_QDISC_DROP, counted in the
 * qdisc's own drops (tc -s qdisc), not in the device's tx_dropped: __dev_queue_xmit only
 * moves tx_dropped when a device without a queue is down.
 *
 * <p>One instance per (host, device). Not thread-safe: a device's qdisc runs on one thread.
 */
public final class PfifoFast {

    /** TC_PRIO_MAX */
    public static final int TC_PRIO_MAX = 15;
    /** PFIFO_FAST_BANDS */
    public static final int BANDS = 3;
    /**
     * prio2band, sch_generic.c: skb->priority (TC_PRIO_*) to band, the "priomap" that
     * `tc qdisc show` prints: 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1. TC_PRIO_INTERACTIVE (6) and
     * TC_PRIO_CONTROL (7) go first, TC_PRIO_BULK (2) last; rt_tos2priority maps the IP TOS
     * onto these priorities.
     */
    static final int[] PRIO2BAND = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};

    public static final int NET_XMIT_SUCCESS = 0;
    public static final int NET_XMIT_DROP = 1;

    private final String netns;
    private final String dev;
    private final int limit;
    private final TxQueueDepth external;
    @SuppressWarnings("unchecked")
    private final ArrayDeque<SkBuff>[] bands = new ArrayDeque[BANDS];
    private long packets;
    private long bytes;
    private long drops;

    public PfifoFast(String netns, String dev, int limit, TxQueueDepth external) {
        this.netns = netns;
        this.dev = dev;
        this.limit = limit;
        this.external = external;
        for (int i = 0; i < BANDS; i++) bands[i] = new ArrayDeque<>();
    }

    public int limit() { return limit; }

    /** The band an skb of this priority goes to. */
    public static int band(int priority) { return PRIO2BAND[priority & TC_PRIO_MAX]; }

    /** Skbs waiting in {@code band}, here and (by the depth function) elsewhere. */
    public long bandLength(int band) { return bands[band].size() + external.depth(netns, dev, band); }

    /** qdisc->q.qlen: nothing waits (nolock_qdisc_is_empty), so the qdisc may be bypassed. */
    public boolean isEmpty() {
        for (int b = 0; b < BANDS; b++) if (bandLength(b) > 0) return false;
        return true;
    }

    /** pfifo_fast_enqueue, net/sched/sch_generic.c: the skb into its band, or a drop if the band is full. */
    public int enqueue(SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, "pfifo_fast_enqueue");
        int band = band(skb.priority());
        // skb_array_produce fails when the ring has no free slot.
        if (bandLength(band) >= limit) {
            drops++;
            ctx.trace(skb, "qdisc_drop");
            ctx.drop(skb, SkbDropReason.QDISC_DROP);
            return NET_XMIT_DROP;
        }
        bands[band].addLast(skb);
        return NET_XMIT_SUCCESS;
    }

    /** pfifo_fast_dequeue, net/sched/sch_generic.c: the head of the first non-empty band, or null. */
    public SkBuff dequeue(LayerContext ctx) {
        for (ArrayDeque<SkBuff> q : bands) {
            SkBuff skb = q.pollFirst();
            if (skb != null) {
                ctx.trace(skb, "pfifo_fast_dequeue");
                return skb;
            }
        }
        return null;
    }

    /** qdisc_bstats_update: a packet left through the qdisc (dequeued or bypassed). */
    void countSent(SkBuff skb) {
        packets++;
        bytes += skb.len();
    }

    /** tc -s qdisc "Sent ... pkt" */
    public long packets() { return packets; }

    /** tc -s qdisc "Sent ... bytes" */
    public long bytes() { return bytes; }

    /** tc -s qdisc "dropped" */
    public long drops() { return drops; }
}
