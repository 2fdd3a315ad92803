package io.netstack.config;

import io.netstack.wire.Inet;
import io.netstack.wire.MacAddress;

import java.util.List;
import java.util.Optional;

/**
 * One emulated host (a network namespace) as host.yaml describes it
 * (schema: conformance/README.md). Immutable; a change is a new HostConfig
 * sent over the configuration topic, as netlink carries a change in Linux.
 *
 * @param netns    the host's name; every skb of this host carries it
 * @param firewall iptables-save text, "" for none
 * @param source   the YAML text it was parsed from, so it can travel as it was written
 * @param apps     demo applications the socket service runs on this host (host.yaml's apps:)
 */
public record HostConfig(
        String netns,
        List<Interface> interfaces,
        List<Route> routes,
        List<Neighbor> neighbors,
        Sysctls sysctl,
        List<SocketSpec> sockets,
        String firewall,
        String source,
        List<AppSpec> apps) {

    /** The host without applications (every configuration before host.yaml had apps:). */
    public HostConfig(String netns, List<Interface> interfaces, List<Route> routes, List<Neighbor> neighbors,
                      Sysctls sysctl, List<SocketSpec> sockets, String firewall, String source) {
        this(netns, interfaces, routes, neighbors, sysctl, sockets, firewall, source, List.of());
    }

    /** The applications an apps: entry may name (socket-service runs them over the socket API). */
    public static final java.util.Set<String> APPS = java.util.Set.of("udp-echo", "tcp-echo", "http");

    /**
     * A demo application on the host, run by the socket service through the socket API.
     *
     * @param app  "udp-echo", "tcp-echo" or "http"
     * @param addr the local address it binds (0: any)
     * @param port the port it binds
     */
    public record AppSpec(String app, int addr, int port) {
        /** "tcp-echo 0.0.0.0:7". */
        public String key() { return app + " " + Inet.format(addr) + ":" + port; }
    }

    /**
     * A network interface: struct net_device plus its in_device addresses.
     *
     * @param wire what the interface's wire is attached to outside the stack (host.yaml {@code wire:}),
     *             null when the frames come only from the topics (a replay, a test)
     */
    public record Interface(String name, MacAddress mac, int mtu, List<IfAddress> addresses,
                            boolean promisc, int txqueuelen, Wire wire) {
        /** An interface with no live wire. */
        public Interface(String name, MacAddress mac, int mtu, List<IfAddress> addresses,
                         boolean promisc, int txqueuelen) {
            this(name, mac, mtu, addresses, promisc, txqueuelen, null);
        }

        public Optional<IfAddress> primaryAddress() {
            return addresses.isEmpty() ? Optional.empty() : Optional.of(addresses.get(0));
        }
    }

    /**
     * The live wire of an interface (host.yaml {@code wire: {type: udp, listen: "127.0.0.1:7001",
     * peer: "127.0.0.1:7002"}}), read by {@code netstack wire}: the stack's services never open it.
     *
     * @param type    {@link #UDP} (one Ethernet frame per datagram, QEMU's {@code -netdev dgram}),
     *                {@link #TAP} (a peer network namespace on a TAP device) or {@link #PCAP}
     * @param options the type's keys as written (udp: listen, peer; tap: name, peer-netns, peer-addr,
     *                peer-mac; pcap: in, out)
     */
    public record Wire(String type, java.util.Map<String, String> options) {
        public static final String UDP = "udp";
        public static final String TAP = "tap";
        public static final String PCAP = "pcap";

        /** The keys each type accepts. */
        public static final java.util.Map<String, java.util.Set<String>> KEYS = java.util.Map.of(
                UDP, java.util.Set.of("listen", "peer"),
                TAP, java.util.Set.of("name", "peer-netns", "peer-addr", "peer-mac"),
                PCAP, java.util.Set.of("in", "out"));

        public Wire {
            options = java.util.Map.copyOf(options);
        }

        /** An option's value, or {@code dflt}. */
        public String option(String key, String dflt) {
            return options.getOrDefault(key, dflt);
        }
    }

    /** struct in_ifaddr: address, prefix length and broadcast ("192.0.2.2/24" brd 192.0.2.255). */
    public record IfAddress(int address, int prefixLen, int broadcast) {
        public int mask() { return Inet.mask(prefixLen); }
        public int network() { return address & mask(); }
        @Override public String toString() { return Inet.format(address) + "/" + prefixLen; }
    }

    /**
     * A route of the main table beyond the connected ones.
     *
     * @param via    the gateway, 0 for none
     * @param src    the preferred source, 0 for none
     * @param type   "unicast", "blackhole", "unreachable", "prohibit", "local", "broadcast"
     */
    public record Route(int dst, int prefixLen, int via, String dev, int src, int metric, String type) {}

    /** A neighbour (ARP) entry; state "permanent" unless given. */
    public record Neighbor(int ip, MacAddress mac, String dev, String state) {}

    /**
     * An open socket of the host.
     *
     * @param proto  "udp" or "tcp"
     * @param listen true for a TCP listener (listen:), false for a bound socket (bind:)
     */
    public record SocketSpec(String proto, int addr, int port, boolean listen, int backlog) implements java.io.Serializable {
        /** The key a socket is known by across the services: "udp 0.0.0.0:5353". */
        public String key() { return proto + " " + Inet.format(addr) + ":" + port; }
    }

    public Optional<Interface> iface(String name) {
        return interfaces.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    /** The interface that owns {@code addr} as one of its addresses, if any. */
    public Optional<Interface> ifaceWithAddress(int addr) {
        return interfaces.stream().filter(i -> i.addresses().stream().anyMatch(a -> a.address() == addr)).findFirst();
    }

    /** The same configuration under another name (each replayed scenario gets a fresh host). */
    public HostConfig withNetns(String name) {
        return new HostConfig(name, interfaces, routes, neighbors, sysctl, sockets, firewall, source, apps);
    }
}
