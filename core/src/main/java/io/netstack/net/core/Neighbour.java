package io.netstack.net.core;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.config.Sysctls;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.LayerContext;
import io.netstack.wire.EthernetHeader;
import io.netstack.wire.MacAddress;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * net/core/neighbour.c for the ARP table (arp_tbl) of one host: entries with their NUD
 * states, the arp_queue of packets waiting for resolution, and the timer that moves
 * REACHABLE -> STALE, DELAY -> PROBE and INCOMPLETE/PROBE -> FAILED.
 *
 * <p>Times are in nanoseconds of the driven clock. The parameters come from
 * net.ipv4.neigh.&lt;dev&gt;.*: retrans_time_ms, base_reachable_time_ms,
 * delay_first_probe_time (s), locktime (USER_HZ, 1/100 s), ucast_solicit, mcast_solicit,
 * app_solicit, mcast_resolicit, unres_qlen_bytes. reachable_time is base_reachable_time
 * itself, not the random value in [base/2, 3*base/2] neigh_rand_reach_time picks.
 */
public final class Neighbour implements java.io.Serializable {

    // include/net/neighbour.h, include/uapi/linux/neighbour.h
    public static final int NUD_INCOMPLETE = 0x01;
    public static final int NUD_REACHABLE = 0x02;
    public static final int NUD_STALE = 0x04;
    public static final int NUD_DELAY = 0x08;
    public static final int NUD_PROBE = 0x10;
    public static final int NUD_FAILED = 0x20;
    public static final int NUD_NOARP = 0x40;
    public static final int NUD_PERMANENT = 0x80;
    public static final int NUD_NONE = 0x00;
    public static final int NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE;
    public static final int NUD_VALID = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
    public static final int NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;

    public static final int NEIGH_UPDATE_F_OVERRIDE = 1;
    public static final int NEIGH_UPDATE_F_WEAK_OVERRIDE = 2;
    public static final int NEIGH_UPDATE_F_ADMIN = 1 << 31;

    private static final long MS = 1_000_000L;
    /** HZ/100: the shortest timer neigh_timer_handler arms. */
    private static final long TICK_MIN = 10 * MS;
    /** Added to skb->len for skb->truesize (struct sk_buff + skb_shared_info + headroom, roughly). */
    static final int TRUESIZE_OVERHEAD = 768;

    /** What the neighbour code needs from ARP, ICMP and the device queue. */
    public interface Ops {
        /** arp_solicit: sends a request for n (unicast to n's address while probes &lt; ucast_solicit). */
        void solicit(Entry n, SkBuff lastQueued, LayerContext ctx);

        /** arp_error_report: ICMP host unreachable about skb, then frees it with NEIGH_FAILED. */
        void errorReport(Entry n, SkBuff skb, LayerContext ctx);

        /** dev_queue_xmit of a finished frame. */
        void xmit(SkBuff frame, LayerContext ctx);

        /** inet_addr_type_dev_table: RTN_* of an address on dev (arp_constructor). */
        int addrType(int ip, String dev);
    }

    /** struct neighbour. */
    public static final class Entry implements java.io.Serializable {
        public final int ip;
        public final String dev;
        MacAddress ha = MacAddress.ZERO;
        int state = NUD_NONE;
        long updated;
        long confirmed;
        long used;
        /** The timer's deadline; -1 when not armed. */
        long timer = -1;
        int probes;
        final Deque<SkBuff> arpQueue = new ArrayDeque<>();
        long arpQueueLenBytes;

        Entry(int ip, String dev) {
            this.ip = ip;
            this.dev = dev;
        }

        public MacAddress ha() { return ha; }
        public int state() { return state; }
        public int probes() { return probes; }
        public long updated() { return updated; }
        public int queued() { return arpQueue.size(); }
        public long timer() { return timer; }
    }

    private record Key(String dev, int ip) implements java.io.Serializable {}

    private volatile HostConfig host;
    private final Ops ops;
    private final Map<Key, Entry> table = new LinkedHashMap<>();

