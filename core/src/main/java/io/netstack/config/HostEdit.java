package io.netstack.config;

import io.netstack.wire.Inet;
import io.netstack.wire.MacAddress;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A change to a running host in the shape of the Linux command that makes it (`ip route add`,
 * `ip neigh del`, `ip addr add`, `sysctl -w`, a new firewall), applied to the host's host.yaml
 * text: what netlink does to the kernel's tables, done to the configuration the stack's
 * instances all read. The result is validated by {@link HostConfigParser} before anyone
 * publishes it; a change Linux would refuse is refused here with the message iproute2 prints
 * ("RTNETLINK answers: File exists").
 *
 * <p>The YAML is rewritten in block style: the keys and values survive, comments do not.
 */
public final class HostEdit {

    /** A change Linux refuses: the message is what the tool would print. */
    public static final class Refused extends RuntimeException {
        public Refused(String message) { super(message); }
    }

    private final Map<String, Object> root;

    private HostEdit(Map<String, Object> root) {
        this.root = root;
    }

    /** The host.yaml text to change. */
    @SuppressWarnings("unchecked")
    public static HostEdit of(String yaml) {
        Object o = new Yaml(new LoaderOptions()).load(yaml);
        if (!(o instanceof Map)) throw new Refused("the host's configuration is not a YAML mapping");
        return new HostEdit(new LinkedHashMap<>((Map<String, Object>) o));
    }

    /** The changed host.yaml. */
    public String yaml() {
        DumperOptions opts = new DumperOptions();
        opts.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        opts.setIndent(2);
        opts.setIndicatorIndent(0);
        opts.setWidth(200);
        Representer r = new Representer(opts) {
            {
                // The firewall (iptables-save text) as a literal block, as host.yaml writes it.
                this.representers.put(String.class, data -> {
                    String s = (String) data;
                    return representScalar(Tag.STR, s, s.contains("\n")
                            ? DumperOptions.ScalarStyle.LITERAL : DumperOptions.ScalarStyle.PLAIN);
                });
            }
        };
        return new Yaml(r, opts).dump(root);
    }

    /** Parses the result as the services will (a change that makes it invalid never leaves here). */
    public HostConfig validate(String netns) {
        return HostConfigParser.parse(yaml(), "host " + netns + " after the change", netns);
    }

    // ---- ip route ----------------------------------------------------------------------------

    /** A route as `ip route add` parses it: [type] PREFIX [via A] [dev D] [src A] [metric N]. */
    static Map<String, Object> parseRoute(List<String> args) {
        Map<String, Object> r = new LinkedHashMap<>();
        Iterator<String> it = args.iterator();
        String type = null;
        String dst = null;
        while (it.hasNext()) {
            String a = it.next();
            switch (a) {
                case "via" -> r.put("via", addr(next(it, a)));
                case "dev", "oif" -> r.put("dev", next(it, a));
                case "src" -> r.put("src", addr(next(it, a)));
                case "metric", "preference", "priority" -> r.put("metric", integer(next(it, a), a));
                case "to" -> dst = prefix(next(it, a));
                case "unicast", "local", "broadcast", "blackhole", "unreachable", "prohibit" -> {
                    if (type != null || dst != null) throw garbage(a);
                    type = a;
                }
                case "proto", "scope", "table" -> {
                    String v = next(it, a);
                    if (a.equals("table") && !v.equals("main")) throw new Refused("only the main table: table " + v);
                }
                default -> {
                    if (dst != null) throw garbage(a);
                    dst = prefix(a);
                }
            }
        }
        if (dst == null) throw new Refused("Error: need a destination (PREFIX or default).");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("dst", dst);
        out.putAll(r);
        if (type != null && !type.equals("unicast")) out.put("type", type);
        return out;
    }

    /** ip route add: RTM_NEWROUTE with NLM_F_EXCL (the same prefix and metric may not exist). */
    public HostEdit routeAdd(List<String> args) {
        Map<String, Object> r = parseRoute(args);
        List<Object> routes = list("routes");
        for (Object o : routes) {
            if (sameRouteKey(map(o), r)) throw new Refused("RTNETLINK answers: File exists");
        }
        routes.add(r);
        return this;
    }

    /** ip route replace: RTM_NEWROUTE with NLM_F_REPLACE. */
    public HostEdit routeReplace(List<String> args) {
        Map<String, Object> r = parseRoute(args);
        List<Object> routes = list("routes");
        routes.removeIf(o -> sameRouteKey(map(o), r));
        routes.add(r);
        return this;
    }

