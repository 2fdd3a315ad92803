package io.netstack.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The sysctls the emulation honours, with the layer that reads each one and Linux 6.18's
 * default: the one place a default is written. The code reads a sysctl only through the typed
 * keys below and {@link Sysctls}'s accessors, so a value not set in host.yaml reads as the
 * default written here and nowhere else. Every other key of a host.yaml is accepted but changes
 * nothing; {@link #unimplemented} names them, so a service can say so when it starts (a setting
 * ignored in silence looks like a bug in the stack). SysctlRegistryTest keeps the code honest (no
 * sysctl name outside this file) and SysctlDefaultsNetnsTest the defaults (a fresh network
 * namespace of a Linux 6.18 host reads the same).
 *
 * <p>Per-device families ({@code net.ipv4.conf.<dev>.<key>}, {@code net.ipv4.neigh.<dev>.<key>},
 * {@code net.ipv6.conf.<dev>.<key>}) are listed once with {@code *} for the device; {@code all}
 * and {@code default} are devices here. Where {@code all} starts from another value than a new
 * device (accept_source_route: devinet.c's ipv4_devconf against ipv4_devconf_dflt) the all key is
 * listed on its own as well.
 */
public final class SysctlRegistry {
    private SysctlRegistry() {}

    /** One honoured sysctl: its name (with * for a device), the layers that read it, Linux's default. */
    public record Entry(String name, String layers, String dflt) {}

    /** A sysctl holding one integer. */
    public record Int(String name, int dflt) {}

    /** A sysctl holding several integers ("4096 131072 33554432"). */
    public record Ints(String name, List<Integer> dflt) {
        int[] dfltArray() { return dflt.stream().mapToInt(Integer::intValue).toArray(); }
    }

    /** A sysctl holding a name (net.ipv4.tcp_congestion_control). */
    public record Str(String name, String dflt) {}

    /**
     * A per-device integer: {@code prefix + dev + "." + key}; an unset device reads the
     * {@code default} device, an unset {@code default} {@link #dflt}, an unset {@code all} {@link #allDflt}.
     */
    public record PerDev(String prefix, String key, int allDflt, int dflt) {
        /** The key for one device ("eth0", "all", "default"). */
        public String name(String dev) { return prefix + dev + "." + key; }
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    private static void register(String layers, String name, String dflt) {
        if (ENTRIES.put(name, new Entry(name, layers, dflt)) != null) throw new IllegalStateException("twice: " + name);
    }

    private static Int integer(String layers, String name, int dflt) {
        register(layers, name, Integer.toString(dflt));
        return new Int(name, dflt);
    }

    private static Ints ints(String layers, String name, int... dflt) {
        register(layers, name, String.join(" ", Arrays.stream(dflt).mapToObj(Integer::toString).toList()));
        return new Ints(name, Arrays.stream(dflt).boxed().toList());
    }

    private static Str string(String layers, String name, String dflt) {
        register(layers, name, dflt);
        return new Str(name, dflt);
    }

    private static PerDev perDev(String layers, String prefix, String key, int allDflt, int dflt) {
        if (allDflt != dflt) register(layers, prefix + "all." + key, Integer.toString(allDflt));
        register(layers, prefix + "*." + key, Integer.toString(dflt));
        return new PerDev(prefix, key, allDflt, dflt);
    }

    /** net.ipv4.conf.&lt;dev&gt;.&lt;key&gt; (devinet.c), all and default alike. */
    private static PerDev conf(String layers, String key, int dflt) { return perDev(layers, "net.ipv4.conf.", key, dflt, dflt); }

    /** net.ipv4.neigh.&lt;dev&gt;.&lt;key&gt; (neighbour.c, arp_tbl's parms). */
    private static PerDev neigh(String layers, String key, int dflt) { return perDev(layers, "net.ipv4.neigh.", key, dflt, dflt); }

    // net.core (net/core/sysctl_net_core.c; rmem_* are per namespace since 6.x)
    public static final Int NETDEV_MAX_BACKLOG = integer("nic", "net.core.netdev_max_backlog", 1000);
    public static final Int RMEM_DEFAULT = integer("socket", "net.core.rmem_default", 212992);
    public static final Int RMEM_MAX = integer("l4 socket", "net.core.rmem_max", 4194304);
    public static final Int SOMAXCONN = integer("l4", "net.core.somaxconn", 4096);
    // IPv4, l3 (net/ipv4/sysctl_net_ipv4.c, af_inet.c's inet_init_net)
    public static final Int IP_FORWARD = integer("l3", "net.ipv4.ip_forward", 0);
    public static final Int IP_DEFAULT_TTL = integer("l3 l4", "net.ipv4.ip_default_ttl", 64);
    public static final Int IP_NO_PMTU_DISC = integer("l3", "net.ipv4.ip_no_pmtu_disc", 0);
    public static final Int IPFRAG_HIGH_THRESH = integer("l3", "net.ipv4.ipfrag_high_thresh", 4194304);
    public static final Int IPFRAG_TIME = integer("l3", "net.ipv4.ipfrag_time", 30);
    public static final Ints IP_LOCAL_PORT_RANGE = ints("l4", "net.ipv4.ip_local_port_range", 32768, 60999);
    // ICMP (icmp_rcv in l4, icmp_send in l3 and l4; net/ipv4/icmp.c's icmp_sk_init)
    public static final Int ICMP_ECHO_ENABLE_PROBE = integer("l3 l4", "net.ipv4.icmp_echo_enable_probe", 0);
    public static final Int ICMP_ECHO_IGNORE_ALL = integer("l3 l4", "net.ipv4.icmp_echo_ignore_all", 0);
    public static final Int ICMP_ERRORS_USE_INBOUND_IFADDR = integer("l3 l4", "net.ipv4.icmp_errors_use_inbound_ifaddr", 0);
    public static final Int ICMP_ECHO_IGNORE_BROADCASTS = integer("l3 l4", "net.ipv4.icmp_echo_ignore_broadcasts", 1);
    public static final Int ICMP_IGNORE_BOGUS_ERROR_RESPONSES = integer("l3 l4", "net.ipv4.icmp_ignore_bogus_error_responses", 1);
    public static final Int ICMP_MSGS_BURST = integer("l3 l4", "net.ipv4.icmp_msgs_burst", 50);
    public static final Int ICMP_MSGS_PER_SEC = integer("l3 l4", "net.ipv4.icmp_msgs_per_sec", 1000);
    public static final Int ICMP_RATELIMIT = integer("l3 l4", "net.ipv4.icmp_ratelimit", 1000);
    public static final Int ICMP_RATEMASK = integer("l3 l4", "net.ipv4.icmp_ratemask", 6168);
    // TCP, l4 (net/ipv4/tcp_ipv4.c's tcp_sk_init, tcp.c's tcp_init)
    public static final Ints TCP_RMEM = ints("l4 socket", "net.ipv4.tcp_rmem", 4096, 131072, 33554432);
    public static final Ints TCP_WMEM = ints("l4 socket", "net.ipv4.tcp_wmem", 4096, 16384, 4194304);
    public static final Str TCP_CONGESTION_CONTROL = string("l4", "net.ipv4.tcp_congestion_control", "cubic");
    public static final Int TCP_ECN = integer("l4", "net.ipv4.tcp_ecn", 2);
    public static final Int TCP_FIN_TIMEOUT = integer("l4", "net.ipv4.tcp_fin_timeout", 60);
    public static final Int TCP_FRTO = integer("l4", "net.ipv4.tcp_frto", 2);
    public static final Int TCP_INVALID_RATELIMIT = integer("l4", "net.ipv4.tcp_invalid_ratelimit", 500);
    public static final Int TCP_KEEPALIVE_INTVL = integer("l4", "net.ipv4.tcp_keepalive_intvl", 75);
    public static final Int TCP_KEEPALIVE_PROBES = integer("l4", "net.ipv4.tcp_keepalive_probes", 9);
    public static final Int TCP_KEEPALIVE_TIME = integer("l4", "net.ipv4.tcp_keepalive_time", 7200);
    /** tcp_app_win: tcp_init_buffer_space keeps 1/2^tcp_app_win of the buffer (and one segment) out of the window. */
    public static final Int TCP_APP_WIN = integer("l4", "net.ipv4.tcp_app_win", 31);
    /** tcp_moderate_rcvbuf: receive-buffer autotuning (tcp_rcv_space_adjust, tcp_rcvbuf_grow) on. */
    public static final Int TCP_MODERATE_RCVBUF = integer("l4", "net.ipv4.tcp_moderate_rcvbuf", 1);
    /** tcp_sk_init: max(128, ehash entries / 128), so it depends on the machine; 1024 as recorded. */
    public static final Int TCP_MAX_SYN_BACKLOG = integer("l4", "net.ipv4.tcp_max_syn_backlog", 1024);
    public static final Int TCP_ORPHAN_RETRIES = integer("l4", "net.ipv4.tcp_orphan_retries", 0);
    public static final Int TCP_RFC1337 = integer("l4", "net.ipv4.tcp_rfc1337", 0);
    public static final Int TCP_WORKAROUND_SIGNED_WINDOWS = integer("l4", "net.ipv4.tcp_workaround_signed_windows", 0);
    public static final Int TCP_REORDERING = integer("l4", "net.ipv4.tcp_reordering", 3);
    public static final Int TCP_RETRIES2 = integer("l4", "net.ipv4.tcp_retries2", 15);
    public static final Int TCP_SACK = integer("l4", "net.ipv4.tcp_sack", 1);
    public static final Int TCP_SYNCOOKIES = integer("l4", "net.ipv4.tcp_syncookies", 1);
    public static final Int TCP_TIMESTAMPS = integer("l4", "net.ipv4.tcp_timestamps", 1);
    public static final Int TCP_WINDOW_SCALING = integer("l4", "net.ipv4.tcp_window_scaling", 1);
    public static final Int TCP_SYN_RETRIES = integer("l4", "net.ipv4.tcp_syn_retries", 6);
    public static final Int TCP_SYNACK_RETRIES = integer("l4", "net.ipv4.tcp_synack_retries", 5);
    // netfilter, l3 (nf_conntrack_standalone.c, nf_conntrack_proto_tcp.c)
    public static final Int NF_CONNTRACK_CHECKSUM = integer("l3", "net.netfilter.nf_conntrack_checksum", 1);
    public static final Int NF_CONNTRACK_TCP_LOOSE = integer("l3", "net.netfilter.nf_conntrack_tcp_loose", 1);
    public static final Int NF_CONNTRACK_TCP_BE_LIBERAL = integer("l3", "net.netfilter.nf_conntrack_tcp_be_liberal", 0);
    // net.ipv4.conf.<dev> (net/ipv4/devinet.c: ipv4_devconf for all, ipv4_devconf_dflt for default)
    public static final PerDev CONF_ACCEPT_LOCAL = conf("l3", "accept_local", 0);
    public static final PerDev CONF_ARP_ACCEPT = conf("l3", "arp_accept", 0);
    public static final PerDev CONF_ARP_ANNOUNCE = conf("l3", "arp_announce", 0);
    public static final PerDev CONF_ARP_FILTER = conf("l3", "arp_filter", 0);
    public static final PerDev CONF_ARP_IGNORE = conf("l3", "arp_ignore", 0);
    public static final PerDev CONF_BC_FORWARDING = conf("l3", "bc_forwarding", 0);
    public static final PerDev CONF_DROP_GRATUITOUS_ARP = conf("l3", "drop_gratuitous_arp", 0);
    public static final PerDev CONF_DROP_UNICAST_IN_L2_MULTICAST = conf("l3", "drop_unicast_in_l2_multicast", 0);
    public static final PerDev CONF_FORWARDING = conf("l3", "forwarding", 0);
    public static final PerDev CONF_MEDIUM_ID = conf("l3", "medium_id", 0);
    public static final PerDev CONF_PROXY_ARP = conf("l3", "proxy_arp", 0);
    public static final PerDev CONF_PROXY_ARP_PVLAN = conf("l3", "proxy_arp_pvlan", 0);
    public static final PerDev CONF_ROUTE_LOCALNET = conf("l3", "route_localnet", 0);
    public static final PerDev CONF_RP_FILTER = conf("l3", "rp_filter", 0);
    /** ipv4_devconf_dflt sets ACCEPT_SOURCE_ROUTE, ipv4_devconf (all) does not. */
    public static final PerDev CONF_ACCEPT_SOURCE_ROUTE = perDev("l3", "net.ipv4.conf.", "accept_source_route", 0, 1);
    public static final PerDev CONF_SEND_REDIRECTS = conf("l3", "send_redirects", 1);
    public static final PerDev CONF_SHARED_MEDIA = conf("l3", "shared_media", 1);
    // net.ipv4.neigh.<dev> (net/ipv4/arp.c's arp_tbl)
    public static final PerDev NEIGH_APP_SOLICIT = neigh("l3", "app_solicit", 0);
    public static final PerDev NEIGH_MCAST_RESOLICIT = neigh("l3", "mcast_resolicit", 0);
    public static final PerDev NEIGH_BASE_REACHABLE_TIME_MS = neigh("l3", "base_reachable_time_ms", 30000);
    public static final PerDev NEIGH_DELAY_FIRST_PROBE_TIME = neigh("l3", "delay_first_probe_time", 5);
    public static final PerDev NEIGH_LOCKTIME = neigh("l3", "locktime", 100);
    public static final PerDev NEIGH_MCAST_SOLICIT = neigh("l3", "mcast_solicit", 3);
    public static final PerDev NEIGH_UCAST_SOLICIT = neigh("l3", "ucast_solicit", 3);
    public static final PerDev NEIGH_PROXY_DELAY = neigh("l3", "proxy_delay", 80);
    public static final PerDev NEIGH_RETRANS_TIME_MS = neigh("l3", "retrans_time_ms", 1000);
    public static final PerDev NEIGH_UNRES_QLEN_BYTES = neigh("l3", "unres_qlen_bytes", 212992);
    /**
     * IPv6 is off: the only key read is whether it is (softirq drops IPv6 frames). Linux's own
     * default is 0; 1 is the recorded hosts' (FORMAT.md: "a key left out is 1"), the one fact
     * here that is the scenario format's rather than the kernel's.
     */
    public static final PerDev IPV6_CONF_DISABLE_IPV6 = perDev("softirq", "net.ipv6.conf.", "disable_ipv6", 1, 1);

    /** Every honoured sysctl, by name (device families with *). */
    public static Map<String, Entry> entries() { return java.util.Collections.unmodifiableMap(ENTRIES); }

    /** The entry that honours {@code key} ("net.ipv4.conf.eth0.rp_filter" finds "net.ipv4.conf.*.rp_filter"). */
    public static Optional<Entry> lookup(String key) {
        Entry e = ENTRIES.get(key);
        if (e != null) return Optional.of(e);
        String fam = family(key);
        return fam == null ? Optional.empty() : Optional.ofNullable(ENTRIES.get(fam));
    }

    public static boolean implemented(String key) { return lookup(key).isPresent(); }

    /** "net.ipv4.conf.eth0.rp_filter" to "net.ipv4.conf.*.rp_filter"; null if not a per-device key. */
    static String family(String key) {
        for (String prefix : List.of("net.ipv4.conf.", "net.ipv4.neigh.", "net.ipv6.conf.")) {
            if (!key.startsWith(prefix)) continue;
            String rest = key.substring(prefix.length());
            int dot = rest.indexOf('.');
            if (dot <= 0) return null;
            return prefix + "*" + rest.substring(dot);
        }
        return null;
    }

    /** The keys of {@code sysctls} that no layer honours, sorted. */
    public static List<String> unimplemented(Sysctls sysctls) {
        TreeSet<String> out = new TreeSet<>();
        for (String k : sysctls.asMap().keySet()) if (!implemented(k)) out.add(k);
        return new ArrayList<>(out);
    }
}