    /** The table with the host's configured entries (installed long before the first packet). */
    public Neighbour(HostConfig host, Ops ops) {
        this.host = host;
        this.ops = ops;
        for (HostConfig.Neighbor cfg : host.neighbors()) {
            Entry n = new Entry(cfg.ip(), cfg.dev());
            n.ha = cfg.mac();
            n.state = stateOf(cfg.state());
            // Installed "more than locktime before the first input" (FORMAT.md): far in the past.
            n.updated = Long.MIN_VALUE / 4;
            n.confirmed = Long.MIN_VALUE / 4;
            n.used = Long.MIN_VALUE / 4;
            table.put(new Key(cfg.dev(), cfg.ip()), n);
        }
    }

    /**
     * A configuration change of a running host (netlink's RTM_NEWNEIGH / RTM_DELNEIGH, and
     * new parameters): learned entries, their NUD states, timers and queued packets stay, as
     * they do across `ip route add` or `sysctl -w` in Linux. Entries host.yaml names are
     * installed or updated as `ip neigh replace` would (NEIGH_UPDATE_F_ADMIN); a configured
     * entry that host.yaml no longer names is deleted (`ip neigh del`) when no packet waits on it.
     */
    public void reconfigure(HostConfig next) {
        HostConfig prev = this.host;
        this.host = next;
        java.util.Set<Key> wanted = new java.util.HashSet<>();
        for (HostConfig.Neighbor cfg : next.neighbors()) {
            Key k = new Key(cfg.dev(), cfg.ip());
            wanted.add(k);
            Entry n = table.get(k);
            boolean same = prev.neighbors().contains(cfg);
            if (n != null && same) continue;            // unchanged in host.yaml: keep what it learned
            if (n == null) {
                n = new Entry(cfg.ip(), cfg.dev());
                n.updated = Long.MIN_VALUE / 4;
                n.confirmed = Long.MIN_VALUE / 4;
                n.used = Long.MIN_VALUE / 4;
                table.put(k, n);
            }
            n.ha = cfg.mac();
            n.state = stateOf(cfg.state());
            if ((n.state & NUD_IN_TIMER) == 0) n.timer = -1;
            n.probes = 0;
        }
        for (HostConfig.Neighbor cfg : prev.neighbors()) {
            Key k = new Key(cfg.dev(), cfg.ip());
            Entry n = table.get(k);
            if (!wanted.contains(k) && n != null && n.arpQueue.isEmpty()) table.remove(k);
        }
    }

    /**
     * neigh_dump_table, net/core/neighbour.c: the table as `ip neigh show` prints it, one entry a
     * line ("192.0.2.1 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE"; no lladdr while INCOMPLETE
     * or FAILED); NOARP entries (multicast, broadcast) are not shown, as ip hides them.
     */
    public String show() {
        StringBuilder out = new StringBuilder();
        for (Entry n : table.values()) {
            if (n.state == NUD_NOARP) continue;
            out.append(io.netstack.wire.Inet.format(n.ip)).append(" dev ").append(n.dev);
            if ((n.state & NUD_VALID) != 0) out.append(" lladdr ").append(n.ha);
            out.append(' ').append(stateName(n.state)).append('\n');
        }
        return out.toString();
    }

    /** The NUD state's name as iproute2 prints it. */
    public static String stateName(int state) {
        switch (state) {
            case NUD_INCOMPLETE: return "INCOMPLETE";
            case NUD_REACHABLE: return "REACHABLE";
            case NUD_STALE: return "STALE";
            case NUD_DELAY: return "DELAY";
            case NUD_PROBE: return "PROBE";
            case NUD_FAILED: return "FAILED";
            case NUD_NOARP: return "NOARP";
            case NUD_PERMANENT: return "PERMANENT";
            default: return "NONE";
        }
    }

    static int stateOf(String s) {
        if (s == null || s.isEmpty()) return NUD_PERMANENT;
        switch (s.toLowerCase()) {
            case "permanent": return NUD_PERMANENT;
            case "reachable": return NUD_REACHABLE;
            case "stale": return NUD_STALE;
            case "delay": return NUD_DELAY;
            case "probe": return NUD_PROBE;
            case "incomplete": return NUD_INCOMPLETE;
            case "failed": return NUD_FAILED;
            case "noarp": return NUD_NOARP;
            default: return NUD_STALE;
        }
    }

    // --- parameters ----------------------------------------------------------------------

