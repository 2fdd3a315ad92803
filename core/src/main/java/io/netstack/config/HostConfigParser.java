package io.netstack.config;

import io.netstack.wire.Inet;
import io.netstack.wire.MacAddress;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads host.yaml (schema: conformance/README.md). Anything it cannot use is refused
 * with the file, the line and what is wrong: an unknown key, a bad address, a missing field.
 */
public final class HostConfigParser {

    /** net.ipv4.tcp_available_congestion_control of the emulation (net.ipv4.TcpCong). */
    static final List<String> AVAILABLE_CONGESTION_CONTROL = List.of("reno", "cubic");

    private static final Set<String> APP = Set.of("app", "port", "addr");
    private static final Set<String> TOP = Set.of("interfaces", "routes", "neighbors", "sysctl", "sockets", "firewall", "apps");
    private static final Set<String> IFACE = Set.of("name", "mac", "mtu", "addresses", "promisc", "txqueuelen", "wire");
    private static final Set<String> ROUTE = Set.of("dst", "via", "dev", "src", "metric", "type");
    private static final Set<String> NEIGH = Set.of("ip", "mac", "dev", "state");
    private static final Set<String> SOCKET = Set.of("proto", "bind", "listen", "backlog");
    private static final Set<String> ROUTE_TYPES = Set.of("unicast", "local", "broadcast", "blackhole", "unreachable", "prohibit");
    private static final Set<String> NUD_STATES = Set.of("permanent", "noarp", "reachable", "stale", "delay", "probe", "failed", "incomplete");

    private final String source;

    private HostConfigParser(String source) {
        this.source = source;
    }

