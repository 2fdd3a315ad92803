package io.netstack.net.sched;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.stack.LayerContext;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * net/sched/sch_generic.c: the devices' qdiscs and running them. Every device with a queue
 * gets pfifo_fast with limit txqueuelen (attach_one_default_qdisc). A txqueuelen of 0 is
 * taken as noqueue, as for a device with IFF_NO_QUEUE (veth really has noqueue: with a
 * queue that never builds up, the two transmit the same frames in the same order).
 */
public final class SchGeneric {

    private final Map<String, PfifoFast> qdiscs = new ConcurrentHashMap<>();
    private volatile TxQueueDepth external = TxQueueDepth.EMPTY;

    /** Plugs in the depth of the queue beyond this process (see {@link TxQueueDepth}). */
    public void setTxQueueDepth(TxQueueDepth depth) { this.external = depth; }

    /** The device's qdisc, or null for noqueue (txqueuelen 0). Recreated when txqueuelen changes. */
    public PfifoFast qdisc(String netns, HostConfig.Interface dev) {
        if (dev.txqueuelen() <= 0) return null;
        String key = netns + "\u0000" + dev.name();
        PfifoFast q = qdiscs.get(key);
        if (q == null || q.limit() != dev.txqueuelen()) {
            q = new PfifoFast(netns, dev.name(), dev.txqueuelen(), (n, d, b) -> external.depth(n, d, b));
            qdiscs.put(key, q);
        }
        return q;
    }

    /** Forgets a host's qdiscs. */
    public void remove(String netns) {
        qdiscs.keySet().removeIf(k -> k.startsWith(netns + "\u0000"));
    }

    /** The device's qdisc if it has one yet (for statistics). */
    public PfifoFast existing(String netns, String dev) { return qdiscs.get(netns + "\u0000" + dev); }

    /**
     * __qdisc_run / qdisc_restart, net/sched/sch_generic.c: dequeues until the qdisc is empty
     * and hands each skb to sch_direct_xmit. (The kernel stops after dev_tx_weight packets
     * and reschedules NET_TX; here the driver's queue never stops, so all go at once.)
     */
    public void qdiscRun(PfifoFast q, LayerContext ctx, BiConsumer<SkBuff, LayerContext> devHardStartXmit) {
        SkBuff skb;
        while ((skb = q.dequeue(ctx)) != null) {
            ctx.trace(skb, "qdisc_restart");
            schDirectXmit(q, skb, ctx, devHardStartXmit);
        }
    }

    /** sch_direct_xmit, net/sched/sch_generic.c: the skb to the driver (dev_hard_start_xmit). */
    public void schDirectXmit(PfifoFast q, SkBuff skb, LayerContext ctx, BiConsumer<SkBuff, LayerContext> devHardStartXmit) {
        ctx.trace(skb, "sch_direct_xmit");
        q.countSent(skb);
        devHardStartXmit.accept(skb, ctx);
    }
}
