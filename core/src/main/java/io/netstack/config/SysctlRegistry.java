package io.netstack.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The sysctls the emulation honours, with the layer that reads each one and Linux's default.
 * Every other key of a host.yaml is accepted but changes nothing; {@link #unimplemented} names
 * them, so a service can say so when it starts (a setting ignored in silence looks like a bug in
 * the stack). SysctlRegistryTest keeps the list honest: every key the code reads is here.
 *
 * <p>Per-device families ({@code net.ipv4.conf.<dev>.<key>}, {@code net.ipv4.neigh.<dev>.<key>},
 * {@code net.ipv6.conf.<dev>.<key>}) are listed once with {@code *} for the device; {@code all}
 * and {@code default} are devices here.
 */
public final class SysctlRegistry {
    private SysctlRegistry() {}

    /** One honoured sysctl: its name (with * for a device), the layers that read it, Linux's default. */
    public record Entry(String name, String layers, String dflt) {}

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    private static void add(String layers, String dflt, String... names) {
        for (String n : names) ENTRIES.put(n, new Entry(n, layers, dflt));
    }

    static {
        // net.core
        add("nic", "1000", "net.core.netdev_max_backlog");
        add("socket", "212992", "net.core.rmem_default");
        add("l4 socket", "212992", "net.core.rmem_max");
        add("l4", "4096", "net.core.somaxconn");
        // IPv4, l3
        add("l3", "0", "net.ipv4.ip_forward");
        add("l3 l4", "64", "net.ipv4.ip_default_ttl");
        add("l3", "0", "net.ipv4.ip_no_pmtu_disc");
        add("l3", "4194304", "net.ipv4.ipfrag_high_thresh");
        add("l3", "30", "net.ipv4.ipfrag_time");
        add("l4", "32768 60999", "net.ipv4.ip_local_port_range");
        // ICMP (icmp_rcv in l4, icmp_send in l3 and l4)
        add("l3 l4", "0", "net.ipv4.icmp_echo_enable_probe", "net.ipv4.icmp_echo_ignore_all",
                "net.ipv4.icmp_errors_use_inbound_ifaddr");
        add("l3 l4", "1", "net.ipv4.icmp_echo_ignore_broadcasts", "net.ipv4.icmp_ignore_bogus_error_responses");
        add("l3 l4", "50", "net.ipv4.icmp_msgs_burst");
        add("l3 l4", "1000", "net.ipv4.icmp_msgs_per_sec", "net.ipv4.icmp_ratelimit");
        add("l3 l4", "6168", "net.ipv4.icmp_ratemask");
        // TCP, l4
        add("l4 socket", "4096 131072 6291456", "net.ipv4.tcp_rmem");
        add("l4 socket", "4096 16384 4194304", "net.ipv4.tcp_wmem");
        add("l4", "cubic", "net.ipv4.tcp_congestion_control");
        add("l4", "2", "net.ipv4.tcp_ecn");
        add("l4", "60", "net.ipv4.tcp_fin_timeout");
        add("l4", "2", "net.ipv4.tcp_frto");
        add("l4", "500", "net.ipv4.tcp_invalid_ratelimit");
        add("l4", "75", "net.ipv4.tcp_keepalive_intvl");
        add("l4", "9", "net.ipv4.tcp_keepalive_probes");
        add("l4", "7200", "net.ipv4.tcp_keepalive_time");
        add("l4", "1024", "net.ipv4.tcp_max_syn_backlog");
        add("l4", "0", "net.ipv4.tcp_orphan_retries", "net.ipv4.tcp_rfc1337", "net.ipv4.tcp_workaround_signed_windows");
        add("l4", "3", "net.ipv4.tcp_reordering");
        add("l4", "15", "net.ipv4.tcp_retries2");
        add("l4", "1", "net.ipv4.tcp_sack", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_timestamps",
                "net.ipv4.tcp_window_scaling");
        add("l4", "6", "net.ipv4.tcp_syn_retries");
        add("l4", "5", "net.ipv4.tcp_synack_retries");
        // netfilter, l3
        add("l3", "1", "net.netfilter.nf_conntrack_checksum", "net.netfilter.nf_conntrack_tcp_loose");
        add("l3", "0", "net.netfilter.nf_conntrack_tcp_be_liberal");
        // net.ipv4.conf.<dev>
        add("l3", "0", conf("accept_local"), conf("arp_accept"), conf("arp_announce"), conf("arp_filter"),
                conf("arp_ignore"), conf("bc_forwarding"), conf("drop_gratuitous_arp"),
                conf("drop_unicast_in_l2_multicast"), conf("forwarding"), conf("medium_id"), conf("proxy_arp"),
                conf("proxy_arp_pvlan"), conf("route_localnet"), conf("rp_filter"), conf("accept_source_route"));
        add("l3", "1", conf("send_redirects"), conf("shared_media"));
        // net.ipv4.neigh.<dev>
        add("l3", "0", neigh("app_solicit"), neigh("mcast_resolicit"));
        add("l3", "30000", neigh("base_reachable_time_ms"));
        add("l3", "5", neigh("delay_first_probe_time"));
        add("l3", "100", neigh("locktime"));
        add("l3", "3", neigh("mcast_solicit"), neigh("ucast_solicit"));
        add("l3", "80", neigh("proxy_delay"));
        add("l3", "1000", neigh("retrans_time_ms"));
        add("l3", "212992", neigh("unres_qlen_bytes"));
        // IPv6 is off: the only key read is whether it is (softirq drops IPv6 frames).
        add("softirq", "1", "net.ipv6.conf.*.disable_ipv6");
    }

    static String conf(String key) { return "net.ipv4.conf.*." + key; }

    static String neigh(String key) { return "net.ipv4.neigh.*." + key; }

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
