package io.netstack.net.ipv4;

import io.netstack.config.HostConfig;
import io.netstack.skb.RouteResult;
import io.netstack.wire.Inet;

import java.util.ArrayList;
import java.util.List;

/**
 * The FIB of one host, net/ipv4/fib_frontend.c + fib_trie.c reduced: the local table
 * (255) and the main table (254), looked up in the order of the default rules
 * (local, then main), longest prefix first, then the lowest metric (priority).
 *
 * <p>The routes an address implies are made as fib_add_ifaddr makes them: a local /32
 * route for the address, the subnet broadcast and (for a primary address of a prefix
 * shorter than /32) the connected prefix route in main with the address as prefsrc.
 * Linux 6.x no longer adds a broadcast route for the network address itself.
 */
public final class Fib {

    public static final int RT_TABLE_MAIN = 254;
    public static final int RT_TABLE_LOCAL = 255;

    /** enum rt_scope_t */
    public static final int RT_SCOPE_UNIVERSE = 0;
    public static final int RT_SCOPE_LINK = 253;
    public static final int RT_SCOPE_HOST = 254;

    /** The errnos fib_props[] gives the error route types (returned as fib_lookup errors). */
    public static final int ENETUNREACH = 101;
    public static final int EHOSTUNREACH = 113;
    public static final int EINVAL = 22;
    public static final int EACCES = 13;
    public static final int EXDEV = 18;

    /**
     * struct fib_alias + fib_info + its one fib_nh.
     *
     * @param nhScope the next hop's scope: RT_SCOPE_HOST for an on-link route with no gateway
     *                (fib_check_nh_nongw), RT_SCOPE_LINK for a gateway
     */
    public record Entry(int table, int dst, int prefixLen, int type, String dev, int gw, int prefsrc,
                        int metric, int scope, int nhScope) {
        boolean matches(int addr) { return Inet.inPrefix(addr, dst, prefixLen); }
    }

    /** struct fib_result, or the error fib_lookup returned (then entry is null). */
    public record Result(Entry entry, int error) {
        public boolean ok() { return error == 0; }
        public int type() { return entry == null ? RouteResult.RTN_UNSPEC : entry.type(); }
    }

    private final List<Entry> entries = new ArrayList<>();

    /** The FIB that fib_add_ifaddr and the configured routes build for {@code host}. */
    public static Fib of(HostConfig host) {
        Fib fib = new Fib();
        // lo's 127.0.0.1/8 (brd 127.255.255.255): fib_add_ifaddr on a loopback device makes the
        // prefix route RTN_LOCAL (fib_magic puts it in the local table), so all of 127/8 is local.
        int lo = 0x7f000001;
        fib.add(new Entry(RT_TABLE_LOCAL, lo, 32, RouteResult.RTN_LOCAL, "lo", 0, lo, 0, RT_SCOPE_HOST, RT_SCOPE_HOST));
        fib.add(new Entry(RT_TABLE_LOCAL, 0x7fffffff, 32, RouteResult.RTN_BROADCAST, "lo", 0, lo, 0, RT_SCOPE_LINK, RT_SCOPE_HOST));
        fib.add(new Entry(RT_TABLE_LOCAL, 0x7f000000, 8, RouteResult.RTN_LOCAL, "lo", 0, lo, 0, RT_SCOPE_HOST, RT_SCOPE_HOST));
        for (HostConfig.Interface itf : host.interfaces()) {
            List<HostConfig.IfAddress> seen = new ArrayList<>();
            for (HostConfig.IfAddress ifa : itf.addresses()) {
                boolean secondary = seen.stream().anyMatch(p -> p.prefixLen() == ifa.prefixLen() && p.network() == ifa.network());
                seen.add(ifa);
                fib.fibAddIfaddr(itf.name(), ifa, secondary);
            }
        }
        for (HostConfig.Route r : host.routes()) {
            int type = routeType(r.type());
            String dev = r.dev() == null ? "" : r.dev();
            if (dev.isEmpty() && r.via() != 0) {
                Result nh = fib.lookup(r.via());
                if (nh.ok() && nh.entry().type() == RouteResult.RTN_UNICAST) dev = nh.entry().dev();
            }
            int table = type == RouteResult.RTN_LOCAL || type == RouteResult.RTN_BROADCAST ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
            int scope = type == RouteResult.RTN_LOCAL ? RT_SCOPE_HOST
                    : (type == RouteResult.RTN_UNICAST && r.via() == 0) || type == RouteResult.RTN_BROADCAST ? RT_SCOPE_LINK
                    : RT_SCOPE_UNIVERSE;
            int nhScope = r.via() == 0 ? RT_SCOPE_HOST : RT_SCOPE_LINK;
            fib.add(new Entry(table, r.dst() & Inet.mask(r.prefixLen()), r.prefixLen(), type, dev, r.via(), r.src(),
                    r.metric(), scope, nhScope));
        }
        return fib;
    }

