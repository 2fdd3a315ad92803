package io.netstack.skb;

/**
 * struct rtable (include/net/route.h), reduced: the routing decision an skb carries as skb_dst().
 *
 * @param rtType  RTN_* (see {@link #RTN_UNICAST} and friends)
 * @param outDev  the device it leaves by ("" for local delivery)
 * @param gateway rt_gw4, the next hop; 0 when the destination is on link
 * @param mtu     dst_mtu
 * @param prefsrc the preferred source address
 * @param input   true for an input route (ip_route_input), false for an output one
 */
public record RouteResult(int rtType, String outDev, int gateway, int mtu, int prefsrc, boolean input) implements java.io.Serializable {
    public static final int RTN_UNSPEC = 0;
    public static final int RTN_UNICAST = 1;
    public static final int RTN_LOCAL = 2;
    public static final int RTN_BROADCAST = 3;
    public static final int RTN_ANYCAST = 4;
    public static final int RTN_MULTICAST = 5;
    public static final int RTN_BLACKHOLE = 6;
    public static final int RTN_UNREACHABLE = 7;
    public static final int RTN_PROHIBIT = 8;
    public static final int RTN_THROW = 9;
    public static final int RTN_NAT = 10;
}
