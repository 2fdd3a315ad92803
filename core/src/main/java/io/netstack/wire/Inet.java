package io.netstack.wire;

/** IPv4 addresses as host-order ints, and the prefix arithmetic around them. */
public final class Inet {
    private Inet() {}

    public static final int INADDR_ANY = 0;
    public static final int INADDR_BROADCAST = 0xffffffff;

    /** "192.0.2.1" to an int; IllegalArgumentException if it is not a dotted quad. */
    public static int parse(String dotted) {
        String[] p = dotted.trim().split("\\.", -1);
        if (p.length != 4) throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
        int a = 0;
        for (String s : p) {
            int v;
            try {
                v = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
            }
            if (v < 0 || v > 255 || s.isEmpty()) throw new IllegalArgumentException("not an IPv4 address: '" + dotted + "'");
            a = (a << 8) | v;
        }
        return a;
    }

    public static String format(int a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    /** inet_make_mask */
    public static int mask(int prefixLen) {
        return prefixLen == 0 ? 0 : -1 << (32 - prefixLen);
    }

    public static boolean inPrefix(int addr, int prefix, int prefixLen) {
        return (addr & mask(prefixLen)) == (prefix & mask(prefixLen));
    }

    /** ipv4_is_multicast: 224.0.0.0/4 */
    public static boolean isMulticast(int a) { return (a & 0xf0000000) == 0xe0000000; }
    /** ipv4_is_lbcast: 255.255.255.255 */
    public static boolean isLbcast(int a) { return a == INADDR_BROADCAST; }
    /** ipv4_is_loopback: 127.0.0.0/8 */
    public static boolean isLoopback(int a) { return (a & 0xff000000) == 0x7f000000; }
    /**
     * ipv4_is_zeronet, include/linux/in.h: only 0.0.0.0 since Linux 5.3 ("ipv4: Allow 0.0.0.0/8
     * as a valid address range"); 0.1.2.3 is an ordinary unicast source on Linux 6.18.
     */
    public static boolean isZeronet(int a) { return a == 0; }
    /** ipv4_is_local_multicast: 224.0.0.0/24 */
    public static boolean isLocalMulticast(int a) { return (a & 0xffffff00) == 0xe0000000; }
}
