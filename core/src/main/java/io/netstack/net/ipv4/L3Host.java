package io.netstack.net.ipv4;

import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.config.Sysctls;
import io.netstack.net.core.Neighbour;
import io.netstack.wire.MacAddress;

/**
 * What l3 keeps for one host (struct net for IPv4): its configuration, FIB, neighbour
 * table, fragment queues, its one Icmp, and the IP ID counter.
 */
public final class L3Host implements java.io.Serializable {

    private volatile HostConfig config;
    private volatile Fib fib;
    private final Neighbour neigh;
    private final IpFragment frags;
    private final Icmp icmp;
    private int ident;

    public L3Host(HostConfig config, java.util.function.Function<L3Host, Neighbour.Ops> ops) {
        this.config = config;
        this.fib = Fib.of(config);
        this.neigh = new Neighbour(config, ops.apply(this));
        this.frags = new IpFragment(this);
        this.icmp = new Icmp(config);
        // ip_idents start at a random point in Linux; a hash of the name keeps runs repeatable.
        this.ident = config.netns().hashCode() & 0xffff;
    }

    /**
     * A configuration change of the running host, as netlink applies one: the FIB is rebuilt
     * from the new addresses and routes (fib_table_insert / fib_table_delete; the kernel keeps
     * no route cache since 3.6), the neighbour table keeps its learned entries and queued
     * packets ({@link Neighbour#reconfigure}), reassembly queues, the ICMP rate-limit state and
     * the IP ID counter stay.
     */
    public void reconfigure(HostConfig next) {
        if (!next.netns().equals(config.netns())) throw new IllegalArgumentException("host " + next.netns() + " is not " + config.netns());
        this.config = next;
        this.fib = Fib.of(next);
        neigh.reconfigure(next);
        icmp.reconfigure(next);
    }

    public HostConfig config() { return config; }
    public String netns() { return config.netns(); }
    public Sysctls sysctl() { return config.sysctl(); }
    public Fib fib() { return fib; }
    public Neighbour neigh() { return neigh; }
    public IpFragment frags() { return frags; }
    public Icmp icmp() { return icmp; }

    /** ip_select_ident: the next IP ID (Linux hashes per destination; any value is volatile). */
    public int nextIdent() {
        ident = (ident + 1) & 0xffff;
        return ident;
    }

    public boolean hasDev(String dev) { return config.iface(dev).isPresent(); }

    public int mtu(String dev) {
        // lo is not in host.yaml; loopback_setup gives it an MTU of 64 KiB.
        if (LOOPBACK.equals(dev)) return LOOPBACK_MTU;
        return config.iface(dev).map(HostConfig.Interface::mtu).orElse(1500);
    }

    /** The loopback device, emulated inside l3 (its link statistics are not reported). */
    public static final String LOOPBACK = "lo";
    /** LOOPBACK_MTU, drivers/net/loopback.c */
    public static final int LOOPBACK_MTU = 65536;

    public MacAddress mac(String dev) { return config.iface(dev).map(HostConfig.Interface::mac).orElse(MacAddress.ZERO); }

    /** IN_DEV_FORWARD: net.ipv4.conf.&lt;dev&gt;.forwarding (ip_forward sets all and default). */
    public boolean forwarding(String dev) {
        return sysctl().conf(dev, SysctlRegistry.CONF_FORWARDING, sysctl().get(SysctlRegistry.IP_FORWARD)) != 0;
    }

    public int defaultTtl() { return sysctl().get(SysctlRegistry.IP_DEFAULT_TTL); }
}