    public static HostConfig parse(Path file, String netns) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, "cannot read: " + e.getMessage());
        }
        return parse(text, file.toString(), netns);
    }

    /** @param sourceName the file name to cite in errors */
    public static HostConfig parse(String yaml, String sourceName, String netns) {
        return new HostConfigParser(sourceName).parseText(yaml, netns);
    }

    private HostConfig parseText(String yaml, String netns) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(source, line, "not valid YAML: " + e.getProblem());
        } catch (RuntimeException e) {
            throw new ConfigException(source, 0, "not valid YAML: " + e.getMessage());
        }
        if (root == null) throw new ConfigException(source, 1, "empty file: a host needs at least one interface");
        MappingNode top = mapping(root, "the document");
        Map<String, Node> fields = fields(top, TOP, "host");

        List<HostConfig.Interface> interfaces = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Node n : seq(fields.get("interfaces"), "interfaces")) {
            HostConfig.Interface itf = iface(n);
            if (!names.add(itf.name())) throw err(n, "interface '" + itf.name() + "' is defined twice");
            interfaces.add(itf);
        }
        if (interfaces.isEmpty()) throw new ConfigException(source, line(top), "a host needs at least one interface");

        List<HostConfig.Route> routes = new ArrayList<>();
        for (Node n : seq(fields.get("routes"), "routes")) routes.add(route(n, names));
        List<HostConfig.Neighbor> neighbors = new ArrayList<>();
        for (Node n : seq(fields.get("neighbors"), "neighbors")) neighbors.add(neighbor(n, names));

        Map<String, String> sysctl = new LinkedHashMap<>();
        Node s = fields.get("sysctl");
        if (s != null && !isNull(s)) {
            for (NodeTuple t : mapping(s, "sysctl").getValue()) {
                String key = scalar(t.getKeyNode(), "a sysctl name");
                if (!key.startsWith("net.")) throw err(t.getKeyNode(), "'" + key + "' is not a net.* sysctl");
                String value = scalar(t.getValueNode(), key);
                sysctl.put(key, value);
            }
        }
        Sysctls sysctls = new Sysctls(sysctl);
        for (Map.Entry<String, String> e : sysctl.entrySet()) {
            // net.ipv4.tcp_congestion_control names an algorithm; writing one the kernel does not
            // have fails (ENOENT), so it is refused here: tcp_available_congestion_control.
            if (e.getKey().equals(SysctlRegistry.TCP_CONGESTION_CONTROL.name())) {
                if (!AVAILABLE_CONGESTION_CONTROL.contains(e.getValue().trim())) {
                    throw err(findValue(mapping(s, "sysctl"), e.getKey()), "sysctl " + e.getKey() + " = '" + e.getValue()
                            + "': not one of " + String.join(", ", AVAILABLE_CONGESTION_CONTROL) + " (tcp_available_congestion_control)");
                }
                continue;
            }
            // Typed now, so a bad value is refused with its line rather than mid-stream.
            if (!e.getValue().trim().matches("-?\\d+(\\s+-?\\d+)*")) {
                Node bad = findValue(mapping(s, "sysctl"), e.getKey());
                throw err(bad, "sysctl " + e.getKey() + " = '" + e.getValue() + "': expected an integer (or integers)");
            }
        }

        List<HostConfig.SocketSpec> sockets = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (Node n : seq(fields.get("sockets"), "sockets")) {
            HostConfig.SocketSpec spec = socket(n);
            if (!keys.add(spec.key())) throw err(n, "socket " + spec.key() + " is opened twice (EADDRINUSE)");
            sockets.add(spec);
        }
        String firewall = fields.containsKey("firewall") && !isNull(fields.get("firewall"))
                ? scalar(fields.get("firewall"), "firewall") : "";
        List<HostConfig.AppSpec> apps = new ArrayList<>();
        Set<String> appKeys = new HashSet<>();
        for (Node n : seq(fields.get("apps"), "apps")) {
            HostConfig.AppSpec app = app(n);
            if (!appKeys.add(app.key())) throw err(n, "app " + app.key() + " is started twice");
            apps.add(app);
        }
        return new HostConfig(netns, List.copyOf(interfaces), List.copyOf(routes), List.copyOf(neighbors),
                sysctls, List.copyOf(sockets), firewall, yaml, List.copyOf(apps));
    }

    /** An apps: entry, {app: tcp-echo, port: 7} or with addr: "10.0.0.1". */
    private HostConfig.AppSpec app(Node n) {
        Map<String, Node> f = fields(mapping(n, "an app"), APP, "app");
        String app = required(f, "app", n);
        if (!HostConfig.APPS.contains(app)) {
            throw err(f.get("app"), "unknown app '" + app + "' (known: " + new java.util.TreeSet<>(HostConfig.APPS) + ")");
        }
        if (!f.containsKey("port")) throw err(n, "app " + app + " needs a port");
        int port = integer(f.get("port"), "port", 1, 65535);
        int addr = f.containsKey("addr") ? ip(f.get("addr"), scalar(f.get("addr"), "addr")) : 0;
        return new HostConfig.AppSpec(app, addr, port);
    }

    private HostConfig.Interface iface(Node n) {
        Map<String, Node> f = fields(mapping(n, "an interface"), IFACE, "interface");
        String name = required(f, "name", n);
        if (!name.matches("[A-Za-z0-9._-]{1,15}")) throw err(f.get("name"), "'" + name + "' is not an interface name (IFNAMSIZ: 15 characters)");
        MacAddress mac;
        try {
            mac = MacAddress.parse(required(f, "mac", n));
        } catch (IllegalArgumentException e) {
            throw err(f.get("mac"), e.getMessage());
        }
        int mtu = f.containsKey("mtu") ? integer(f.get("mtu"), "mtu", 68, 65535) : 1500;
        List<HostConfig.IfAddress> addrs = new ArrayList<>();
        for (Node a : seq(f.get("addresses"), "addresses")) {
            String cidr = scalar(a, "an address");
            String[] p = cidr.split("/");
            if (p.length != 2) throw err(a, "'" + cidr + "' is not address/prefix");
            int addr = ip(a, p[0]);
            int plen;
            try {
                plen = Integer.parseInt(p[1]);
            } catch (NumberFormatException e) {
                throw err(a, "'" + cidr + "': bad prefix length");
            }
            if (plen < 0 || plen > 32) throw err(a, "'" + cidr + "': prefix length beyond 0..32");
            int brd = plen >= 31 ? 0 : (addr | ~Inet.mask(plen));
            addrs.add(new HostConfig.IfAddress(addr, plen, brd));
        }
        boolean promisc = f.containsKey("promisc") && bool(f.get("promisc"), "promisc");
        int txq = f.containsKey("txqueuelen") ? integer(f.get("txqueuelen"), "txqueuelen", 0, Integer.MAX_VALUE) : 1000;
        HostConfig.Wire wire = f.containsKey("wire") && !isNull(f.get("wire")) ? wire(f.get("wire")) : null;
        return new HostConfig.Interface(name, mac, mtu, List.copyOf(addrs), promisc, txq, wire);
    }

    /** {@code wire: {type: udp, listen: "127.0.0.1:7001", peer: "127.0.0.1:7002"}}: see {@link HostConfig.Wire}. */
    private HostConfig.Wire wire(Node n) {
        MappingNode m = mapping(n, "wire");
        Map<String, Node> raw = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) raw.put(scalar(t.getKeyNode(), "a key"), t.getValueNode());
        String type = required(raw, "type", n);
        Set<String> keys = HostConfig.Wire.KEYS.get(type);
        if (keys == null) {
            throw err(raw.get("type"), "wire type '" + type + "' is not one of " + HostConfig.Wire.KEYS.keySet().stream().sorted().toList());
        }
        Set<String> allowed = new HashSet<>(keys);
        allowed.add("type");
        Map<String, Node> f = fields(m, allowed, type + " wire");
        Map<String, String> options = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : f.entrySet()) {
            if (e.getKey().equals("type")) continue;
            String v = scalar(e.getValue(), e.getKey());
            if (e.getKey().equals("listen") || e.getKey().equals("peer")) hostPort(e.getValue(), v);
            if (e.getKey().equals("peer-addr") && !v.matches("\\d+\\.\\d+\\.\\d+\\.\\d+/\\d{1,2}")) {
                throw err(e.getValue(), "peer-addr '" + v + "' is not address/prefix");
            }
            options.put(e.getKey(), v);
        }
        if (type.equals(HostConfig.Wire.UDP) && !options.containsKey("listen")) throw err(n, "a udp wire needs 'listen'");
        if (type.equals(HostConfig.Wire.PCAP) && options.isEmpty()) throw err(n, "a pcap wire needs 'in' or 'out'");
        return new HostConfig.Wire(type, options);
    }

    /** host:port with a port in 1..65535 (the host is resolved only when the wire is opened). */
    private void hostPort(Node at, String v) {
        int colon = v.lastIndexOf(':');
        if (colon <= 0) throw err(at, "'" + v + "' is not host:port");
        try {
            int port = Integer.parseInt(v.substring(colon + 1));
            if (port < 1 || port > 65535) throw err(at, "'" + v + "': port beyond 1..65535");
        } catch (NumberFormatException e) {
            throw err(at, "'" + v + "': bad port");
        }
    }

    private HostConfig.Route route(Node n, Set<String> devs) {
        Map<String, Node> f = fields(mapping(n, "a route"), ROUTE, "route");
        String dst = required(f, "dst", n);
        int prefixLen;
        int addr;
        if (dst.equals("default")) {
            addr = 0;
            prefixLen = 0;
        } else {
            String[] p = dst.split("/");
            addr = ip(f.get("dst"), p[0]);
            try {
                prefixLen = p.length == 2 ? Integer.parseInt(p[1]) : 32;
            } catch (NumberFormatException e) {
                throw err(f.get("dst"), "'" + dst + "': bad prefix length");
            }
            if (prefixLen < 0 || prefixLen > 32) throw err(f.get("dst"), "'" + dst + "': prefix length beyond 0..32");
        }
        int via = f.containsKey("via") ? ip(f.get("via"), scalar(f.get("via"), "via")) : 0;
        String dev = f.containsKey("dev") ? scalar(f.get("dev"), "dev") : "";
        if (!dev.isEmpty() && !devs.contains(dev)) throw err(f.get("dev"), "no interface '" + dev + "'");
        int src = f.containsKey("src") ? ip(f.get("src"), scalar(f.get("src"), "src")) : 0;
        int metric = f.containsKey("metric") ? integer(f.get("metric"), "metric", 0, Integer.MAX_VALUE) : 0;
        String type = f.containsKey("type") ? scalar(f.get("type"), "type") : "unicast";
        if (!ROUTE_TYPES.contains(type)) throw err(f.get("type"), "route type '" + type + "' is not one of " + ROUTE_TYPES);
        if (type.equals("unicast") && dev.isEmpty() && via == 0) throw err(n, "a unicast route needs dev or via");
        return new HostConfig.Route(addr & Inet.mask(prefixLen), prefixLen, via, dev, src, metric, type);
    }

    private HostConfig.Neighbor neighbor(Node n, Set<String> devs) {
        Map<String, Node> f = fields(mapping(n, "a neighbour"), NEIGH, "neighbour");
        int ip = ip(f.get("ip"), required(f, "ip", n));
        MacAddress mac;
        try {
            mac = MacAddress.parse(required(f, "mac", n));
        } catch (IllegalArgumentException e) {
            throw err(f.get("mac"), e.getMessage());
        }
        String dev = required(f, "dev", n);
        if (!devs.contains(dev)) throw err(f.get("dev"), "no interface '" + dev + "'");
        String state = f.containsKey("state") ? scalar(f.get("state"), "state").toLowerCase() : "permanent";
        if (!NUD_STATES.contains(state)) throw err(f.get("state"), "neighbour state '" + state + "' is not one of " + NUD_STATES);
        return new HostConfig.Neighbor(ip, mac, dev, state);
    }

    private HostConfig.SocketSpec socket(Node n) {
        Map<String, Node> f = fields(mapping(n, "a socket"), SOCKET, "socket");
        String proto = required(f, "proto", n);
        if (!proto.equals("udp") && !proto.equals("tcp")) throw err(f.get("proto"), "proto '" + proto + "': udp or tcp");
        boolean listen = f.containsKey("listen");
        if (listen == f.containsKey("bind")) throw err(n, "a socket has exactly one of bind: or listen:");
        if (listen && !proto.equals("tcp")) throw err(f.get("listen"), "only a tcp socket can listen");
        Node at = listen ? f.get("listen") : f.get("bind");
        String hostPort = scalar(at, listen ? "listen" : "bind");
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) throw err(at, "'" + hostPort + "' is not address:port");
        int addr = ip(at, hostPort.substring(0, colon));
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw err(at, "'" + hostPort + "': bad port");
        }
        if (port < 1 || port > 65535) throw err(at, "'" + hostPort + "': port beyond 1..65535");
        int backlog = f.containsKey("backlog") ? integer(f.get("backlog"), "backlog", 0, 65535) : (listen ? 128 : 0);
        return new HostConfig.SocketSpec(proto, addr, port, listen, backlog);
    }

    // --- YAML node helpers -------------------------------------------------------------------

    private Map<String, Node> fields(MappingNode m, Set<String> allowed, String what) {
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String key = scalar(t.getKeyNode(), "a key");
            if (!allowed.contains(key)) {
                throw err(t.getKeyNode(), "unknown " + what + " key '" + key + "' (known: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
            out.put(key, t.getValueNode());
        }
        return out;
    }

    private Node findValue(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) return t.getValueNode();
        }
        return m;
    }

    private MappingNode mapping(Node n, String what) {
        if (n instanceof MappingNode m) return m;
        throw err(n, what + " must be a mapping (key: value)");
    }

    private List<Node> seq(Node n, String what) {
        if (n == null || isNull(n)) return List.of();
        if (n instanceof SequenceNode s) return s.getValue();
        throw err(n, what + " must be a list");
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && (s.getTag().getValue().endsWith(":null"));
    }

    private String scalar(Node n, String what) {
        if (n instanceof ScalarNode s) return s.getValue();
        throw err(n, what + " must be a single value");
    }

    private String required(Map<String, Node> f, String key, Node parent) {
        Node n = f.get(key);
        if (n == null) throw err(parent, "missing '" + key + "'");
        return scalar(n, key);
    }

    private int integer(Node n, String what, int min, int max) {
        String v = scalar(n, what);
        try {
            int i = Integer.parseInt(v.trim());
            if (i < min || i > max) throw err(n, what + " " + i + " beyond " + min + ".." + max);
            return i;
        } catch (NumberFormatException e) {
            throw err(n, what + " '" + v + "' is not an integer");
        }
    }

    private boolean bool(Node n, String what) {
        String v = scalar(n, what).trim().toLowerCase();
        return switch (v) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw err(n, what + " '" + v + "' is not true or false");
        };
    }

    private int ip(Node at, String text) {
        try {
            return Inet.parse(text);
        } catch (IllegalArgumentException e) {
            throw err(at, e.getMessage());
        }
    }

    private static int line(Node n) {
        return n == null || n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }

    private ConfigException err(Node at, String message) {
        return new ConfigException(source, line(at), message);
    }
}