    static int routeType(String type) {
        if (type == null || type.isEmpty()) return RouteResult.RTN_UNICAST;
        switch (type) {
            case "unicast": return RouteResult.RTN_UNICAST;
            case "local": return RouteResult.RTN_LOCAL;
            case "broadcast": return RouteResult.RTN_BROADCAST;
            case "blackhole": return RouteResult.RTN_BLACKHOLE;
            case "unreachable": return RouteResult.RTN_UNREACHABLE;
            case "prohibit": return RouteResult.RTN_PROHIBIT;
            case "throw": return RouteResult.RTN_THROW;
            default: throw new IllegalArgumentException("route type '" + type + "'");
        }
    }

    /** fib_add_ifaddr, net/ipv4/fib_frontend.c: the routes one address implies. */
    void fibAddIfaddr(String dev, HostConfig.IfAddress ifa, boolean secondary) {
        int addr = ifa.address();
        int prefix = ifa.network();
        int prim = addr;
        // 1. The address itself, in local.
        add(new Entry(RT_TABLE_LOCAL, addr, 32, RouteResult.RTN_LOCAL, dev, 0, prim, 0, RT_SCOPE_HOST, RT_SCOPE_HOST));
        // 2. Its broadcast address, unless it is the limited broadcast.
        if (ifa.broadcast() != 0 && ifa.broadcast() != Inet.INADDR_BROADCAST) {
            add(new Entry(RT_TABLE_LOCAL, ifa.broadcast(), 32, RouteResult.RTN_BROADCAST, dev, 0, prim, 0, RT_SCOPE_LINK, RT_SCOPE_HOST));
        }
        // 3. The prefix route and the prefix's broadcast, for a primary address that is not a /32 host route.
        if (!Inet.isZeronet(prefix) && !secondary && (prefix != addr || ifa.prefixLen() < 32)) {
            add(new Entry(RT_TABLE_MAIN, prefix, ifa.prefixLen(), RouteResult.RTN_UNICAST, dev, 0, prim, 0, RT_SCOPE_LINK, RT_SCOPE_HOST));
            if (ifa.prefixLen() < 31) {
                int brd = prefix | ~ifa.mask();
                if (brd != ifa.broadcast()) {
                    add(new Entry(RT_TABLE_LOCAL, brd, 32, RouteResult.RTN_BROADCAST, dev, 0, prim, 0, RT_SCOPE_LINK, RT_SCOPE_HOST));
                }
            }
        }
    }

    void add(Entry e) { entries.add(e); }

    public List<Entry> entries() { return List.copyOf(entries); }

    /** fib_table_lookup over one table: longest prefix, then lowest metric; null if none. */
    public Entry tableLookup(int table, int daddr, String oif) {
        Entry best = null;
        for (Entry e : entries) {
            if (e.table() != table || !e.matches(daddr)) continue;
            if (oif != null && !oif.isEmpty() && !e.dev().isEmpty() && !e.dev().equals(oif)
                    && e.type() != RouteResult.RTN_LOCAL && e.type() != RouteResult.RTN_BROADCAST) continue;
            if (best == null || e.prefixLen() > best.prefixLen()
                    || (e.prefixLen() == best.prefixLen() && Integer.compareUnsigned(e.metric(), best.metric()) < 0)) {
                best = e;
            }
        }
        return best;
    }

    /**
     * fib_lookup, include/net/ip_fib.h: local then main. A route of an error type
     * (blackhole, unreachable, prohibit) ends the lookup with its fib_props error; no route
     * at all is ENETUNREACH.
     */
    public Result lookup(int daddr) { return lookup(daddr, null); }

    public Result lookup(int daddr, String oif) {
        for (int table : new int[] {RT_TABLE_LOCAL, RT_TABLE_MAIN}) {
            Entry e = tableLookup(table, daddr, oif);
            if (e == null) continue;
            switch (e.type()) {
                case RouteResult.RTN_BLACKHOLE: return new Result(null, EINVAL);
                case RouteResult.RTN_UNREACHABLE: return new Result(null, EHOSTUNREACH);
                case RouteResult.RTN_PROHIBIT: return new Result(null, EACCES);
                case RouteResult.RTN_THROW: continue;
                default: return new Result(e, 0);
            }
        }
        return new Result(null, ENETUNREACH);
    }

    /**
     * inet_addr_type_dev_table / __inet_dev_addr_type, net/ipv4/fib_frontend.c: what an address
     * is to this host, looked up in the local table (dev null: any device).
     */
    public int inetAddrType(int addr, String dev) {
        if (Inet.isZeronet(addr) || Inet.isLbcast(addr)) return RouteResult.RTN_BROADCAST;
        if (Inet.isMulticast(addr)) return RouteResult.RTN_MULTICAST;
        Entry e = tableLookup(RT_TABLE_LOCAL, addr, null);
        if (e != null && (dev == null || dev.equals(e.dev()))) return e.type();
        return RouteResult.RTN_UNICAST;
    }
}