    private Sysctls s() { return host.sysctl(); }
    long retransTime(String dev) { return Math.max(s().neigh(dev, SysctlRegistry.NEIGH_RETRANS_TIME_MS) * MS, TICK_MIN); }
    long reachableTime(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_BASE_REACHABLE_TIME_MS) * MS; }
    long delayProbeTime(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_DELAY_FIRST_PROBE_TIME) * 1000 * MS; }
    /** locktime is in USER_HZ (1/100 s). */
    public long locktime(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_LOCKTIME) * 10 * MS; }
    public int ucastProbes(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_UCAST_SOLICIT); }
    int mcastProbes(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_MCAST_SOLICIT); }
    public int appProbes(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_APP_SOLICIT); }
    int mcastReprobes(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_MCAST_RESOLICIT); }
    long queueLenBytes(String dev) { return s().neigh(dev, SysctlRegistry.NEIGH_UNRES_QLEN_BYTES); }

    /** neigh_max_probes */
    int maxProbes(Entry n) {
        return ucastProbes(n.dev) + appProbes(n.dev)
                + ((n.state & NUD_PROBE) != 0 ? mcastReprobes(n.dev) : mcastProbes(n.dev));
    }

    // --- lookup ----------------------------------------------------------------------------

    /** neigh_lookup: the entry or null. */
    public Entry lookup(int ip, String dev) { return table.get(new Key(dev, ip)); }

    public List<Entry> entries() { return new ArrayList<>(table.values()); }

    /**
     * __neigh_lookup with creat, i.e. neigh_create + arp_constructor, net/ipv4/arp.c:
     * multicast and broadcast addresses are NOARP with the mapped hardware address.
     */
    public Entry lookupOrCreate(int ip, String dev, long now) {
        Entry n = lookup(ip, dev);
        if (n != null) return n;
        n = new Entry(ip, dev);
        int type = ops.addrType(ip, dev);
        if (type == io.netstack.skb.RouteResult.RTN_MULTICAST) {
            n.state = NUD_NOARP;
            n.ha = arpMcMap(ip);
        } else if (type == io.netstack.skb.RouteResult.RTN_BROADCAST) {
            n.state = NUD_NOARP;
            n.ha = MacAddress.BROADCAST;
        }
        n.updated = now;
        n.used = now;
        // A new entry counts as confirmed long ago (neigh_alloc: jiffies - (base_reachable << 1)).
        n.confirmed = now - 2 * reachableTime(dev);
        table.put(new Key(dev, ip), n);
        return n;
    }

    /** ip_eth_mc_map, include/net/ip.h: 01:00:5e + the low 23 bits of the group. */
    public static MacAddress arpMcMap(int group) {
        return new MacAddress(0x01005e000000L | (group & 0x7fffffL));
    }

    // --- output ----------------------------------------------------------------------------

    /**
     * neigh_output / neigh_resolve_output, net/core/neighbour.c: a connected entry sends at
     * once; any other goes through neigh_event_send, which may queue the skb on arp_queue.
     * {@code skb}'s data is at the IPv4 header.
     */
    public void neighOutput(Entry n, SkBuff skb, LayerContext ctx) {
        ctx.trace(skb, (n.state & NUD_CONNECTED) != 0 ? "neigh_hh_output" : "neigh_resolve_output");
        if ((n.state & NUD_CONNECTED) != 0 || !neighEventSend(n, skb, ctx)) {
            devHardHeaderXmit(n, skb, ctx);
        }
    }

    /** dev_hard_header (eth_header) then dev_queue_xmit. */
    private void devHardHeaderXmit(Entry n, SkBuff skb, LayerContext ctx) {
        skb.push(EthernetHeader.LENGTH);
        EthernetHeader.write(skb.head(), skb.data(), n.ha, macOf(n.dev), 0x0800);
        skb.resetMacHeader();
        skb.setDev(n.dev);
        skb.setProtocol(0x0800);
        ops.xmit(skb, ctx);
    }

    private MacAddress macOf(String dev) {
        return host.iface(dev).map(HostConfig.Interface::mac).orElse(MacAddress.ZERO);
    }

    /**
     * neigh_event_send / __neigh_event_send: false when the skb may go now. A NONE or FAILED
     * entry becomes INCOMPLETE and is probed at once; a STALE one becomes DELAY; while
     * INCOMPLETE the skb waits on arp_queue, oldest dropped past unres_qlen_bytes.
     */
    boolean neighEventSend(Entry n, SkBuff skb, LayerContext ctx) {
        long now = ctx.nowNanos();
        n.used = now;
        if ((n.state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) != 0) return false;
        boolean immediateProbe = false;
        if ((n.state & (NUD_STALE | NUD_INCOMPLETE)) == 0) {
            if (mcastProbes(n.dev) + appProbes(n.dev) != 0) {
                n.probes = ucastProbes(n.dev);
                n.state = NUD_INCOMPLETE;
                n.updated = now;
                immediateProbe = true;
                n.timer = now + retransTime(n.dev);
            } else {
                n.state = NUD_FAILED;
                n.updated = now;
                ctx.drop(skb, SkbDropReason.NEIGH_FAILED);
                return true;
            }
        } else if ((n.state & NUD_STALE) != 0) {
            n.state = NUD_DELAY;
            n.updated = now;
            n.timer = now + delayProbeTime(n.dev);
        }
        boolean queued = false;
        if (n.state == NUD_INCOMPLETE) {
            long truesize = truesize(skb);
            long limit = queueLenBytes(n.dev);
            while (n.arpQueueLenBytes + truesize > limit && !n.arpQueue.isEmpty()) {
                SkBuff old = n.arpQueue.pollFirst();
                n.arpQueueLenBytes -= truesize(old);
                ctx.drop(old, SkbDropReason.NEIGH_QUEUEFULL);
            }
            if (n.arpQueueLenBytes + truesize > limit) {
                ctx.drop(skb, SkbDropReason.NEIGH_QUEUEFULL);
            } else {
                ctx.trace(skb, "__neigh_event_send");
                n.arpQueue.addLast(skb);
                n.arpQueueLenBytes += truesize;
            }
            queued = true;
        }
        if (immediateProbe) neighProbe(n, ctx);
        return queued;
    }

    static long truesize(SkBuff skb) { return skb.len() + TRUESIZE_OVERHEAD; }

    /** neigh_probe: solicit with the newest queued skb, then count the probe. */
    private void neighProbe(Entry n, LayerContext ctx) {
        ops.solicit(n, n.arpQueue.peekLast(), ctx);
        n.probes++;
    }

    /**
     * neigh_update, net/core/neighbour.c: a new link-layer address and/or state. Admin-less
     * updates never touch PERMANENT/NOARP entries; a different address replaces a valid one
     * only with OVERRIDE; a valid entry that becomes valid sends its arp_queue.
     */
    public void neighUpdate(Entry n, MacAddress lladdr, int newState, int flags, LayerContext ctx) {
        long now = ctx.nowNanos();
        int old = n.state;
        if ((flags & NEIGH_UPDATE_F_ADMIN) == 0 && (old & (NUD_NOARP | NUD_PERMANENT)) != 0) return;
        if ((newState & NUD_VALID) == 0) {
            n.timer = -1;
            if ((old & NUD_CONNECTED) != 0) { /* neigh_suspect */ }
            n.state = newState;
            if ((old & (NUD_INCOMPLETE | NUD_PROBE)) != 0 && (newState & NUD_FAILED) != 0) neighInvalidate(n, ctx);
            return;
        }
        MacAddress ha = lladdr;
        if (ha == null) {
            if ((old & NUD_VALID) == 0) return;
            ha = n.ha;
        }
        boolean sameAddr = (old & NUD_VALID) != 0 && ha.equals(n.ha);
        if ((newState & NUD_CONNECTED) != 0) n.confirmed = now;
        if ((old & NUD_VALID) != 0) {
            if (!sameAddr && (flags & NEIGH_UPDATE_F_OVERRIDE) == 0) {
                if ((flags & NEIGH_UPDATE_F_WEAK_OVERRIDE) != 0 && (old & NUD_CONNECTED) != 0) {
                    ha = n.ha;
                    sameAddr = true;
                    newState = NUD_STALE;
                } else {
                    return;
                }
            } else if (sameAddr && newState == NUD_STALE && (flags & NEIGH_UPDATE_F_ADMIN) == 0) {
                newState = old;
            }
        }
        boolean addrChanges = !ha.equals(n.ha) || (old & NUD_VALID) == 0;
        if (newState != old || addrChanges) n.updated = now;
        if (newState != old) {
            n.timer = -1;
            if ((newState & NUD_PROBE) != 0) n.probes = 0;
            if ((newState & NUD_IN_TIMER) != 0) {
                n.timer = now + ((newState & NUD_REACHABLE) != 0 ? reachableTime(n.dev) : 0);
            }
            n.state = newState;
        }
        if (!ha.equals(n.ha)) {
            n.ha = ha;
            if ((newState & NUD_CONNECTED) == 0) n.confirmed = now - 2 * reachableTime(n.dev);
        }
        if (newState == old) return;
        if ((old & NUD_VALID) == 0) {
            // Send what waited for the address.
            while ((n.state & NUD_VALID) != 0 && !n.arpQueue.isEmpty()) {
                SkBuff skb = n.arpQueue.pollFirst();
                n.arpQueueLenBytes -= truesize(skb);
                neighOutput(n, skb, ctx);
            }
            n.arpQueue.clear();
            n.arpQueueLenBytes = 0;
        }
    }

    /** neigh_invalidate: every queued skb is reported (ICMP host unreachable) and freed. */
    private void neighInvalidate(Entry n, LayerContext ctx) {
        while (n.state == NUD_FAILED && !n.arpQueue.isEmpty()) {
            SkBuff skb = n.arpQueue.pollFirst();
            ops.errorReport(n, skb, ctx);
        }
        n.arpQueue.clear();
        n.arpQueueLenBytes = 0;
    }

    // --- timers ----------------------------------------------------------------------------

    /** Runs every neighbour timer due at ctx.nowNanos(), each at its own deadline, in deadline order. */
    public void tick(LayerContext ctx) {
        long now = ctx.nowNanos();
        while (true) {
            Entry next = null;
            for (Entry n : table.values()) {
                if (n.timer >= 0 && n.timer <= now && (next == null || n.timer < next.timer)) next = n;
            }
            if (next == null) return;
            neighTimerHandler(next, next.timer, ctx);
        }
    }

    /**
     * neigh_timer_handler, net/core/neighbour.c: REACHABLE ages to DELAY (recently used) or
     * STALE; DELAY becomes REACHABLE if confirmed meanwhile, else PROBE; INCOMPLETE and PROBE
     * probe again every retrans_time until neigh_max_probes, then FAILED.
     */
    void neighTimerHandler(Entry n, long at, LayerContext ctx) {
        int state = n.state;
        n.timer = -1;
        if ((state & NUD_IN_TIMER) == 0) return;
        long next = at + 1000 * MS;
        if ((state & NUD_REACHABLE) != 0) {
            if (at <= n.confirmed + reachableTime(n.dev)) {
                next = n.confirmed + reachableTime(n.dev);
            } else if (at <= n.used + delayProbeTime(n.dev)) {
                n.state = NUD_DELAY;
                n.updated = at;
                next = at + delayProbeTime(n.dev);
            } else {
                n.state = NUD_STALE;
                n.updated = at;
            }
        } else if ((state & NUD_DELAY) != 0) {
            if (at <= n.confirmed + delayProbeTime(n.dev)) {
                n.state = NUD_REACHABLE;
                n.updated = at;
                next = n.confirmed + reachableTime(n.dev);
            } else {
                n.state = NUD_PROBE;
                n.updated = at;
                n.probes = 0;
                next = at + retransTime(n.dev);
            }
        } else {
            next = at + retransTime(n.dev);
        }
        if ((n.state & (NUD_INCOMPLETE | NUD_PROBE)) != 0 && n.probes >= maxProbes(n)) {
            n.state = NUD_FAILED;
            n.updated = at;
            neighInvalidate(n, ctx);
            return;
        }
        if ((n.state & NUD_IN_TIMER) != 0) {
            n.timer = Math.max(next, at + TICK_MIN);
        }
        if ((n.state & (NUD_INCOMPLETE | NUD_PROBE)) != 0) neighProbe(n, ctx);
    }
}
