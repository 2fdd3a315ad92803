package io.netstack.wire;

import java.util.Optional;

/**
 * struct ethhdr, include/uapi/linux/if_ether.h: a view over the 14-byte Ethernet II header.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Destination MAC (h_dest) ...                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  ... h_dest (cont.)           |   Source MAC (h_source) ...   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     ... h_source (cont.)                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   EtherType / length (h_proto)|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * h_proto below 0x0600 (ETH_P_802_3_MIN) is an IEEE 802.3 length, not a type.
 * The view does not copy: it reads the array it wraps.
 */
public final class EthernetHeader {

    public static final int DST = 0;
    public static final int SRC = 6;
    public static final int PROTO = 12;
    /** ETH_HLEN */
    public static final int LENGTH = 14;
    /** ETH_ALEN */
    public static final int ALEN = 6;

    private final byte[] buf;
    private final int off;

    private EthernetHeader(byte[] buf, int off) {
        this.buf = buf;
        this.off = off;
    }

    /** The header at {@code off}, if the {@code len} bytes from there hold all 14 bytes of it. */
    public static Optional<EthernetHeader> checked(byte[] buf, int off, int len) {
        if (off < 0 || len < LENGTH || off + LENGTH > buf.length) return Optional.empty();
        return Optional.of(new EthernetHeader(buf, off));
    }

    /** A view with no length check, for a caller that has already checked (pskb_may_pull). */
    public static EthernetHeader unchecked(byte[] buf, int off) {
        return new EthernetHeader(buf, off);
    }

    public MacAddress dst() { return MacAddress.read(buf, off + DST); }

    public MacAddress src() { return MacAddress.read(buf, off + SRC); }

    /** h_proto: EtherType, or 802.3 length below 0x0600. */
    public int proto() { return Bytes.u16(buf, off + PROTO); }

    public void setDst(MacAddress mac) { mac.write(buf, off + DST); }

    public void setSrc(MacAddress mac) { mac.write(buf, off + SRC); }

    public void setProto(int proto) { Bytes.put16(buf, off + PROTO, proto); }

    /** The 14 header bytes, built. */
    /** eth_header: writes the 14 bytes at {@code offset} of an existing buffer. */
    public static void write(byte[] buf, int offset, MacAddress dst, MacAddress src, int proto) {
        dst.write(buf, offset + DST);
        src.write(buf, offset + SRC);
        Bytes.put16(buf, offset + PROTO, proto);
    }

    public static byte[] build(MacAddress dst, MacAddress src, int proto) {
        byte[] b = new byte[LENGTH];
        dst.write(b, DST);
        src.write(b, SRC);
        Bytes.put16(b, PROTO, proto);
        return b;
    }

    @Override
    public String toString() {
        return src() + " > " + dst() + String.format(" ethertype 0x%04x", proto());
    }
}