    /** ip route del: the first route with that prefix whose given attributes all match. */
    public HostEdit routeDel(List<String> args) {
        Map<String, Object> want = parseRoute(args);
        List<Object> routes = list("routes");
        for (Iterator<Object> it = routes.iterator(); it.hasNext(); ) {
            Map<String, Object> r = map(it.next());
            if (!prefixEq(r.get("dst"), want.get("dst"))) continue;
            boolean match = true;
            for (String k : List.of("via", "dev", "src", "metric", "type")) {
                if (want.containsKey(k) && !Objects.equals(str(r.get(k)), str(want.get(k)))) match = false;
            }
            if (match) {
                it.remove();
                return this;
            }
        }
        throw new Refused("RTNETLINK answers: No such process");
    }

    private static boolean sameRouteKey(Map<String, Object> a, Map<String, Object> b) {
        return prefixEq(a.get("dst"), b.get("dst"))
                && Objects.equals(intOr(a.get("metric"), 0), intOr(b.get("metric"), 0));
    }

    private static boolean prefixEq(Object a, Object b) {
        return Objects.equals(prefix(str(a)), prefix(str(b)));
    }

    // ---- ip neigh ----------------------------------------------------------------------------

    /** ip neigh add ADDR lladdr MAC dev DEV [nud STATE]; replace: the same without the exists check. */
    public HostEdit neighAdd(List<String> args, boolean replace) {
        Map<String, Object> n = new LinkedHashMap<>();
        Iterator<String> it = args.iterator();
        while (it.hasNext()) {
            String a = it.next();
            switch (a) {
                case "lladdr" -> {
                    String mac = next(it, a);
                    try {
                        MacAddress.parse(mac);
                    } catch (RuntimeException e) {
                        throw new Refused("Error: \"" + mac + "\" is not a valid lladdr.");
                    }
                    n.put("mac", mac);
                }
                case "dev" -> n.put("dev", next(it, a));
                case "nud" -> n.put("state", next(it, a));
                case "to" -> n.put("ip", addr(next(it, a)));
                default -> {
                    if (n.containsKey("ip")) throw garbage(a);
                    n.put("ip", addr(a));
                }
            }
        }
        if (!n.containsKey("ip") || !n.containsKey("dev")) throw new Refused("Device and destination are required arguments.");
        if (!n.containsKey("mac")) throw new Refused("Error: lladdr is required (no NOARP or incomplete entries here).");
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String k : List.of("ip", "mac", "dev", "state")) if (n.containsKey(k)) ordered.put(k, n.get(k));
        List<Object> neighbors = list("neighbors");
        for (Iterator<Object> i = neighbors.iterator(); i.hasNext(); ) {
            Map<String, Object> e = map(i.next());
            if (str(e.get("ip")).equals(ordered.get("ip")) && str(e.get("dev")).equals(ordered.get("dev"))) {
                if (!replace) throw new Refused("RTNETLINK answers: File exists");
                i.remove();
            }
        }
        neighbors.add(ordered);
        return this;
    }

    /** ip neigh del ADDR dev DEV. */
    public HostEdit neighDel(List<String> args) {
        String ip = null;
        String dev = null;
        Iterator<String> it = args.iterator();
        while (it.hasNext()) {
            String a = it.next();
            if (a.equals("dev")) dev = next(it, a);
            else if (a.equals("to")) ip = addr(next(it, a));
            else if (a.equals("lladdr") || a.equals("nud")) next(it, a);
            else if (ip == null) ip = addr(a);
            else throw garbage(a);
        }
        if (ip == null || dev == null) throw new Refused("Device and destination are required arguments.");
        List<Object> neighbors = list("neighbors");
        for (Iterator<Object> i = neighbors.iterator(); i.hasNext(); ) {
            Map<String, Object> e = map(i.next());
            if (str(e.get("ip")).equals(ip) && str(e.get("dev")).equals(dev)) {
                i.remove();
                return this;
            }
        }
        throw new Refused("RTNETLINK answers: No such file or directory");
    }

    // ---- ip addr -----------------------------------------------------------------------------

    /** ip addr add A/P dev DEV (a bare address is /32). */
    public HostEdit addrAdd(List<String> args) {
        String[] ad = addrArgs(args);
        List<Object> addrs = addresses(ad[1]);
        for (Object a : addrs) {
            if (Inet.parse(str(a).split("/")[0]) == Inet.parse(ad[0].split("/")[0])) throw new Refused("RTNETLINK answers: File exists");
        }
        addrs.add(ad[0]);
        return this;
    }

    /** ip addr del A/P dev DEV. */
    public HostEdit addrDel(List<String> args) {
        String[] ad = addrArgs(args);
        List<Object> addrs = addresses(ad[1]);
        for (Iterator<Object> i = addrs.iterator(); i.hasNext(); ) {
            if (prefixEq(i.next(), ad[0])) {
                i.remove();
                return this;
            }
        }
        throw new Refused("RTNETLINK answers: Cannot assign requested address");
    }

    private static String[] addrArgs(List<String> args) {
        String a = null;
        String dev = null;
        Iterator<String> it = args.iterator();
        while (it.hasNext()) {
            String s = it.next();
            if (s.equals("dev")) dev = next(it, s);
            else if (s.equals("brd") || s.equals("broadcast") || s.equals("label") || s.equals("scope")) next(it, s);
            else if (s.equals("local")) a = next(it, s);
            else if (a == null) a = s;
            else throw garbage(s);
        }
        if (a == null || dev == null) throw new Refused("Not enough information: \"dev\" argument is required.");
        String p = a.contains("/") ? a : a + "/32";
        prefix(p);
        return new String[] {p, dev};
    }

    @SuppressWarnings("unchecked")
    private List<Object> addresses(String dev) {
        for (Object o : list("interfaces")) {
            Map<String, Object> itf = map(o);
            if (dev.equals(str(itf.get("name")))) {
                Object a = itf.get("addresses");
                List<Object> l = a instanceof List ? new ArrayList<>((List<Object>) a) : new ArrayList<>();
                itf.put("addresses", l);
                return l;
            }
        }
        throw new Refused("Cannot find device \"" + dev + "\"");
    }

    // ---- sysctl and firewall -----------------------------------------------------------------

    /** sysctl -w KEY=VALUE: an integer, or integers separated by spaces. */
    @SuppressWarnings("unchecked")
    public HostEdit sysctlSet(String key, String value) {
        if (!key.matches("[a-z0-9_]+(\\.[A-Za-z0-9_-]+)+")) throw new Refused("sysctl: \"" + key + "\" is not a sysctl name");
        String v = value.trim();
        if (!v.matches("-?\\d+(\\s+-?\\d+)*")) throw new Refused("sysctl: setting key \"" + key + "\": Invalid argument");
        Object s = root.get("sysctl");
        Map<String, Object> m = s instanceof Map ? new LinkedHashMap<>((Map<String, Object>) s) : new LinkedHashMap<>();
        m.put(key, v.contains(" ") ? v.replaceAll("\\s+", " ") : (Object) Long.valueOf(v));
        root.put("sysctl", m);
        return this;
    }

    /** The value host.yaml sets for {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public String sysctl(String key) {
        Object s = root.get("sysctl");
        if (!(s instanceof Map)) return null;
        Object v = ((Map<String, Object>) s).get(key);
        return v == null ? null : v.toString();
    }

    /** The firewall (iptables-save text), "" for none. */
    public String firewall() {
        Object f = root.get("firewall");
        return f == null ? "" : f.toString();
    }

    /** Replaces the firewall; "" removes it. */
    public HostEdit firewall(String text) {
        if (text == null || text.isBlank()) root.remove("firewall");
        else root.put("firewall", text.endsWith("\n") ? text : text + "\n");
        return this;
    }

    // ---- helpers -----------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private List<Object> list(String key) {
        Object o = root.get(key);
        List<Object> l = o instanceof List ? new ArrayList<>((List<Object>) o) : new ArrayList<>();
        root.put(key, l);
        return l;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        if (o instanceof Map) return (Map<String, Object>) o;
        throw new Refused("host.yaml: expected a mapping, found " + o);
    }

    private static String next(Iterator<String> it, String after) {
        if (!it.hasNext()) throw new Refused("Command line is not complete. Try option \"help\"");
        return it.next();
    }

    private static Refused garbage(String a) {
        return new Refused("Error: either \"to\" is duplicate, or \"" + a + "\" is a garbage.");
    }

    static String addr(String a) {
        try {
            return Inet.format(Inet.parse(a));
        } catch (RuntimeException e) {
            throw new Refused("Error: an inet address is expected rather than \"" + a + "\".");
        }
    }

    /** "default" to 0.0.0.0/0, a bare address to /32, the address part normalised. */
    static String prefix(String p) {
        if (p == null) return null;
        if (p.equals("default") || p.equals("all")) return "0.0.0.0/0";
        String[] parts = p.split("/", 2);
        int len = 32;
        if (parts.length == 2) {
            try {
                len = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                len = -1;
            }
            if (len < 0 || len > 32) throw new Refused("Error: an inet prefix is expected rather than \"" + p + "\".");
        }
        return addr(parts[0]) + "/" + len;
    }

    private static Object integer(String v, String what) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new Refused("Error: argument \"" + v + "\" is wrong: \"" + what + "\" value is invalid");
        }
    }

    private static Integer intOr(Object o, int dflt) {
        if (o == null) return dflt;
        return Integer.parseInt(o.toString());
    }

    private static String str(Object o) { return o == null ? "" : o.toString(); }

    /** The top-level keys host.yaml may have (for the tests). */
    static final Set<String> TOP = Set.of("interfaces", "routes", "neighbors", "sysctl", "sockets", "firewall", "apps");
}
