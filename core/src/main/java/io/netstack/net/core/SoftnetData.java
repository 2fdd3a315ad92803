package io.netstack.net.core;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * struct softnet_data, include/linux/netdevice.h: the per-CPU receive statistics that
 * /proc/net/softnet_stat prints, one line per CPU: processed, dropped, time_squeeze.
 * Shared by every host the layer serves, as softnet_data is per CPU, not per namespace.
 *
 * <p>In the distributed stack the NIC layer counts {@code dropped} (enqueue_to_backlog runs
 * in the driver's netif_rx) and the softirq layer {@code processed}; each service exposes
 * its own instance and the metrics add them up.
 */
public final class SoftnetData {

    private final int cpus;
    private final AtomicLongArray processed;
    private final AtomicLongArray dropped;
    private final AtomicLongArray timeSqueeze;

    public SoftnetData(int cpus) {
        if (cpus < 1) throw new IllegalArgumentException("cpus " + cpus);
        this.cpus = cpus;
        this.processed = new AtomicLongArray(cpus);
        this.dropped = new AtomicLongArray(cpus);
        this.timeSqueeze = new AtomicLongArray(cpus);
    }

    public int cpus() { return cpus; }

    /** sd->processed: one per round of __netif_receive_skb_core. */
    public void incProcessed(int cpu) { processed.incrementAndGet(index(cpu)); }

    /** sd->dropped: enqueue_to_backlog found the backlog over netdev_max_backlog. */
    public void incDropped(int cpu) { dropped.incrementAndGet(index(cpu)); }

    /**
     * sd->time_squeeze: net_rx_action ran out of budget (netdev_budget packets or
     * netdev_budget_usecs) with work left. The one-record-at-a-time runtimes have no
     * budget loop, so nothing counts it yet; a batching runtime may.
     */
    public void incTimeSqueeze(int cpu) { timeSqueeze.incrementAndGet(index(cpu)); }

    public long processed(int cpu) { return processed.get(index(cpu)); }

    public long dropped(int cpu) { return dropped.get(index(cpu)); }

    public long timeSqueeze(int cpu) { return timeSqueeze.get(index(cpu)); }

    /** One line of /proc/net/softnet_stat for {@code cpu} (first three columns, then zeros, then the cpu index). */
    public String softnetStatLine(int cpu) {
        int i = index(cpu);
        return String.format("%08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x %08x",
                processed.get(i), dropped.get(i), timeSqueeze.get(i), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i);
    }

    private int index(int cpu) {
        if (cpu < 0 || cpu >= cpus) throw new IllegalArgumentException("cpu " + cpu + " of " + cpus);
        return cpu;
    }
}
