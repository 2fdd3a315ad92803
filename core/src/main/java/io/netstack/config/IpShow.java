package io.netstack.config;

import io.netstack.wire.Inet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * `ip route show`, `ip neigh show` and `ip addr show` of a host as its configuration describes
 * it (rtnl_dump of the main table, the permanent neighbours, the addresses), in iproute2's format.
 */
public final class IpShow {
    private IpShow() {}

    private record Line(int dst, int len, String text) {}

    /**
     * The main table: the prefix routes fib_add_ifaddr makes for each address ("proto kernel
     * scope link src A") and host.yaml's routes, in the trie's order (by prefix, shorter first
     * for the same address), as `ip route show` prints them.
     */
    public static String routes(HostConfig host) {
        List<Line> lines = new ArrayList<>();
        for (HostConfig.Interface itf : host.interfaces()) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (HostConfig.IfAddress a : itf.addresses()) {
                if (a.prefixLen() == 32) continue;
                if (!seen.add(a.network() + "/" + a.prefixLen())) continue;   // a secondary adds no route
                lines.add(new Line(a.network(), a.prefixLen(), Inet.format(a.network()) + "/" + a.prefixLen() + " dev "
                        + itf.name() + " proto kernel scope link src " + Inet.format(a.address())));
            }
        }
        for (HostConfig.Route r : host.routes()) {
            String type = r.type() == null || r.type().isEmpty() ? "unicast" : r.type();
            if (type.equals("local") || type.equals("broadcast")) continue;     // table local
            int dst = r.dst() & Inet.mask(r.prefixLen());
            String d = r.prefixLen() == 0 ? "default" : r.prefixLen() == 32 ? Inet.format(dst) : Inet.format(dst) + "/" + r.prefixLen();
            StringBuilder s = new StringBuilder();
            if (!type.equals("unicast")) s.append(type).append(' ');
            s.append(d);
            if (r.via() != 0) s.append(" via ").append(Inet.format(r.via()));
            String dev = r.dev();
            if ((dev == null || dev.isEmpty()) && r.via() != 0) dev = connectedDev(host, r.via());
            if (type.equals("unicast") && dev != null && !dev.isEmpty()) s.append(" dev ").append(dev);
            if (type.equals("unicast") && r.via() == 0) s.append(" scope link");
            if (r.src() != 0) s.append(" src ").append(Inet.format(r.src()));
            if (r.metric() != 0) s.append(" metric ").append(r.metric());
            lines.add(new Line(dst, r.prefixLen(), s.toString()));
        }
        lines.sort(Comparator.comparingLong((Line l) -> l.dst() & 0xffffffffL).thenComparingInt(Line::len));
        StringBuilder out = new StringBuilder();
        for (Line l : lines) out.append(l.text()).append(" \n");
        return out.toString();
    }

    private static String connectedDev(HostConfig host, int addr) {
        for (HostConfig.Interface itf : host.interfaces()) {
            for (HostConfig.IfAddress a : itf.addresses()) if (Inet.inPrefix(addr, a.address(), a.prefixLen())) return itf.name();
        }
        return "";
    }

    /** The configured neighbours as `ip neigh show` prints them ("192.0.2.1 dev eth0 lladdr 02:.. PERMANENT"). */
    public static String neighbours(HostConfig host) {
        StringBuilder out = new StringBuilder();
        for (HostConfig.Neighbor n : host.neighbors()) {
            String state = n.state() == null || n.state().isEmpty() ? "permanent" : n.state();
            out.append(Inet.format(n.ip())).append(" dev ").append(n.dev()).append(" lladdr ").append(n.mac())
                    .append(' ').append(state.toUpperCase(java.util.Locale.ROOT)).append('\n');
        }
        return out.toString();
    }

    /** `ip -4 addr show` of the host's interfaces (lo first, as the kernel numbers it). */
    public static String addresses(HostConfig host) {
        StringBuilder out = new StringBuilder();
        out.append("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n");
        int idx = 2;
        for (HostConfig.Interface itf : host.interfaces()) {
            out.append(idx++).append(": ").append(itf.name()).append(": <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ")
                    .append(itf.mtu()).append("\n    link/ether ").append(itf.mac()).append(" brd ff:ff:ff:ff:ff:ff\n");
            boolean first = true;
            for (HostConfig.IfAddress a : itf.addresses()) {
                out.append("    inet ").append(a).append(a.prefixLen() < 31 ? " brd " + Inet.format(a.broadcast()) : "")
                        .append(" scope global ").append(first ? "" : "secondary ").append(itf.name()).append('\n');
                first = false;
            }
        }
        return out.toString();
    }
}
