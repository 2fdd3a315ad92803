package io.netstack.wire;

/**
 * The Ethernet II header (struct ethhdr, IEEE 802.3): destination, source, EtherType.
 *
 * <pre>
 * +--------+--------+------+
 * | dst(6) | src(6) | type |
 * +--------+--------+------+
 * </pre>
 */
public final class EthernetHeader {
    private EthernetHeader() {}

    public static final int DST = 0;
    public static final int SRC = 6;
    public static final int TYPE = 12;
    /** ETH_HLEN */
    public static final int LEN = 14;

    /** eth_header: writes the 14 bytes at {@code offset}. */
    public static void write(byte[] buf, int offset, MacAddress dst, MacAddress src, int type) {
        dst.write(buf, offset + DST);
        src.write(buf, offset + SRC);
        Bytes.put16(buf, offset + TYPE, type);
    }
}
