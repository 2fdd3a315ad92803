package io.netstack.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netstack.config.HostConfig;
import io.netstack.layer.NicLayer;
import io.netstack.layer.SoftirqLayer;
import io.netstack.net.core.SoftnetData;
import io.netstack.stack.Layer;
import io.netstack.stack.SkbEvent;
import io.netstack.stats.LinkStat;
import io.netstack.stats.Snmp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The emulated hosts' kernel counters under node_exporter's names, with a {@code netns} label,
 * so a dashboard built for real Linux hosts reads the emulated ones:
 *
 * <ul>
 * <li>{@code node_netstat_<Group>_<Name>{netns}}: the nstat counters (netstat collector, e.g.
 *     node_netstat_Ip_InReceives, node_netstat_IpExt_InOctets, node_netstat_IcmpMsg_InType8), as
 *     untyped/gauge like node_exporter's.
 * <li>{@code node_network_{receive,transmit}_<stat>_total{device,netns}}: struct
 *     rtnl_link_stats64 under the netdev collector's names (rx_dropped is receive_drop ...).
 * <li>{@code node_softnet_{processed,dropped,times_squeezed}_total{cpu}}: /proc/net/softnet_stat,
 *     from the {@link SoftnetData} of the NIC or softirq layer (per CPU, shared by all hosts, as in
 *     the kernel).
 * </ul>
 *
 * <p>Each service exports only what its own layer moved, so the sum over the services is the
 * host's counter. The values come from the counter deltas of the {@link SkbEvent}s the layer
 * produces (no Micrometer in core). A host's series exist at zero from the moment its configuration
 * arrives: every {@link Snmp#WELL_KNOWN} counter and the {@link LinkStat#ALWAYS_REPORTED}
 * statistics of each of its interfaces.
 */
public final class HostMetrics {

    /** nstat's group prefixes (net/ipv4/proc.c), longest first so IpExt wins over Ip. */
    static final List<String> GROUPS = List.of("IcmpMsg", "IpExt", "TcpExt", "UdpLite", "MPTcpExt", "Icmp", "Tcp",
            "Udp", "Ip");

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> netstat = new ConcurrentHashMap<>();
    private final Map<String, Counter> link = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> byHost = new ConcurrentHashMap<>();

    public HostMetrics(MeterRegistry registry, Layer layer, int cpus) {
        this.registry = registry;
        SoftnetData softnet = null;
        if (layer instanceof NicLayer n) softnet = n.softnet();
        if (layer instanceof SoftirqLayer s) softnet = s.softnet();
        if (softnet != null) softnet(softnet, Math.min(cpus, softnet.cpus()));
    }

    private void softnet(SoftnetData sd, int cpus) {
        for (int i = 0; i < cpus; i++) {
            final int cpu = i;
            String c = Integer.toString(cpu);
            FunctionCounter.builder("node.softnet.processed", sd, d -> d.processed(cpu))
                    .description("softnet_stat column 1: packets processed by net_rx_action").tag("cpu", c)
                    .register(registry);
            FunctionCounter.builder("node.softnet.dropped", sd, d -> d.dropped(cpu))
                    .description("softnet_stat column 2: dropped, backlog over netdev_max_backlog").tag("cpu", c)
                    .register(registry);
            FunctionCounter.builder("node.softnet.times.squeezed", sd, d -> d.timeSqueeze(cpu))
                    .description("softnet_stat column 3: net_rx_action out of budget").tag("cpu", c)
                    .register(registry);
        }
    }

    /** A host's configuration arrived: its series appear at zero (a replaced configuration keeps its values). */
    public void configured(HostConfig host) {
        String netns = host.netns();
        for (String name : Snmp.WELL_KNOWN) netstat(netns, name);
        for (HostConfig.Interface i : host.interfaces()) {
            for (LinkStat s : LinkStat.ALWAYS_REPORTED) link(netns, i.name(), s.name());
        }
    }

    /** A host was removed: its series go. */
    public void removed(String netns) {
        List<Meter> meters = byHost.remove(netns);
        if (meters == null) return;
        for (Meter m : meters) registry.remove(m);
        netstat.keySet().removeIf(k -> k.startsWith(netns + "\0"));
        link.keySet().removeIf(k -> k.startsWith(netns + "\0"));
    }

    /** The counter deltas of one event the layer produced. */
    public void observe(SkbEvent e) {
        for (SkbEvent.StatDelta d : e.stats()) {
            if (d.isLinkStat()) {
                Counter c = link(e.netns(), d.dev(), d.name());
                if (c != null && d.delta() > 0) c.increment(d.delta());
            } else {
                netstat(e.netns(), d.name()).addAndGet(d.delta());
            }
        }
    }

    private AtomicLong netstat(String netns, String nstatName) {
        return netstat.computeIfAbsent(netns + "\0" + nstatName, k -> {
            AtomicLong v = new AtomicLong();
            Meter m = Gauge.builder(netstatMetric(nstatName), v, AtomicLong::get)
                    .description("nstat " + nstatName).tag("netns", netns).register(registry);
            hostMeters(netns).add(m);
            return v;
        });
    }

    private Counter link(String netns, String dev, String stat) {
        String metric = networkMetric(stat);
        if (metric == null) return null;
        return link.computeIfAbsent(netns + "\0" + dev + "\0" + stat, k -> {
            Counter c = Counter.builder(metric).description("/sys/class/net/" + dev + "/statistics/" + stat)
                    .tag("device", dev).tag("netns", netns).register(registry);
            hostMeters(netns).add(c);
            return c;
        });
    }

    private List<Meter> hostMeters(String netns) {
        return byHost.computeIfAbsent(netns, n -> java.util.Collections.synchronizedList(new ArrayList<>()));
    }

    /** node_exporter's netstat name: IpExtInOctets is node_netstat_IpExt_InOctets. */
    public static String netstatMetric(String nstatName) {
        for (String g : GROUPS) {
            if (nstatName.startsWith(g) && nstatName.length() > g.length()
                    && Character.isUpperCase(nstatName.charAt(g.length()))) {
                return "node_netstat_" + g + "_" + nstatName.substring(g.length());
            }
        }
        return "node_netstat_" + nstatName;
    }

    /**
     * node_exporter's netdev name (without _total) of a link statistic: rx_packets is
     * node_network_receive_packets; rx_dropped receive_drop, rx_errors receive_errs, as
     * /proc/net/dev's columns; the detailed statistics keep their own name.
     */
    public static String networkMetric(String stat) {
        String dir;
        String rest;
        if (stat.startsWith("rx_")) {
            dir = "receive";
            rest = stat.substring(3);
        } else if (stat.startsWith("tx_")) {
            dir = "transmit";
            rest = stat.substring(3);
        } else if (stat.equals("multicast")) {
            return "node.network.receive.multicast";
        } else if (stat.equals("collisions")) {
            return "node.network.transmit.colls";
        } else {
            return null;
        }
        switch (rest) {
            case "dropped": rest = "drop"; break;
            case "errors": rest = "errs"; break;
            case "fifo_errors": rest = "fifo"; break;
            case "frame_errors": rest = "frame"; break;
            case "carrier_errors": rest = "carrier"; break;
            default: break;
        }
        return "node.network." + dir + "." + rest;
    }
}
